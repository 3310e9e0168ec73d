// C ABI: version, status names, last error, and the shared guard helpers.
// Every body catches all.
#include "kldkit.h"

#include "capi/guard.h"
#include "lib/common/error.h"

#define KLDKIT_STR2(x) #x
#define KLDKIT_STR(x) KLDKIT_STR2(x)

namespace kldkit {
namespace capi {

kldkit_status Fail(kldkit_status status, const char* fn,
                   const char* message) noexcept {
  try {
    std::string line = (message != nullptr && *message != '\0')
                           ? std::string(message)
                           : std::string(fn) + ": " +
                                 kldkit_status_string(status);
    detail::SetLastError(line);
  } catch (...) {
    // Out of memory while copying the message: keep a constant one.
    try {
      detail::SetLastError("out of memory");
    } catch (...) {
    }
  }
  return status;
}

void CheckOpen(bool closed, const char* fn) {
  if (closed) {
    detail::Throw(KLDKIT_ERROR_CLOSED,
                  std::string(fn) + ": the handle is closed");
  }
}

RowView ToRowView(const kldkit_row* row, const char* fn, const char* name) {
  if (row == nullptr) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " is NULL");
  }
  if (row->type > KLDKIT_ROW_LLAMA_U16) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " has unknown row type " +
                      std::to_string(row->type));
  }
  if (row->data == nullptr || row->n_vocab == 0) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name +
                      " has NULL data or n_vocab 0");
  }
  return RowView{row->data, row->n_vocab, static_cast<RowType>(row->type)};
}

}  // namespace capi
}  // namespace kldkit

extern "C" {

unsigned kldkit_version_number(void) { return KLDKIT_VERSION_NUMBER; }

const char* kldkit_version_string(void) {
  return KLDKIT_STR(KLDKIT_VERSION_MAJOR) "." KLDKIT_STR(
      KLDKIT_VERSION_MINOR) "." KLDKIT_STR(KLDKIT_VERSION_PATCH);
}

unsigned kldkit_abi_version(void) { return KLDKIT_ABI_VERSION; }

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
