#include "lib/common/error.h"

namespace kldkit {
namespace detail {
namespace {
thread_local std::string g_last_error;
}  // namespace

void Throw(kldkit_status status, const std::string& message) {
  throw Error(status, message);
}

void SetLastError(const std::string& message) { g_last_error = message; }
const char* LastError() { return g_last_error.c_str(); }

}  // namespace detail
}  // namespace kldkit
