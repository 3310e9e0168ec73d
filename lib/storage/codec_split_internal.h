// Pieces shared by the split codec's encoder and decoder
// (codec_split.cc, codec_split_decode.cc). Not installed.
#ifndef KLDKIT_LIB_STORAGE_CODEC_SPLIT_INTERNAL_H_
#define KLDKIT_LIB_STORAGE_CODEC_SPLIT_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "lib/common/error.h"
#include "lib/storage/codec_split.h"

namespace kldkit {
namespace detail {
namespace split {

constexpr uint8_t kStreamRaw = 0;
constexpr uint8_t kStreamZstd = 1;
constexpr uint8_t kMapBitmap = 0;
constexpr uint8_t kMapRuns = 1;
constexpr size_t kAnySize = SIZE_MAX;

[[noreturn]] inline void Bad(const std::string& what) {
  Throw(KLDKIT_ERROR_FORMAT, "kldz block: " + what);
}

// 8 little-endian bytes as one load (GetLE's byte loop is not always
// merged into one by GCC 12).
inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// SWAR popcount: the x86-64 baseline has no POPCNT and libgcc's fallback
// took 15% of decoding.
inline size_t PopCount(uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<size_t>((x * 0x0101010101010101ULL) >> 56);
}

// Visits the codes of a block in `order`, calling fn(row, token).
template <typename Fn>
void ForEachCode(size_t row_count, size_t n_vocab, CodeOrder order, Fn fn) {
  if (order == CodeOrder::kRowMajor) {
    for (size_t r = 0; r < row_count; ++r) {
      for (size_t v = 0; v < n_vocab; ++v) fn(r, v);
    }
  } else {
    for (size_t v = 0; v < n_vocab; ++v) {
      for (size_t r = 0; r < row_count; ++r) fn(r, v);
    }
  }
}

}  // namespace split
}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CODEC_SPLIT_INTERNAL_H_
