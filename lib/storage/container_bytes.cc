#include "lib/storage/container_bytes.h"

#include "lib/common/error.h"

namespace kldkit {
namespace detail {

const uint8_t* ByteReader::Take(size_t n) {
  if (n > size_ - pos_) {
    Throw(KLDKIT_ERROR_FORMAT, what_ + ": field runs past the end (" +
                                   std::to_string(size_) + " bytes)");
  }
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

}  // namespace detail
}  // namespace kldkit
