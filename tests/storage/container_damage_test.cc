// Bad .kldz input gets a clear error, never wrong rows: every truncation,
// every single-byte corruption, wrong magic, a future version, a failing
// disk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "lib/storage/checksum.h"
#include "lib/storage/container_bytes.h"
#include "lib/storage/io_file.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

constexpr int32_t kVocab = 37;
constexpr uint64_t kRows = 7;

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_dmg", name);
}


std::vector<uint16_t> Row(uint64_t r) {
  std::mt19937 rng(static_cast<uint32_t>(r + 100));
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  for (auto& w : row) w = (rng() % 3) ? static_cast<uint16_t>(rng()) : 0;
  return row;
}

// A small file: 7 rows in blocks of 3, 3, 1 rows.
std::string SmallFile() {
  const std::string path = TempPath("small.kldz");
  ContainerInfo info;
  info.header = {4, kVocab, 2};
  info.tokens = {1, 2, 3, 4, 5, 6, 7, 8};
  info.metadata = {{"dataset", "unit"}};
  ContainerOptions opt;
  opt.rows_per_block = 3;
  ContainerWriter w(path, info, opt);
  for (uint64_t r = 0; r < kRows; ++r) w.AppendRow(Row(r));
  w.Close();
  std::string bytes = testing::ReadFileBytes(path);
  std::remove(path.c_str());
  return bytes;
}

// Opens and reads every row; returns the status of the error (OK if none)
// and fails the test if a row read differs from what was written.
kldkit_status ReadAll(const std::string& path) {
  try {
    ContainerReader r(path);
    std::vector<uint16_t> row(r.RowWords());
    for (uint64_t i = 0; i < r.RowCount(); ++i) {
      r.ReadRow(i, row);
      EXPECT_EQ(row, Row(i)) << "wrong row " << i << " returned";
    }
    EXPECT_EQ(Verify(path), kRows);
    return KLDKIT_OK;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()), "");
    return e.Status();
  }
}

TEST(ContainerDamage, IntactFileReads) {
  const std::string path = TempPath("ok.kldz");
  testing::WriteFileBytes(path, SmallFile());
  EXPECT_EQ(ReadAll(path), KLDKIT_OK);
  std::remove(path.c_str());
}

TEST(ContainerDamage, EveryTruncationIsDetected) {
  const std::string bytes = SmallFile();
  const std::string path = TempPath("cut.kldz");
  for (size_t n = 0; n < bytes.size(); ++n) {
    testing::WriteFileBytes(path, bytes.substr(0, n));
    const kldkit_status s = ReadAll(path);
    EXPECT_TRUE(s == KLDKIT_ERROR_TRUNCATED || s == KLDKIT_ERROR_FORMAT)
        << "cut at " << n << ": status " << s;
  }
  std::remove(path.c_str());
}

TEST(ContainerDamage, EverySingleByteCorruptionIsDetected) {
  const std::string bytes = SmallFile();
  const std::string path = TempPath("flip.kldz");
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xFF}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      testing::WriteFileBytes(path, bad);
      EXPECT_NE(ReadAll(path), KLDKIT_OK) << "byte " << i << " ^ " << mask;
    }
  }
  std::remove(path.c_str());
}

TEST(ContainerDamage, WrongMagicAndFutureVersion) {
  const std::string path = TempPath("magic.kldz");
  std::string bad = SmallFile();
  bad[1] = 'X';
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  testing::WriteFileBytes(path, "_logits_ this is a llama.cpp file, not a container");
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  bad = SmallFile();
  bad[8] = 2;  // major version 2 (little-endian uint16 at byte 8)
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_UNSUPPORTED);
  std::remove(path.c_str());
}

TEST(ContainerDamage, HeaderRewrittenWithAValidChecksumIsCaught) {
  // n_vocab 37 -> 39 (byte 28) and the header checksum recomputed: the
  // blocks and the end marker carry the old header's checksum as file id.
  std::string bad = SmallFile();
  const uint64_t header_size = detail::GetLE(
      reinterpret_cast<const uint8_t*>(bad.data()) + 16, 8);
  bad[28] = 39;
  const uint64_t sum = detail::Checksum64(bad.data(), header_size - 8);
  for (int i = 0; i < 8; ++i) {
    bad[header_size - 8 + i] = static_cast<char>(sum >> (8 * i));
  }
  const std::string path = TempPath("vocab.kldz");
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  std::remove(path.c_str());
}

// Every write fails with ENOSPC once `budget` bytes went through.
size_t g_budget = 0;
ssize_t FullDisk(int fd, const void* buf, size_t n) {
  if (g_budget == 0) {
    errno = ENOSPC;
    return -1;
  }
  const size_t put = std::min(n, g_budget);
  g_budget -= put;
  return ::write(fd, buf, put);
}

TEST(ContainerDamage, FullDiskIsReportedAndLeavesNoFile) {
  const size_t size = SmallFile().size();
  const std::string path = TempPath("full.kldz");
  for (size_t budget : {size_t{0}, size_t{100}, size / 2, size - 1}) {
    g_budget = budget;
    detail::SetWriteFunctionForTest(&FullDisk);
    kldkit_status status = KLDKIT_OK;
    try {
      ContainerInfo info;
      info.header = {4, kVocab, 2};
      info.tokens = {1, 2, 3, 4, 5, 6, 7, 8};
      info.metadata = {{"dataset", "unit"}};
      ContainerOptions opt;
      opt.rows_per_block = 3;
      ContainerWriter w(path, info, opt);
      for (uint64_t r = 0; r < kRows; ++r) w.AppendRow(Row(r));
      w.Close();
    } catch (const Error& e) {
      status = e.Status();
    }
    detail::SetWriteFunctionForTest(nullptr);
    EXPECT_EQ(status, KLDKIT_ERROR_IO) << "budget " << budget;
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "complete-looking file left";
    EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0) << "temporary left";
  }
}

}  // namespace
}  // namespace kldkit
