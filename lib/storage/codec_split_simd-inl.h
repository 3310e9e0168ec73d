// Per-target bodies of the split codec's SIMD work (codec_split_simd.cc):
// PackMarksT turns a sparse row's code marks (bytes 0 or 0xFF, a multiple
// of 64) into its bitmap; ExpandRowT spreads a row's non-zero codes over a
// dense row by its bitmap. Both give the same bits on every target.

#if defined(KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_INL_H_
#undef KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_INL_H_
#else
#define KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "lib/storage/codec_split_internal.h"
#include "lib/storage/codec_split_simd.h"

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

// Codes [0, n) of a dense row from bits [k, k + n) of the bitmap: 8 codes
// per bitmap byte with one byte shuffle, its indices from kExpandTable, of
// the next 8 codes' interleaved bytes (the scalar loop it replaces, one
// code at a time with a select, was about half of dense decoding). 56 bits
// per unaligned 64-bit load of the bitmap (any bit offset leaves >= 56), the
// last n % 56 codes one by one. Little-endian hosts: the shuffled bytes are
// stored as the codes' own.
HWY_INLINE size_t ExpandRowT(const uint8_t* HWY_RESTRICT bm, size_t k,
                             size_t n, const uint8_t* HWY_RESTRICT hi,
                             const uint8_t* HWY_RESTRICT lo,
                             uint16_t* HWY_RESTRICT out) {
  size_t j = 0, v = 0;
#if HWY_TARGET != HWY_SCALAR && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const hn::Full128<uint8_t> d;
  const hn::Full64<uint8_t> dh;
  const detail::ExpandTable& table = detail::kExpandTable;
  for (; v + 56 <= n; v += 56, k += 56) {
    uint64_t w = detail::split::LoadLE64(bm + k / 8) >> (k % 8);
    for (size_t t = 0; t < 56; t += 8, w >>= 8) {
      const size_t b = w & 0xFF;
      const auto codes =
          hn::InterleaveLower(hn::ZeroExtendVector(d, hn::LoadU(dh, lo + j)),
                              hn::ZeroExtendVector(d, hn::LoadU(dh, hi + j)));
      const auto placed = hn::TableLookupBytesOr0(codes,
                                                  hn::Load(d, table.index[b]));
      hn::StoreU(placed, d, reinterpret_cast<uint8_t*>(out + v + t));
      j += table.count[b];
    }
  }
#endif
  for (; v < n; ++v, ++k) {
    const uint32_t bit = (bm[k / 8] >> (k % 8)) & 1;
    const uint32_t c = (uint32_t{hi[j]} << 8) | lo[j];
    out[v] = static_cast<uint16_t>(c & (0u - bit));
    j += bit;
  }
  return j;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_INL_H_
