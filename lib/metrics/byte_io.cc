#include "lib/metrics/byte_io.h"

#include <array>
#include <cstring>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {
namespace {

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t Crc32c(gsl::span<const uint8_t> bytes) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (const uint8_t b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void ByteWriter::Uint(uint64_t v, int n) {
  for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::F32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  U32(bits);
}

void ByteWriter::F64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  U64(bits);
}

void ByteWriter::PatchU64(size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes_[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t ByteReader::Uint(int n) {
  if (Remaining() < static_cast<size_t>(n)) {
    Throw(KLDKIT_ERROR_TRUNCATED, "accumulator state ends inside a field");
  }
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{bytes_[pos_ + i]} << (8 * i);
  pos_ += static_cast<size_t>(n);
  return v;
}

float ByteReader::F32() {
  const uint32_t bits = U32();
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

double ByteReader::F64() {
  const uint64_t bits = U64();
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

ByteReader ByteReader::Sub(uint64_t n) {
  if (Remaining() < n) {
    Throw(KLDKIT_ERROR_TRUNCATED, "accumulator state ends inside a section");
  }
  ByteReader sub(bytes_.subspan(pos_, static_cast<size_t>(n)));
  pos_ += static_cast<size_t>(n);
  return sub;
}

}  // namespace detail
}  // namespace kldkit
