#include "lib/storage/checksum.h"

// Header-only use of Debian's libxxhash-dev: nothing to link, so static
// and shared consumers of kldkit need no extra library.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kldkit {
namespace detail {

uint64_t Checksum64(const void* data, size_t n) {
  return static_cast<uint64_t>(XXH3_64bits(data, n));
}

}  // namespace detail
}  // namespace kldkit
