// Per-target instantiation and dispatch of the reductions and quantization.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/kernels/reduce.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/quantize-inl.h"
#include "lib/kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {


detail::MaxArgResult MaxArgmaxImpl(const void* data, size_t n, RowType type) {
  return WithFloatType(data, type, [n](auto x) { return MaxArgmaxT(x, n); });
}

detail::LseResult LogSumExpImpl(const void* data, size_t n, RowType type) {
  return WithFloatType(data, type, [n](auto x) { return LogSumExpT(x, n); });
}

uint32_t LogSoftmaxImpl(const void* data, size_t n, RowType type, float* out) {
  return WithFloatType(data, type,
                       [n, out](auto x) { return LogSoftmaxT(x, n, out); });
}

uint32_t QuantizeImpl(const void* data, size_t n, RowType type, float floor,
                      bool strict, uint16_t* out, QuantizeInfo* info) {
  return WithFloatType(data, type, [&](auto x) {
    return QuantizeRowT(x, n, floor, strict, out, info);
  });
}

void DequantizeImpl(const uint16_t* words, size_t n, float* out) {
  DequantizeRowImpl(words, n, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
namespace {
HWY_EXPORT(MaxArgmaxImpl);
HWY_EXPORT(LogSumExpImpl);
HWY_EXPORT(LogSoftmaxImpl);
HWY_EXPORT(QuantizeImpl);
HWY_EXPORT(DequantizeImpl);
}  // namespace

namespace detail {
MaxArgResult DispatchMaxArgmax(const void* data, size_t n, RowType type) {
  return HWY_DYNAMIC_DISPATCH(MaxArgmaxImpl)(data, n, type);
}
LseResult DispatchLogSumExp(const void* data, size_t n, RowType type) {
  return HWY_DYNAMIC_DISPATCH(LogSumExpImpl)(data, n, type);
}
uint32_t DispatchLogSoftmax(const void* data, size_t n, RowType type,
                            float* out) {
  return HWY_DYNAMIC_DISPATCH(LogSoftmaxImpl)(data, n, type, out);
}
uint32_t DispatchQuantizeRow(const void* data, size_t n, RowType type,
                             float floor, bool strict, uint16_t* out,
                             QuantizeInfo* info) {
  return HWY_DYNAMIC_DISPATCH(QuantizeImpl)(data, n, type, floor, strict, out,
                                            info);
}
void DispatchDequantizeRow(const uint16_t* words, size_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(DequantizeImpl)(words, n, out);
}
}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
