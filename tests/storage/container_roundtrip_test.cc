// .kldz writer and reader on rows made here: everything written is read back
// (random access and cursor), for any thread count the bytes are the same,
// and nothing appears under the final name before Close().
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kldkit/container.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_rt", name);
}



// Row `r` of a vocabulary: every word depends on (r, i), ~half the codes 0.
std::vector<uint16_t> Row(uint64_t r, int32_t n_vocab) {
  std::mt19937 rng(static_cast<uint32_t>(r * 7919 + 1));
  std::vector<uint16_t> row(LlamaRowWords(static_cast<size_t>(n_vocab)));
  for (auto& w : row) w = (rng() & 1) ? static_cast<uint16_t>(rng()) : 0;
  row[0] = static_cast<uint16_t>(r);  // header words never all zero
  return row;
}

ContainerInfo Info(int32_t n_vocab) {
  ContainerInfo info;
  info.header = {8, n_vocab, 3};  // 3 rows per chunk
  for (int i = 0; i < 24; ++i) info.tokens.push_back(i * 31 - 5);
  info.metadata = {{"model", "tiny"}, {"quant", "Q8_0"}, {"empty", ""}};
  return info;
}

void Write(const std::string& path, int32_t n_vocab, uint64_t rows,
           const ContainerOptions& options) {
  ContainerWriter w(path, Info(n_vocab), options);
  for (uint64_t r = 0; r < rows; ++r) w.AppendRow(Row(r, n_vocab));
  EXPECT_EQ(w.RowCount(), rows);
  w.Close();
}

TEST(Container, RoundTripsHeaderTokensMetadataAndRows) {
  const std::string path = TempPath("a.kldz");
  ContainerOptions opt;
  opt.rows_per_block = 4;
  Write(path, 1001, 10, opt);  // blocks of 4, 4, 2 rows; odd vocab
  ContainerReader r(path);
  const ContainerInfo want = Info(1001);
  EXPECT_EQ(r.Header().n_ctx, 8u);
  EXPECT_EQ(r.Header().n_vocab, 1001);
  EXPECT_EQ(r.Header().n_chunk, 3);
  EXPECT_EQ(std::vector<int32_t>(r.Tokens().begin(), r.Tokens().end()),
            want.tokens);
  EXPECT_EQ(r.Metadata(), want.metadata);
  EXPECT_EQ(r.RowCount(), 10u);
  EXPECT_EQ(r.BlockCount(), 3u);
  std::vector<uint16_t> row(r.RowWords());
  for (uint64_t i : {9, 0, 5, 4, 3, 8, 1}) {  // random order crosses blocks
    r.ReadRow(i, row);
    EXPECT_EQ(row, Row(i, 1001)) << "row " << i;
  }
  for (uint64_t first : {0, 3, 4, 10}) {
    auto c = r.Rows(first);
    uint64_t i = first;
    while (c.Next(row)) {
      EXPECT_EQ(row, Row(i, 1001)) << "cursor row " << i;
      ++i;
    }
    EXPECT_EQ(i, 10u);
  }
  EXPECT_EQ(Verify(path), 10u);
  std::remove(path.c_str());
}

// A cursor over [first, end) gives exactly those rows, on any thread count;
// ranges past the end are refused.
TEST(Container, CursorOverARowRange) {
  const std::string path = TempPath("range.kldz");
  ContainerOptions opt;
  opt.rows_per_block = 3;
  Write(path, 301, 10, opt);  // blocks of 3, 3, 3, 1 rows
  ContainerReader r(path);
  std::vector<uint16_t> row(r.RowWords());
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {0, 10}, {1, 2}, {2, 7}, {3, 6}, {9, 10}, {4, 4}, {10, 10}};
  for (const auto& [first, end] : ranges) {
    for (unsigned threads : {1u, 2u, 5u}) {
      auto c = r.Rows(first, end, threads);
      uint64_t i = first;
      while (c.Next(row)) {
        ASSERT_LT(i, end) << first << ".." << end << " on " << threads;
        EXPECT_EQ(row, Row(i, 301)) << "row " << i;
        ++i;
      }
      EXPECT_EQ(i, end) << first << ".." << end << " on " << threads;
    }
  }
  EXPECT_THROW(r.Rows(5, 4, 1), Error);
  EXPECT_THROW(r.Rows(0, 11, 1), Error);
  EXPECT_THROW(r.Rows(0, 10, 0), Error);
  std::remove(path.c_str());
}

TEST(Container, OutputDoesNotDependOnThreads) {
  const std::string one = TempPath("t1.kldz"), three = TempPath("t3.kldz");
  ContainerOptions opt;
  opt.rows_per_block = 2;
  Write(one, 3000, 11, opt);
  opt.threads = 3;
  Write(three, 3000, 11, opt);
  const std::string a = testing::ReadFileBytes(one);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, testing::ReadFileBytes(three));
  std::remove(one.c_str());
  std::remove(three.c_str());
}

TEST(Container, EmptyFileAndDefaultBlocks) {
  const std::string path = TempPath("e.kldz");
  Write(path, 32000, 0, {});
  ContainerReader r(path);
  EXPECT_EQ(r.RowCount(), 0u);
  EXPECT_EQ(r.BlockCount(), 0u);
  std::vector<uint16_t> row(r.RowWords());
  EXPECT_FALSE(r.Rows().Next(row));
  EXPECT_THROW(r.ReadRow(0, row), Error);
  Write(path, 32000, 70, {});  // default: 64 rows of 32000 per block
  EXPECT_EQ(ContainerReader(path).BlockCount(), 2u);
  std::remove(path.c_str());
}

TEST(Container, FileAppearsOnlyOnClose) {
  const std::string path = TempPath("c.kldz");
  {
    ContainerOptions opt;
    opt.rows_per_block = 1;
    ContainerWriter w(path, Info(50), opt);
    w.AppendRow(Row(0, 50));
    EXPECT_FALSE(testing::FileExists(path));
    EXPECT_TRUE(testing::FileExists(path + ".tmp"));
    w.Close();
    EXPECT_TRUE(testing::FileExists(path));
    EXPECT_FALSE(testing::FileExists(path + ".tmp"));
    EXPECT_THROW(w.AppendRow(Row(1, 50)), Error);
  }
  std::remove(path.c_str());
  {
    ContainerWriter w(path, Info(50));
    w.AppendRow(Row(0, 50));
  }  // abandoned: the temporary file goes too
  EXPECT_FALSE(testing::FileExists(path));
  EXPECT_FALSE(testing::FileExists(path + ".tmp"));
}

TEST(Container, RejectsBadArguments) {
  const std::string path = TempPath("b.kldz");
  ContainerWriter w(path, Info(50));
  try {
    w.AppendRow(Row(0, 51));  // 56 words for a 50-vocab file (54 words)
    FAIL() << "accepted a row of another vocabulary";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
  }
  ContainerInfo bad = Info(50);
  bad.tokens.pop_back();
  EXPECT_THROW(ContainerWriter(path, bad), Error);
  bad = Info(0);
  EXPECT_THROW(ContainerWriter(path, bad), Error);
  ContainerOptions opt;
  opt.threads = 0;
  EXPECT_THROW(ContainerWriter(path, Info(50), opt), Error);
  opt.threads = 1;
  opt.level = 1000;
  EXPECT_THROW(ContainerWriter(path, Info(50), opt), Error);
  bad = Info(50);
  bad.metadata[""] = "x";
  EXPECT_THROW(ContainerWriter(path, bad), Error);
}

}  // namespace
}  // namespace kldkit
