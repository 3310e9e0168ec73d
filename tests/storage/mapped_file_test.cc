// MappedFile: the mapping holds the file's bytes; a file that shrinks under
// its mapping makes reads past its new end give zeros and Lost(), never a
// SIGBUS that kills the process; a SIGBUS from elsewhere still does.
#include "lib/storage/mapped_file.h"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/error.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using detail::MappedFile;

std::string WriteBytes(const std::string& name, size_t n) {
  const std::string path = testing::TempPath("mapped", name);
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_EQ(std::fwrite(bytes.data(), 1, n, f), n);
  std::fclose(f);
  return path;
}

TEST(MappedFile, HoldsTheFilesBytes) {
  const size_t n = 3 * 4096 + 5;
  const std::string path = WriteBytes("bytes.bin", n);
  MappedFile m(path);
  ASSERT_EQ(m.Size(), n);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(m.Data()[i], static_cast<uint8_t>(i * 7 + 1)) << i;
  }
  EXPECT_TRUE(m.Prefault(0, n));
  EXPECT_FALSE(m.Lost());
  EXPECT_NO_THROW(m.CheckNotLost());
}

TEST(MappedFile, AFileThatShrinksGivesZerosAndLostNotACrash) {
  const size_t n = 64 * 1024;
  const std::string path = WriteBytes("bytes.bin", n);
  MappedFile m(path);
  EXPECT_EQ(m.Data()[100], static_cast<uint8_t>(100 * 7 + 1));
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  EXPECT_EQ(m.Data()[100], static_cast<uint8_t>(100 * 7 + 1));  // still there
  EXPECT_FALSE(m.Lost());
  const volatile uint8_t past = m.Data()[40000];  // SIGBUS without the guard
  EXPECT_EQ(past, 0);
  EXPECT_TRUE(m.Lost());
  EXPECT_FALSE(m.Prefault(0, n));
  try {
    m.CheckNotLost();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_TRUNCATED);
    EXPECT_NE(std::string(e.what()).find("bytes.bin"), std::string::npos);
  }
}

TEST(MappedFile, OtherSigbusStillKills) {
  const std::string path = WriteBytes("other.bin", 4096);
  // The default action kills by SIGBUS; under a sanitizer its own handler
  // (the one before kldkit's) reports and aborts. Either way: death.
  EXPECT_DEATH(
      {
        MappedFile m(path);
        raise(SIGBUS);
      },
      "");
}

TEST(MappedFile, MissingOrEmptyFilesThrow) {
  EXPECT_THROW(MappedFile m(testing::TempPath("mapped", "none")), Error);
  const std::string empty = testing::TempPath("mapped", "empty");
  std::fclose(std::fopen(empty.c_str(), "wb"));
  EXPECT_THROW(MappedFile m(empty), Error);
}

}  // namespace
}  // namespace kldkit
