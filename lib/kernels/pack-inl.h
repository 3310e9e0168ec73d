// Packing the tokens a comparison keeps: the fused pass finds the kept
// lanes of each vector and packs their codes and model logits into an
// L1-resident buffer, so the base side (an exponential per token) runs only
// over kept tokens: 40-96% of a stored row's codes sit at the floor.
//
// Where the target compresses 16-bit lanes natively (AVX-512 VBMI2), codes
// are compared and packed as uint16, 2N at a time: one compress for two
// float vectors and no code conversion in the fused pass (the kept pass
// converts only kept codes). Elsewhere codes are packed as floats.

#if defined(KLDKIT_LIB_KERNELS_PACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_PACK_INL_H_
#undef KLDKIT_LIB_KERNELS_PACK_INL_H_
#else
#define KLDKIT_LIB_KERNELS_PACK_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lib/kernels/block-inl.h"
#include "lib/kernels/load-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX3_DL
constexpr bool kPackCodes16 = true;
// The float-lane masks of the lower and upper halves of a 2N-lane mask.
HWY_INLINE hn::Mask512<float> LowerHalfMask(hn::Mask512<uint16_t> m) {
  return hn::Mask512<float>{static_cast<__mmask16>(m.raw)};
}
HWY_INLINE hn::Mask512<float> UpperHalfMask(hn::Mask512<uint16_t> m) {
  return hn::Mask512<float>{static_cast<__mmask16>(m.raw >> 16)};
}
#else
constexpr bool kPackCodes16 = false;
#endif

// Lane indices that pack an N-lane mask's lanes to the front.
template <size_t N>
struct PackTable {
  int32_t index[size_t{1} << N][N] = {};
  constexpr PackTable() {
    for (size_t m = 0; m < (size_t{1} << N); ++m) {
      size_t k = 0;
      for (size_t i = 0; i < N; ++i) {
        if ((m >> i) & 1) index[m][k++] = static_cast<int32_t>(i);
      }
    }
  }
};

// v's lanes selected by `mask`, packed to the front (the rest unspecified).
// Highway 1.0.3's Compress for <= 8 lanes builds its index table on the
// stack at every call (a 1 KiB copy on AVX2, which made the compare 6x
// slower there), so narrow vectors use a static table.
template <class DF, class M>
HWY_INLINE hn::Vec<DF> PackLanes(DF df, hn::Vec<DF> v, M mask) {
  constexpr size_t N = hn::MaxLanes(DF());
  if constexpr (N > 8) {
    return hn::Compress(v, mask);
  } else {
    static constexpr PackTable<N> kTable{};
    uint8_t bits[8] = {};
    hn::StoreMaskBits(df, mask, bits);
    return hn::TableLookupLanes(
        v, hn::SetTableIndices(df, kTable.index[bits[0]]));
  }
}

// A block's kept tokens, packed by the fused pass for the base-side pass:
// their codes and model logits.
template <class DF>
struct KeptLanes {
  using Code = std::conditional_t<kPackCodes16, uint16_t, float>;
  static constexpr size_t kCapacity = kVectorsPerBlock * hn::MaxLanes(DF());
  HWY_ALIGN Code code[kCapacity];
  HWY_ALIGN float x[kCapacity];
  size_t count = 0;
};

// Kept codes k.. as float lanes; `rest` < N loads only that many.
template <class DF>
HWY_INLINE hn::Vec<DF> LoadKeptCodes(DF df, const float* HWY_RESTRICT p) {
  return hn::Load(df, p);
}
template <class DF>
HWY_INLINE hn::Vec<DF> LoadKeptCodes(DF df, const uint16_t* HWY_RESTRICT p) {
  return LoadF(df, p);
}
template <class DF>
HWY_INLINE hn::Vec<DF> LoadKeptCodes(DF df, const float* HWY_RESTRICT p,
                                     size_t rest) {
  return hn::MaskedLoad(hn::FirstN(df, rest), df, p);
}
template <class DF>
HWY_INLINE hn::Vec<DF> LoadKeptCodes(DF df, const uint16_t* HWY_RESTRICT p,
                                     size_t rest) {
  const hn::Rebind<uint16_t, DF> du16;
  return CodesToFloat(df, hn::MaskedLoad(hn::FirstN(du16, rest), du16, p));
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_PACK_INL_H_
