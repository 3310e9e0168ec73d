// Per-target instantiation and dispatch of sparse_bits-inl.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/storage/sparse_bits.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/storage/sparse_bits-inl.h"
#include "lib/storage/sparse_bits.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {

void PackMarksImpl(uint8_t* marks, size_t words, uint64_t* out) {
  PackMarksT(marks, words, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
namespace detail {
namespace {
HWY_EXPORT(PackMarksImpl);
}  // namespace

void PackMarks(uint8_t* marks, size_t words, uint64_t* out) {
  HWY_DYNAMIC_DISPATCH(PackMarksImpl)(marks, words, out);
}

}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
