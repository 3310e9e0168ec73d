// Sizes of a GGUF model file (llama.cpp's model format, versions 2 and 3)
// from its header and tensor table: the bits per weight quantizers plot.
//
// Bits per weight = tensor data bytes x 8 / weights. The data bytes come
// from consecutive tensor offsets (the last tensor runs to the end of the
// file), so quantization types this reader does not know still count; the
// weights are the products of each tensor's dimensions. Alignment padding
// between tensors (< general.alignment bytes each) counts as data.
//
// Hostile headers are refused before any allocation beyond the file's own
// size: every length is checked against the bytes left. Errors:
// kldkit::Error, FORMAT (not GGUF, a bad type or dimension count, offsets
// out of order), UNSUPPORTED (GGUF version 1 or above 3), TRUNCATED (a
// length past the end), IO. Since 0.2.
#ifndef KLDKIT_GGUF_HPP_
#define KLDKIT_GGUF_HPP_

#include <cstdint>
#include <gsl/span>
#include <limits>
#include <string>

namespace kldkit {

struct GgufSize {
  uint32_t version = 0;
  uint64_t n_tensors = 0;
  uint64_t weights = 0;       // sum over tensors of their element counts
  uint64_t tensor_bytes = 0;  // the tensor data region
  uint64_t file_bytes = 0;
  double BitsPerWeight() const {
    return weights == 0 ? std::numeric_limits<double>::quiet_NaN()
                        : 8.0 * static_cast<double>(tensor_bytes) /
                              static_cast<double>(weights);
  }
};

// Whether the file starts with GGUF's magic (false if it cannot be read).
bool IsGgufFile(const std::string& path);
GgufSize ReadGgufSize(const std::string& path);
// The same over a whole file in memory.
GgufSize ParseGgufSize(gsl::span<const uint8_t> file);

}  // namespace kldkit

#endif  // KLDKIT_GGUF_HPP_
