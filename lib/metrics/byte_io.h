// Little-endian byte writer/reader and CRC-32C for accumulator states.
#ifndef KLDKIT_LIB_METRICS_BYTE_IO_H_
#define KLDKIT_LIB_METRICS_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gsl/span>

namespace kldkit {
namespace detail {

// CRC-32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF):
// Crc32c("123456789") == 0xE3069283. Detects every error burst up to 32
// bits, so in particular every single-byte change.
uint32_t Crc32c(gsl::span<const uint8_t> bytes);

// Appends fixed-width little-endian values; floats as their IEEE bits, so
// the bytes do not depend on the host.
class ByteWriter {
 public:
  void U8(uint8_t v) { bytes_.push_back(v); }
  void U32(uint32_t v) { Uint(v, 4); }
  void U64(uint64_t v) { Uint(v, 8); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void F32(float v);
  void F64(double v);
  // Overwrites 8 bytes at `at` (for a length known only later).
  void PatchU64(size_t at, uint64_t v);
  size_t Size() const { return bytes_.size(); }
  std::vector<uint8_t>& Bytes() { return bytes_; }

 private:
  void Uint(uint64_t v, int n);
  std::vector<uint8_t> bytes_;
};

// Reads the same; running past the end throws TRUNCATED.
class ByteReader {
 public:
  explicit ByteReader(gsl::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Uint(4)); }
  uint64_t U64() { return Uint(8); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  float F32();
  double F64();
  size_t Position() const { return pos_; }
  size_t Remaining() const { return bytes_.size() - pos_; }
  // A reader over the next n bytes; advances past them.
  ByteReader Sub(uint64_t n);

 private:
  uint64_t Uint(int n);
  gsl::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_BYTE_IO_H_
