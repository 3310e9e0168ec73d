// Throw helpers and the thread-local last-error message.
#ifndef KLDKIT_LIB_COMMON_ERROR_H_
#define KLDKIT_LIB_COMMON_ERROR_H_

#include <functional>
#include <string>

#include "kldkit/error.hpp"

namespace kldkit {
namespace detail {

[[noreturn]] void Throw(kldkit_status status, const std::string& message);

// Validates a caller-controlled condition (GSL's Expects would terminate).
inline void Require(bool ok, const char* message) {
  if (!ok) Throw(KLDKIT_ERROR_INVALID_ARGUMENT, message);
}

// Runs `body`; a kldkit::Error escaping it is rethrown with "path: "
// prepended (unless the message already names the path), so every error
// names the file it is about.
void WithFile(const std::string& path, const std::function<void()>& body);

// The C ABI records the message of a failing call here.
void SetLastError(const std::string& message);
const char* LastError();

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_COMMON_ERROR_H_
