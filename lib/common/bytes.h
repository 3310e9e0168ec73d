// Little-endian byte encoding shared by every format kldkit writes: the
// .kldz container's fields and the accumulators' serialized states. Floats
// travel as their IEEE bits, so the bytes do not depend on the host.
// Not installed.
#ifndef KLDKIT_LIB_COMMON_BYTES_H_
#define KLDKIT_LIB_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/error.hpp"

namespace kldkit {
namespace detail {

// Appends `value` as `n` little-endian bytes.
inline void PutLE(std::vector<uint8_t>* out, uint64_t value, int n) {
  for (int i = 0; i < n; ++i)
    out->push_back(static_cast<uint8_t>(value >> (8 * i)));
}
inline void PutU8(std::vector<uint8_t>* out, uint8_t v) { out->push_back(v); }
inline void PutU16(std::vector<uint8_t>* out, uint16_t v) { PutLE(out, v, 2); }
inline void PutU32(std::vector<uint8_t>* out, uint32_t v) { PutLE(out, v, 4); }
inline void PutU64(std::vector<uint8_t>* out, uint64_t v) { PutLE(out, v, 8); }
inline void PutBytes(std::vector<uint8_t>* out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out->insert(out->end(), b, b + n);
}

inline uint64_t GetLE(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Appends fixed-width fields to a byte vector it owns.
class ByteWriter {
 public:
  void U8(uint8_t v) { PutU8(&bytes_, v); }
  void U32(uint32_t v) { PutU32(&bytes_, v); }
  void U64(uint64_t v) { PutU64(&bytes_, v); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void F32(float v);
  void F64(double v);
  // Overwrites 8 bytes at `at` (for a length known only later).
  void PatchU64(size_t at, uint64_t v);
  size_t Size() const { return bytes_.size(); }
  std::vector<uint8_t>& Bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// A bounds-checked reader over bytes a file or a caller controls: reading
// past the end throws `status` with "<what> ends inside a field" (or "a
// section", for Sub), never reads out of bounds.
class ByteReader {
 public:
  ByteReader(gsl::span<const uint8_t> bytes, kldkit_status status,
             std::string what)
      : bytes_(bytes), status_(status), what_(std::move(what)) {}

  uint8_t U8() { return static_cast<uint8_t>(GetLE(Take(1), 1)); }
  uint16_t U16() { return static_cast<uint16_t>(GetLE(Take(2), 2)); }
  uint32_t U32() { return static_cast<uint32_t>(GetLE(Take(4), 4)); }
  uint64_t U64() { return GetLE(Take(8), 8); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  float F32();
  double F64();
  // The next `n` bytes (skipped).
  const uint8_t* Take(uint64_t n);
  // A reader over the next `n` bytes, with the same status and name.
  ByteReader Sub(uint64_t n);

  size_t Position() const { return pos_; }
  size_t Remaining() const { return bytes_.size() - pos_; }

 private:
  [[noreturn]] void Short(const char* where) const;
  gsl::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  kldkit_status status_;
  std::string what_;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_COMMON_BYTES_H_
