// The read-path choice: KLDKIT_READ parsed strictly; map and copy obeyed
// as asked; the probe times both ways on enough rows and declines to guess
// on too few; a file that cannot be mapped is copied.
#include "lib/storage/map_or_copy.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/error.hpp"
#include "tests/scoped_env.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using detail::MapIfCheaper;
using detail::ReadPath;
using detail::ReadPathFromEnv;
using testing::ScopedEnv;

std::string WriteOnes(const std::string& name, size_t n) {
  const std::string path = testing::TempPath("map_or_copy", name);
  std::vector<uint8_t> bytes(n, 1);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (n > 0) EXPECT_EQ(std::fwrite(bytes.data(), 1, n, f), n);
  std::fclose(f);
  return path;
}

TEST(ReadPath, TheEnvironmentIsParsedStrictly) {
  {
    ScopedEnv env("KLDKIT_READ", nullptr);
    EXPECT_EQ(ReadPathFromEnv(), ReadPath::kAuto);
  }
  for (const auto& [value, want] :
       {std::pair<const char*, ReadPath>{"auto", ReadPath::kAuto},
        {"", ReadPath::kAuto}, {"map", ReadPath::kMap},
        {"copy", ReadPath::kCopy}}) {
    ScopedEnv env("KLDKIT_READ", value);
    EXPECT_EQ(ReadPathFromEnv(), want) << value;
  }
  ScopedEnv env("KLDKIT_READ", "mmap");
  try {
    ReadPathFromEnv();
    ADD_FAILURE() << "KLDKIT_READ=mmap was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("mmap"), std::string::npos);
  }
}

TEST(ReadPath, MapAndCopyAreObeyed) {
  const size_t stride = 4096 * 3;
  const std::string path = WriteOnes("obeyed.bin", 100 + stride * 10);
  {
    ScopedEnv env("KLDKIT_READ", "map");
    EXPECT_NE(MapIfCheaper(path, 100, stride, 10), nullptr);
  }
  {
    ScopedEnv env("KLDKIT_READ", "copy");
    EXPECT_EQ(MapIfCheaper(path, 100, stride, 10), nullptr);
  }
  std::remove(path.c_str());
}

TEST(ReadPath, TheProbeTimesBothWaysOnEnoughRows) {
  const size_t stride = 1 << 20;
  const std::string path = WriteOnes("probe.bin", 64 + stride * 8);
  const detail::MappedFile file(path);
  const detail::ReadProbe p = detail::ProbeReadPath(file, 64, stride, 8);
  EXPECT_GT(p.map, 0);
  EXPECT_GT(p.copy, 0);
  EXPECT_LT(p.map, 10.0);  // a real time, not the "untimed" sentinel
  EXPECT_LT(p.copy, 10.0);
  // One try needs 2 MiB of rows: a single 1 MiB row is too few to tell.
  const detail::ReadProbe few = detail::ProbeReadPath(file, 64, stride, 1);
  EXPECT_EQ(few.map, 0);
  EXPECT_EQ(few.copy, 0);
  EXPECT_FALSE(few.MapPays());
  // Rows the header claims past the file's end are not timed either.
  const detail::ReadProbe past =
      detail::ProbeReadPath(file, 64 + 7 * stride, stride, 8);
  EXPECT_FALSE(past.MapPays());
  ScopedEnv env("KLDKIT_READ", "auto");
  EXPECT_NO_THROW(MapIfCheaper(path, 64, stride, 8));  // either choice
  std::remove(path.c_str());
}

TEST(ReadPath, AnEmptyFileIsCopied) {
  const std::string path = WriteOnes("empty.bin", 0);
  ScopedEnv env("KLDKIT_READ", "map");
  EXPECT_EQ(MapIfCheaper(path, 0, 64, 0), nullptr);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kldkit
