// 64-bit checksums of the .kldz container (XXH3-64, seed 0), from Debian's
// libxxhash: libzstd does not export its XXH64. Not installed.
#ifndef KLDKIT_LIB_STORAGE_CHECKSUM_H_
#define KLDKIT_LIB_STORAGE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

namespace kldkit {
namespace detail {

// XXH3_64bits(data, n): ~20 GB/s, so checking every block costs little
// next to decompression.
uint64_t Checksum64(const void* data, size_t n);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CHECKSUM_H_
