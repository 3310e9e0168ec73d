// Pieces shared by the split codec's encoder and decoder
// (codec_split.cc, codec_split_decode.cc). Not installed.
#ifndef KLDKIT_LIB_STORAGE_CODEC_SPLIT_INTERNAL_H_
#define KLDKIT_LIB_STORAGE_CODEC_SPLIT_INTERNAL_H_

#include <cstddef>
#include <cstdint>
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
