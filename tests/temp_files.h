// Scratch files for tests: unique paths under gtest's temporary folder and
// whole-file reads and writes.
#ifndef KLDKIT_TESTS_TEMP_FILES_H_
#define KLDKIT_TESTS_TEMP_FILES_H_

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace kldkit {
namespace testing {

// <TempDir>kldkit_<tag>_<pid>_<name>: distinct per test binary and process.
inline std::string TempPath(const std::string& tag, const std::string& name) {
  return ::testing::TempDir() + "kldkit_" + tag + "_" +
         std::to_string(getpid()) + "_" + name;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Removes first: ext4 flushes a file truncated and rewritten in place
// (auto_da_alloc), which makes tests that rewrite files often slow.
inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::remove(path.c_str());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool FileExists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_TEMP_FILES_H_
