// Recover: a writer killed mid-file (a forked child that _exits without
// closing) leaves `path`.tmp; every complete block comes back, nothing else.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

constexpr int32_t kVocab = 301;
constexpr uint32_t kPerBlock = 4;

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_rec", name);
}


std::vector<uint16_t> Row(uint64_t r) {
  std::mt19937 rng(static_cast<uint32_t>(r * 13 + 1));
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  for (auto& w : row) w = (rng() & 1) ? static_cast<uint16_t>(rng()) : 0;
  return row;
}

ContainerInfo Info() {
  ContainerInfo info;
  info.header = {16, kVocab, 2};  // 2 chunks of 7 rows
  info.tokens.assign(32, 9);
  return info;
}

// Writes `rows` rows in a child process that dies without Close().
void WriteAndDie(const std::string& path, uint64_t rows, unsigned threads) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ContainerOptions opt;
    opt.rows_per_block = kPerBlock;
    opt.threads = threads;
    auto* w = new ContainerWriter(path, Info(), opt);  // never destroyed
    for (uint64_t r = 0; r < rows; ++r) w->AppendRow(Row(r));
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
}

void ExpectRows(const std::string& path, uint64_t n) {
  ContainerReader r(path);
  ASSERT_EQ(r.RowCount(), n);
  std::vector<uint16_t> row(r.RowWords());
  for (uint64_t i = 0; i < n; ++i) {
    r.ReadRow(i, row);
    EXPECT_EQ(row, Row(i)) << "row " << i;
  }
  EXPECT_EQ(r.Header().n_vocab, kVocab);
  EXPECT_EQ(r.Tokens().size(), 32u);
}

TEST(ContainerRecover, KilledWriterLosesOnlyTheBlockInFlight) {
  const std::string path = TempPath("k.kldz");
  const std::string out = TempPath("k.out.kldz");
  WriteAndDie(path, 10, 1);  // blocks of 4 and 4 written; 2 rows in memory
  EXPECT_NE(access(path.c_str(), F_OK), 0)
      << "incomplete file under final name";
  try {
    ContainerReader r(path + ".tmp");
    FAIL() << "an incomplete file opened as complete";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_TRUNCATED);
  }
  EXPECT_EQ(Recover(path + ".tmp", out), 8u);
  ExpectRows(out, 8);
  // The natural call: recover the temporary into the final name.
  EXPECT_EQ(Recover(path + ".tmp", path), 8u);
  ExpectRows(path, 8);
  // With T threads up to T encoded blocks may still be in memory.
  std::remove(path.c_str());
  WriteAndDie(path, 14, 2);
  const uint64_t got = Recover(path + ".tmp", out);
  EXPECT_TRUE(got == 4 || got == 8 || got == 12) << got;
  ExpectRows(out, got);
  std::remove(path.c_str());
  std::remove((path + ".tmp").c_str());
  std::remove(out.c_str());
}

// Block boundaries read straight from the bytes as docs/FORMAT.md lays them
// out: the end marker's seek table offset, then 16-byte entries (offset u64,
// row count u32, payload size u32) after the table's 16-byte head.
std::vector<uint64_t> BlockEnds(const std::string& bytes) {
  auto le = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= uint64_t{uint8_t(bytes[at + i])} << (8 * i);
    return v;
  };
  const uint64_t table = le(bytes.size() - 40, 8);
  const uint64_t n_blocks = le(table + 8, 8);
  std::vector<uint64_t> ends;
  for (uint64_t b = 0; b < n_blocks; ++b) {
    const size_t e = static_cast<size_t>(table + 16 + 16 * b);
    ends.push_back(le(e, 8) + 48 + le(e + 12, 4));
  }
  return ends;
}

TEST(ContainerRecover, TruncationKeepsTheCompleteBlocks) {
  const std::string full = TempPath("full.kldz");
  const std::string cut = TempPath("cut.kldz");
  const std::string out = TempPath("cut.out.kldz");
  {
    ContainerOptions opt;
    opt.rows_per_block = kPerBlock;
    ContainerWriter w(full, Info(), opt);
    for (uint64_t r = 0; r < 14; ++r) w.AppendRow(Row(r));
    w.Close();
  }
  const std::string bytes = testing::ReadFileBytes(full);
  const std::vector<uint64_t> ends = BlockEnds(bytes);
  ASSERT_EQ(ends.size(), 4u);  // 4 + 4 + 4 + 2 rows
  const uint64_t header = 56 + 32 * 4 + 8;
  // At every block boundary, one byte either side, and mid-block.
  std::vector<uint64_t> cuts = {0, header - 1, header, header + 1,
                                bytes.size()};
  for (size_t b = 0; b < ends.size(); ++b) {
    const uint64_t start = b == 0 ? header : ends[b - 1];
    for (uint64_t n : {ends[b] - 1, ends[b], ends[b] + 1, (start + ends[b]) / 2,
                       start + 47, start + 48}) {
      cuts.push_back(n);
    }
  }
  for (uint64_t n : cuts) {
    std::remove(cut.c_str());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, n);
    uint64_t want = 0;
    for (size_t b = 0; b < ends.size(); ++b) {
      if (n >= ends[b]) want = b < 3 ? 4 * (b + 1) : 14;
    }
    if (n < header) {
      EXPECT_THROW(Recover(cut, out), Error) << "cut " << n;
      continue;
    }
    EXPECT_EQ(Recover(cut, out), want) << "cut " << n;
    ExpectRows(out, want);
  }
  std::remove(full.c_str());
  std::remove(cut.c_str());
  std::remove(out.c_str());
}

TEST(ContainerRecover, StopsAtADamagedBlock) {
  const std::string path = TempPath("d.kldz");
  const std::string out = TempPath("d.out.kldz");
  WriteAndDie(path, 14, 1);  // 3 blocks written, 2 rows in memory
  std::string bytes = testing::ReadFileBytes(path + ".tmp");
  bytes[bytes.size() - 3] ^= 0x10;  // inside block 2's payload
  std::ofstream(path + ".tmp", std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_EQ(Recover(path + ".tmp", out), 8u);
  ExpectRows(out, 8);
  std::remove((path + ".tmp").c_str());
  std::remove(out.c_str());
}

}  // namespace
}  // namespace kldkit
