// A plain read of a compare's bytes, the yardstick of the row kernels.
#ifndef KLDKIT_BENCHMARKS_READ_ROOFLINE_H_
#define KLDKIT_BENCHMARKS_READ_ROOFLINE_H_

#include <cstddef>
#include <cstdint>

namespace kldkit {

// Reads base_words codes and n_vocab floats once; returns a checksum so the
// reads cannot be dropped.
uint32_t SumRowBytes(const uint16_t* base, size_t base_words,
                     const float* model, size_t n_vocab);

}  // namespace kldkit

#endif  // KLDKIT_BENCHMARKS_READ_ROOFLINE_H_
