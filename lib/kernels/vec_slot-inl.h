// A vector kept in a struct (an accumulator, a row constant). SVE vectors
// are sizeless and cannot be members, so on scalable targets the lanes
// live in aligned storage, loaded and stored around each use (L1 hits);
// on every other target the slot is the vector itself, so the kernels
// compile to what they would with plain vector members.

#if defined(KLDKIT_LIB_KERNELS_VEC_SLOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_VEC_SLOT_INL_H_
#undef KLDKIT_LIB_KERNELS_VEC_SLOT_INL_H_
#else
#define KLDKIT_LIB_KERNELS_VEC_SLOT_INL_H_
#endif

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_HAVE_SCALABLE
template <class D>
class VecSlot {
 public:
  using V = hn::Vec<D>;
  explicit VecSlot(V v) { Put(v); }
  HWY_INLINE V Get() const { return hn::Load(D(), lanes_); }
  HWY_INLINE void Put(V v) { hn::Store(v, D(), lanes_); }

 private:
  HWY_ALIGN hn::TFromD<D> lanes_[hn::MaxLanes(D())];
};
#else
template <class D>
class VecSlot {
 public:
  using V = hn::Vec<D>;
  explicit VecSlot(V v) : v_(v) {}
  HWY_INLINE V Get() const { return v_; }
  HWY_INLINE void Put(V v) { v_ = v; }

 private:
  V v_;
};
#endif

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_VEC_SLOT_INL_H_
