// CRC-32C of the accumulators' serialized states.
#ifndef KLDKIT_LIB_METRICS_CRC32C_H_
#define KLDKIT_LIB_METRICS_CRC32C_H_

#include <cstdint>

#include <gsl/span>

namespace kldkit {
namespace detail {

// CRC-32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF):
// Crc32c("123456789") == 0xE3069283. Detects every error burst up to 32
// bits, so in particular every single-byte change.
uint32_t Crc32c(gsl::span<const uint8_t> bytes);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_CRC32C_H_
