// C ABI: version, status names, last error. Every body catches all.
#include "kldkit.h"

#include "lib/common/error.h"

#define KLDKIT_STR2(x) #x
#define KLDKIT_STR(x) KLDKIT_STR2(x)

extern "C" {

unsigned kldkit_version_number(void) { return KLDKIT_VERSION_NUMBER; }

const char* kldkit_version_string(void) {
  return KLDKIT_STR(KLDKIT_VERSION_MAJOR) "." KLDKIT_STR(
      KLDKIT_VERSION_MINOR) "." KLDKIT_STR(KLDKIT_VERSION_PATCH);
}

const char* kldkit_status_string(kldkit_status status) {
  switch (status) {
    case KLDKIT_OK: return "ok";
    case KLDKIT_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case KLDKIT_ERROR_NON_FINITE: return "non-finite value";
    case KLDKIT_ERROR_OUT_OF_MEMORY: return "out of memory";
    case KLDKIT_ERROR_IO: return "I/O error";
    case KLDKIT_ERROR_FORMAT: return "invalid format";
    case KLDKIT_ERROR_TRUNCATED: return "truncated input";
    case KLDKIT_ERROR_CHECKSUM: return "checksum mismatch";
    case KLDKIT_ERROR_MISMATCH: return "inputs do not match";
    case KLDKIT_ERROR_INCOMPATIBLE: return "incompatible configuration";
    case KLDKIT_ERROR_UNSUPPORTED: return "unsupported";
    case KLDKIT_ERROR_CANCELLED: return "cancelled";
    case KLDKIT_ERROR_CLOSED: return "handle closed";
    case KLDKIT_ERROR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* kldkit_last_error(void) { return kldkit::detail::LastError(); }

}  // extern "C"
