// The engine's row sources on the real llama.cpp fixture: a .kldz base read on
// 1..7 decoding threads gives the llama.cpp file's rows in order (batches of
// any size, seeks back and forth), and a damaged block fails at the same
// row whatever the thread count, with the rows before it intact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/error.hpp"
#include "kldkit/evaluate.hpp"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using ::kldkit::testing::ReadFileBytes;
using ::kldkit::testing::TempPath;
using ::kldkit::testing::WriteFileBytes;

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr uint32_t kRowsPerBlock = 5;  // 51 blocks: the read-ahead wraps

// Rows [first, first + count) of the llama.cpp file, the reference.
std::vector<uint16_t> LlamaRows(const std::string& path, uint64_t first,
                                size_t count) {
  LlamaFileReader reader(path);
  const size_t words = reader.RowWords();
  std::vector<uint16_t> rows(count * words);
  for (size_t i = 0; i < count; ++i) {
    reader.ReadRow(first + i, {rows.data() + i * words, words});
  }
  return rows;
}

std::vector<uint16_t> SourceRows(RowSource& source, uint64_t first,
                                 size_t count) {
  std::vector<uint16_t> rows(count * LlamaRowWords(source.NVocab()));
  source.ReadU16(first, count, rows.data());
  return rows;
}

class RowSourceTest : public ::testing::Test {
 protected:
  // Imports the fixture with small blocks; false (and a skip) without it.
  bool Import() {
    base_ = ::kldkit::testing::LlamaFixture(kBase);
    if (base_.empty()) return false;
    ContainerOptions options;
    options.rows_per_block = kRowsPerBlock;
    rows_ = ImportLlamaFile(base_, kldz_, options);
    return true;
  }
  void TearDown() override { std::remove(kldz_.c_str()); }

  std::string base_;
  std::string kldz_ = TempPath("row_source", "base.kldz");
  uint64_t rows_ = 0;
};

TEST_F(RowSourceTest, ContainerRowsDoNotDependOnThreads) {
  if (!Import()) GTEST_SKIP() << "fixture " << kBase << " not found";
  ASSERT_EQ(rows_, 252u);
  const std::vector<uint16_t> all = LlamaRows(base_, 0, rows_);
  const size_t words = all.size() / rows_;
  for (size_t threads : {1, 2, 3, 7}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    std::unique_ptr<RowSource> source = OpenRowSource(kldz_, threads);
    // Sequential batches of sizes that straddle blocks: 1, 4, 9, 16, ...
    uint64_t first = 0;
    for (size_t n = 1; first < rows_; n += 3) {
      const size_t count = std::min<uint64_t>(n * n, rows_ - first);
      const std::vector<uint16_t> got = SourceRows(*source, first, count);
      ASSERT_TRUE(std::equal(got.begin(), got.end(),
                             all.begin() + first * words))
          << "rows from " << first;
      first += count;
    }
    // Seeks: back to the start, into the middle of a block, to the end.
    for (uint64_t at : {uint64_t{0}, uint64_t{123}, uint64_t{17}, rows_ - 3}) {
      const std::vector<uint16_t> got = SourceRows(*source, at, 3);
      ASSERT_TRUE(std::equal(got.begin(), got.end(), all.begin() + at * words))
          << "rows from " << at;
    }
  }
}

// Index of the first row that fails, and the error's status; rows before it
// must equal the reference.
struct Failure {
  uint64_t row = UINT64_MAX;
  kldkit_status status = KLDKIT_OK;
};

Failure ReadUntilFailure(RowSource& source, const std::vector<uint16_t>& all) {
  const size_t words = LlamaRowWords(source.NVocab());
  Failure failure;
  for (uint64_t r = 0; r < source.Rows(); ++r) {
    try {
      const std::vector<uint16_t> got = SourceRows(source, r, 1);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), all.begin() + r * words))
          << "row " << r;
    } catch (const Error& e) {
      failure.row = r;
      failure.status = e.Status();
      break;
    }
  }
  return failure;
}

TEST_F(RowSourceTest, DamagedBlockFailsAtTheSameRowForAnyThreads) {
  if (!Import()) GTEST_SKIP() << "fixture " << kBase << " not found";
  const std::vector<uint16_t> all = LlamaRows(base_, 0, rows_);
  std::string bytes = ReadFileBytes(kldz_);
  bytes[bytes.size() / 2] ^= 0x40;  // inside some block in the middle
  WriteFileBytes(kldz_, bytes);

  std::unique_ptr<RowSource> one = OpenRowSource(kldz_, 1);
  const Failure expected = ReadUntilFailure(*one, all);
  ASSERT_LT(expected.row, rows_) << "the damage went unnoticed";
  EXPECT_GT(expected.row, 0u);
  EXPECT_EQ(expected.row % kRowsPerBlock, 0u) << "fails at a block's start";
  EXPECT_TRUE(expected.status == KLDKIT_ERROR_CHECKSUM ||
              expected.status == KLDKIT_ERROR_FORMAT)
      << expected.status;
  for (size_t threads : {2, 3, 7}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    std::unique_ptr<RowSource> source = OpenRowSource(kldz_, threads);
    const Failure got = ReadUntilFailure(*source, all);
    EXPECT_EQ(got.row, expected.row);
    EXPECT_EQ(got.status, expected.status);
    // The same rows fail again, and the source reads on past the block.
    EXPECT_THROW(SourceRows(*source, got.row, 1), Error);
    const uint64_t after = got.row + kRowsPerBlock;
    ASSERT_LT(after, rows_);
    const std::vector<uint16_t> rest =
        SourceRows(*source, after, static_cast<size_t>(rows_ - after));
    const size_t words = rest.size() / (rows_ - after);
    EXPECT_TRUE(std::equal(rest.begin(), rest.end(),
                           all.begin() + after * words));
  }
}

}  // namespace
}  // namespace kldkit
