// Per-target instantiation and dispatch of the compare kernels.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/kernels/compare.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/kernels/compare-inl.h"
#include "lib/kernels/sparse-inl.h"
#include "lib/kernels/kernels.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {


detail::CompareOutput CompareImpl(const RowView& base, const RowView& model,
                                  int32_t target, CompareMode mode) {
  const size_t n = base.n_vocab;
  detail::CompareOutput out;
  if (mode == CompareMode::kExact) {
    out.result = WithFloatType(base.data, base.type, [&](auto y) {
      return WithFloatType(model.data, model.type, [&](auto x) {
        return CompareFloatFloat(y, x, n, target, &out.base,
                                 &out.model);
      });
    });
    return out;
  }
  if (base.type == RowType::kLlamaSparse) {
    const auto& row = *static_cast<const SparseLlamaRow*>(base.data);
    out.result = WithFloatType(model.data, model.type, [&](auto x) {
      return mode == CompareMode::kTail
                 ? CompareSparseFloat<true>(row, x, n, target, &out.model)
                 : CompareSparseFloat<false>(row, x, n, target, &out.model);
    });
    return out;
  }
  const auto* words = static_cast<const uint16_t*>(base.data);
  if (!model.IsFloat()) {
    const auto* model_words = static_cast<const uint16_t*>(model.data);
    out.result = CompareU16U16(words, model_words, n, target);
    return out;
  }
  out.result = WithFloatType(model.data, model.type, [&](auto x) {
    return mode == CompareMode::kTail
               ? CompareU16Float<true>(words, x, n, target, &out.model)
               : CompareU16Float<false>(words, x, n, target, &out.model);
  });
  return out;
}

bool SparseRowOkImpl(const SparseLlamaRow& row, size_t n) {
  return SparseRowOk(row, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
namespace {
HWY_EXPORT(CompareImpl);
HWY_EXPORT(SparseRowOkImpl);
}  // namespace

namespace detail {
CompareOutput DispatchCompare(const RowView& base, const RowView& model,
                              int32_t target, CompareMode mode) {
  return HWY_DYNAMIC_DISPATCH(CompareImpl)(base, model, target, mode);
}
bool DispatchSparseRowOk(const SparseLlamaRow& row, size_t n) {
  return HWY_DYNAMIC_DISPATCH(SparseRowOkImpl)(row, n);
}
}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
