// Little-endian field encoding for the .kldz container. Not installed.
#ifndef KLDKIT_LIB_STORAGE_CONTAINER_BYTES_H_
#define KLDKIT_LIB_STORAGE_CONTAINER_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

// A bounds-checked reader over bytes of a file: every Get throws FORMAT
// (with `what` in the message) instead of reading past the end.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}

  uint8_t U8() { return static_cast<uint8_t>(GetLE(Take(1), 1)); }
  uint16_t U16() { return static_cast<uint16_t>(GetLE(Take(2), 2)); }
  uint32_t U32() { return static_cast<uint32_t>(GetLE(Take(4), 4)); }
  uint64_t U64() { return GetLE(Take(8), 8); }
  // Returns a pointer to the next `n` bytes and skips them.
  const uint8_t* Take(size_t n);

  size_t Position() const { return pos_; }
  size_t Remaining() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CONTAINER_BYTES_H_
