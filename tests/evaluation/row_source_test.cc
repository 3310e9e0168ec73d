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
#include "kldkit/sparse_rows.hpp"
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
    // A batch that fails part way, asked for again in part: those rows.
    std::unique_ptr<RowSource> fresh = OpenRowSource(kldz_, threads);
    const uint64_t before = got.row - 2;
    SourceRows(*fresh, 0, static_cast<size_t>(before));
    EXPECT_THROW(SourceRows(*fresh, before, 4), Error);
    const std::vector<uint16_t> two = SourceRows(*fresh, before, 2);
    EXPECT_TRUE(std::equal(two.begin(), two.end(),
                           all.begin() + before * words));
  }
}

// Rows [first, first + count) through ReadSparse, made dense again.
std::vector<uint16_t> SparseSourceRows(RowSource& source, uint64_t first,
                                       size_t count) {
  SparseRows sparse(source.NVocab());
  EXPECT_TRUE(source.ReadSparse(first, count, &sparse));
  EXPECT_EQ(sparse.Size(), count);
  const size_t words = LlamaRowWords(source.NVocab());
  std::vector<uint16_t> rows(count * words);
  for (size_t i = 0; i < sparse.Size(); ++i) {
    sparse.ToDense(i, rows.data() + i * words);
  }
  return rows;
}

// ReadSparse (since 0.2) gives ReadU16's rows, in batches, after seeks and
// interleaved with ReadU16 (each with its own cursor), on any thread count;
// a llama.cpp file has no sparse form and says so.
TEST_F(RowSourceTest, ContainerReadsSparseRows) {
  if (!Import()) GTEST_SKIP() << "fixture " << kBase << " not found";
  const std::vector<uint16_t> all = LlamaRows(base_, 0, rows_);
  const size_t words = all.size() / rows_;  // 32,000: no padding word
  auto same = [&](const std::vector<uint16_t>& got, uint64_t first) {
    return std::equal(got.begin(), got.end(), all.begin() + first * words);
  };
  for (size_t threads : {1, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    std::unique_ptr<RowSource> source = OpenRowSource(kldz_, threads);
    uint64_t first = 0;
    for (size_t n = 1; first < rows_; n += 4) {
      const size_t count = std::min<uint64_t>(n * n, rows_ - first);
      ASSERT_TRUE(same(SparseSourceRows(*source, first, count), first))
          << "rows from " << first;
      // The dense cursor reads on from where it was, unmoved by the other.
      ASSERT_TRUE(same(SourceRows(*source, first, 1), first));
      first += count;
    }
    for (uint64_t at : {uint64_t{0}, uint64_t{123}, uint64_t{17}, rows_ - 3}) {
      ASSERT_TRUE(same(SparseSourceRows(*source, at, 3), at)) << "from " << at;
    }
    // Rows are appended to what the buffer holds.
    SparseRows sparse(source->NVocab());
    ASSERT_TRUE(source->ReadSparse(0, 2, &sparse));
    ASSERT_TRUE(source->ReadSparse(2, 1, &sparse));
    EXPECT_EQ(sparse.Size(), 3u);
    SparseRows wrong(source->NVocab() + 1);
    EXPECT_THROW(source->ReadSparse(3, 1, &wrong), Error);
    EXPECT_THROW(source->ReadSparse(rows_ - 1, 2, &sparse), Error);
  }
  std::unique_ptr<RowSource> llama = OpenRowSource(base_, 1);
  SparseRows sparse(llama->NVocab());
  EXPECT_FALSE(llama->ReadSparse(0, 1, &sparse));
  EXPECT_EQ(sparse.Size(), 0u);
}

// The sparse reads of a damaged file fail where the dense ones do, fail
// again when retried, and read on past the bad block.
TEST_F(RowSourceTest, DamagedBlockFailsTheSparseReadsAtTheSameRow) {
  if (!Import()) GTEST_SKIP() << "fixture " << kBase << " not found";
  const std::vector<uint16_t> all = LlamaRows(base_, 0, rows_);
  std::string bytes = ReadFileBytes(kldz_);
  bytes[bytes.size() / 2] ^= 0x40;
  WriteFileBytes(kldz_, bytes);
  const Failure dense = ReadUntilFailure(*OpenRowSource(kldz_, 1), all);
  ASSERT_LT(dense.row, rows_);
  const size_t words = all.size() / rows_;
  for (size_t threads : {1, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    std::unique_ptr<RowSource> source = OpenRowSource(kldz_, threads);
    Failure sparse;
    for (uint64_t r = 0; r < rows_; ++r) {
      try {
        const std::vector<uint16_t> got = SparseSourceRows(*source, r, 1);
        ASSERT_TRUE(std::equal(got.begin(), got.end(),
                               all.begin() + r * words))
            << "row " << r;
      } catch (const Error& e) {
        sparse = {r, e.Status()};
        break;
      }
    }
    EXPECT_EQ(sparse.row, dense.row);
    EXPECT_EQ(sparse.status, dense.status);
    EXPECT_THROW(SparseSourceRows(*source, sparse.row, 1), Error);
    const uint64_t after = sparse.row + kRowsPerBlock;
    const std::vector<uint16_t> rest =
        SparseSourceRows(*source, after, static_cast<size_t>(rows_ - after));
    EXPECT_TRUE(std::equal(rest.begin(), rest.end(),
                           all.begin() + after * words));
    // A batch that fails part way: the rows before the bad block, asked
    // for again, are those rows (the cursor does not stay past them).
    std::unique_ptr<RowSource> fresh = OpenRowSource(kldz_, threads);
    const uint64_t before = sparse.row - 2;
    SparseSourceRows(*fresh, 0, static_cast<size_t>(before));
    EXPECT_THROW(SparseSourceRows(*fresh, before, 4), Error);
    const std::vector<uint16_t> two = SparseSourceRows(*fresh, before, 2);
    EXPECT_TRUE(std::equal(two.begin(), two.end(),
                           all.begin() + before * words));
  }
}

}  // namespace
}  // namespace kldkit
