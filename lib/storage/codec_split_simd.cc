// Per-target instantiation and dispatch of codec_split_simd-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/storage/codec_split_simd.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/storage/codec_split_simd-inl.h"
#include "lib/storage/codec_split_simd.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {

void PackMarksImpl(uint8_t* marks, size_t words, uint64_t* out) {
  PackMarksT(marks, words, out);
}

size_t ExpandRowImpl(const uint8_t* bm, size_t k, size_t n, const uint8_t* hi,
                     const uint8_t* lo, uint16_t* out) {
  return ExpandRowT(bm, k, n, hi, lo, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
namespace detail {
namespace {
HWY_EXPORT(PackMarksImpl);
HWY_EXPORT(ExpandRowImpl);
}  // namespace

void PackMarks(uint8_t* marks, size_t words, uint64_t* out) {
  HWY_DYNAMIC_DISPATCH(PackMarksImpl)(marks, words, out);
}

size_t ExpandRow(const uint8_t* bm, size_t k, size_t n, const uint8_t* hi,
                 const uint8_t* lo, uint16_t* out) {
  return HWY_DYNAMIC_DISPATCH(ExpandRowImpl)(bm, k, n, hi, lo, out);
}

}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
