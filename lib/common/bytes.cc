#include "lib/common/bytes.h"

#include <cstring>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {

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

void ByteReader::Short(const char* where) const {
  Throw(status_, what_ + " ends inside " + where + " (" +
                     std::to_string(bytes_.size()) + " bytes)");
}

const uint8_t* ByteReader::Take(uint64_t n) {
  if (n > Remaining()) Short("a field");
  const uint8_t* p = bytes_.data() + pos_;
  pos_ += static_cast<size_t>(n);
  return p;
}

ByteReader ByteReader::Sub(uint64_t n) {
  if (n > Remaining()) Short("a section");
  ByteReader sub(bytes_.subspan(pos_, static_cast<size_t>(n)), status_, what_);
  pos_ += static_cast<size_t>(n);
  return sub;
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

}  // namespace detail
}  // namespace kldkit
