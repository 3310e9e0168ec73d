// An environment variable set for one scope and restored after it, for
// tests of settings read from the environment (KLDKIT_READ). Set it only
// while no other thread reads the environment.
#ifndef KLDKIT_TESTS_SCOPED_ENV_H_
#define KLDKIT_TESTS_SCOPED_ENV_H_

#include <cstdlib>
#include <string>

namespace kldkit {
namespace testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, old_;
  bool had_ = false;
};

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_SCOPED_ENV_H_
