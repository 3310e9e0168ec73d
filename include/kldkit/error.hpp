// kldkit::Error: the one exception type of the C++ API.
#ifndef KLDKIT_ERROR_HPP_
#define KLDKIT_ERROR_HPP_

#include <stdexcept>
#include <string>

#include "kldkit.h"

namespace kldkit {

// Carries a kldkit_status (mapped one-to-one by the C ABI and Python) and a
// one-line message.
class Error : public std::runtime_error {
 public:
  Error(kldkit_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  kldkit_status Status() const noexcept { return status_; }

 private:
  kldkit_status status_;
};

}  // namespace kldkit

#endif  // KLDKIT_ERROR_HPP_
