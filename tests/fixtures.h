// Locating the real llama.cpp fixture files (shared/fixtures/llamacpp/).
// They are not in the repository: tests skip with a clear message when the
// folder is absent (a user's clone), and .ci/run fails in that case.
#ifndef KLDKIT_TESTS_FIXTURES_H_
#define KLDKIT_TESTS_FIXTURES_H_

#include <cstdlib>
#include <string>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace kldkit {
namespace testing {

// KLDKIT_FIXTURES from the environment, else the folder CMake was given.
inline std::string FixturesDir() {
  const char* env = std::getenv("KLDKIT_FIXTURES");
  if (env != nullptr && *env != '\0') return env;
  return KLDKIT_FIXTURES_DIR;
}

// Path of <folder>/<name> in the fixtures folder, or "" if it is missing.
inline std::string FixtureIn(const std::string& folder,
                             const std::string& name) {
  const std::string path = FixturesDir() + "/" + folder + "/" + name;
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? path : std::string();
}

// Path of llamacpp/<name> in the fixtures folder, or "" if it is missing.
inline std::string LlamaFixture(const std::string& name) {
  return FixtureIn("llamacpp", name);
}

}  // namespace testing
}  // namespace kldkit

// Skips the current test unless the fixture exists; binds its path to `var`.
#define KLDKIT_REQUIRE_FIXTURE(var, name)                                    \
  const std::string var = ::kldkit::testing::LlamaFixture(name);             \
  if (var.empty())                                                           \
  GTEST_SKIP() << "fixture " << name << " not found under "                  \
               << ::kldkit::testing::FixturesDir()                           \
               << "/llamacpp (set KLDKIT_FIXTURES to shared/fixtures)"

// As KLDKIT_REQUIRE_FIXTURE for <folder>/<name> (llamacpp, ik_llama).
#define KLDKIT_REQUIRE_FIXTURE_IN(var, folder, name)                         \
  const std::string var = ::kldkit::testing::FixtureIn(folder, name);        \
  if (var.empty())                                                           \
  GTEST_SKIP() << "fixture " << folder << "/" << name << " not found under " \
               << ::kldkit::testing::FixturesDir()                           \
               << " (set KLDKIT_FIXTURES to shared/fixtures)"

#endif  // KLDKIT_TESTS_FIXTURES_H_
