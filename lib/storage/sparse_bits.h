// The sparse decoder's SIMD bit work, dispatched to the best target
// (sparse_bits-inl.h). Not installed.
#ifndef KLDKIT_LIB_STORAGE_SPARSE_BITS_H_
#define KLDKIT_LIB_STORAGE_SPARSE_BITS_H_

#include <cstddef>
#include <cstdint>

namespace kldkit {
namespace detail {

// Writes mark i (a byte, 0 or 0xFF) of 64 * words marks as bit i % 64 of
// out[i / 64], then sets every mark to 0.
void PackMarks(uint8_t* marks, size_t words, uint64_t* out);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_SPARSE_BITS_H_
