#include "lib/common/error.h"

namespace kldkit {
namespace detail {
namespace {
thread_local std::string g_last_error;
}  // namespace

void Throw(kldkit_status status, const std::string& message) {
  throw Error(status, message);
}

void WithFile(const std::string& path, const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find(path) != std::string::npos) throw;
    throw Error(e.Status(), path + ": " + message);
  }
}

void SetLastError(const std::string& message) { g_last_error = message; }
const char* LastError() { return g_last_error.c_str(); }

}  // namespace detail
}  // namespace kldkit
