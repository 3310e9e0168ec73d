// The split codec's SIMD work, dispatched to the best Highway target
// (codec_split_simd-inl.h): packing a sparse row's code marks into its
// bitmap, and expanding a row's non-zero codes into a dense row. Not
// installed.
#ifndef KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_H_
#define KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_H_

#include <cstddef>
#include <cstdint>

namespace kldkit {
namespace detail {

// Writes mark i (a byte, 0 or 0xFF) of 64 * words marks as bit i % 64 of
// out[i / 64], then sets every mark to 0.
void PackMarks(uint8_t* marks, size_t words, uint64_t* out);

// Writes out[i] for i < n: the next code of the byte planes, (hi[j] << 8) |
// lo[j] with j counting the codes used so far, where bit k + i of the
// little-endian bitmap `bm` is set, else 0. Returns the codes used. Reads
// `bm` up to 8 bytes past byte (k + n - 1) / 8, and hi and lo up to 8 bytes
// past the last code used.
size_t ExpandRow(const uint8_t* bm, size_t k, size_t n, const uint8_t* hi,
                 const uint8_t* lo, uint16_t* out);

// ExpandRow's shuffles: for each bitmap byte b, the byte indices that
// spread the popcount(b) codes of a 16-byte vector of 8 codes (lo, hi
// bytes) onto the set bits' places, 0x80 (a zero byte) elsewhere.
struct ExpandTable {
  alignas(16) uint8_t index[256][16];
  uint8_t count[256];  // popcount of b
};
constexpr ExpandTable MakeExpandTable() {
  ExpandTable t{};
  for (int b = 0; b < 256; ++b) {
    int used = 0;
    for (int i = 0; i < 8; ++i) {
      const bool set = ((b >> i) & 1) != 0;
      t.index[b][2 * i] = static_cast<uint8_t>(set ? 2 * used : 0x80);
      t.index[b][2 * i + 1] = static_cast<uint8_t>(set ? 2 * used + 1 : 0x80);
      used += set;
    }
    t.count[b] = static_cast<uint8_t>(used);
  }
  return t;
}
inline constexpr ExpandTable kExpandTable = MakeExpandTable();

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CODEC_SPLIT_SIMD_H_
