// Per-target bodies of the sparse decoder's bit work (sparse_bits.cc):
// packing a row's code marks into its bitmap. Valid for any mark count that
// is a multiple of 64; marks are bytes 0 or 0xFF.

#if defined(KLDKIT_LIB_STORAGE_SPARSE_BITS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_STORAGE_SPARSE_BITS_INL_H_
#undef KLDKIT_LIB_STORAGE_SPARSE_BITS_INL_H_
#else
#define KLDKIT_LIB_STORAGE_SPARSE_BITS_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Writes mark i as bit i % 64 of out[i / 64] for 64 * words marks, and
// zeroes the marks for the next row. One mask per vector stored as bits
// (pmovmskb on x86): 4% of the sparse decoding of a file of 248,320-token
// rows with 82% zero codes (AVX3_DL), where the scalar multiply-gather it
// replaced took longer than the walk that sets the marks. Capped at 64
// lanes so that a vector never spans two words (SVE's can be 256 bytes).
HWY_INLINE void PackMarksT(uint8_t* HWY_RESTRICT marks, size_t words,
                           uint64_t* HWY_RESTRICT out) {
  const hn::CappedTag<uint8_t, 64> d;
  const size_t N = hn::Lanes(d);
  const auto zero = hn::Zero(d);
  for (size_t w = 0; w < words; ++w) {
    uint64_t word = 0;
    for (size_t i = 0; i < 64; i += N) {
      uint8_t* at = marks + 64 * w + i;
      // StoreMaskBits writes at least one byte: room for 64 lanes' bits.
      uint8_t bits[8] = {};
      hn::StoreMaskBits(d, hn::Ne(hn::LoadU(d, at), zero), bits);
      uint64_t part = 0;
      for (size_t b = 0; b < (N + 7) / 8; ++b) {
        part |= uint64_t{bits[b]} << (8 * b);
      }
      word |= part << i;
      hn::StoreU(zero, d, at);
    }
    out[w] = word;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_STORAGE_SPARSE_BITS_INL_H_
