// The sparse Cursor (RowForm::kSparse, NextSparse) against the dense one on
// containers written here: the same rows for any thread count, start and
// end, each form refusing the other's reads, and a damaged file failing
// with the same error either way, or, where a change decodes, giving the
// same changed rows.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/error.hpp"
#include "kldkit/sparse_rows.hpp"
#include "lib/storage/checksum.h"
#include "tests/temp_files.h"
#include "tests/vocab_cap.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_sparse", name);
}

// Row r: random heads and padding word; codes 0 with probability 0.8, but
// row 2 all zero and row 3 all non-zero.
std::vector<uint16_t> Row(uint64_t r, size_t n_vocab) {
  std::mt19937 rng(static_cast<uint32_t>(r * 31 + n_vocab));
  std::vector<uint16_t> row(LlamaRowWords(n_vocab));
  for (auto& w : row) w = static_cast<uint16_t>(rng());
  for (size_t v = 0; v < n_vocab; ++v) {
    const bool zero = r == 2 || (r != 3 && rng() % 5 != 0);
    row[4 + v] = zero ? 0 : static_cast<uint16_t>(1 + rng() % 65535);
  }
  return row;
}

void Write(const std::string& path, size_t n_vocab, uint64_t rows,
           uint32_t rows_per_block) {
  ContainerInfo info;
  info.header = {8, static_cast<int32_t>(n_vocab), 4};  // 3 rows a chunk
  info.tokens.assign(32, 1);
  ContainerOptions options;
  options.rows_per_block = rows_per_block;
  ContainerWriter w(path, info, options);
  for (uint64_t r = 0; r < rows; ++r) w.AppendRow(Row(r, n_vocab));
  w.Close();
}

// What a cursor read: the rows (dense; sparse ones through ToDense, both
// with an odd vocabulary's padding word set to 0), then the error, if any.
struct Reading {
  std::vector<std::vector<uint16_t>> rows;
  kldkit_status status = KLDKIT_OK;
  std::string message;
};

Reading ReadDense(const ContainerReader& r, uint64_t first, uint64_t end,
                  unsigned threads) {
  Reading out;
  std::vector<uint16_t> row(r.RowWords());
  try {
    auto c = r.Rows(first, end, threads);
    while (c.Next(row)) {
      out.rows.push_back(row);
      if (r.Header().n_vocab % 2 != 0) out.rows.back()[row.size() - 1] = 0;
    }
  } catch (const Error& e) {
    out.status = e.Status();
    out.message = e.what();
  }
  return out;
}

Reading ReadSparse(const ContainerReader& r, uint64_t first, uint64_t end,
                   unsigned threads) {
  Reading out;
  SparseRows rows(static_cast<size_t>(r.Header().n_vocab));
  std::vector<uint16_t> row(r.RowWords());
  try {
    auto c = r.Rows(first, end, threads, RowForm::kSparse);
    while (c.NextSparse(&rows)) {
      rows.ToDense(rows.Size() - 1, row.data());
      out.rows.push_back(row);
      if (rows.Size() == 4) rows.Reset(rows.NVocab());  // reuse, as batches do
    }
  } catch (const Error& e) {
    out.status = e.Status();
    out.message = e.what();
  }
  return out;
}

TEST(ContainerSparse, SameRowsAsTheDenseCursor) {
  struct File {
    size_t n_vocab;
    uint64_t rows;
    uint32_t per_block;
  };
  const File files[] = {{1001, 11, 3},  // blocks 3, 3, 3, 2; odd vocabulary
                        {64, 7, 1},
                        {testing::CappedVocab(248320), 5, 2}};
  for (const File& f : files) {
    const std::string path = TempPath("rows.kldz");
    Write(path, f.n_vocab, f.rows, f.per_block);
    ContainerReader r(path);
    for (unsigned threads : {1u, 2u, 3u}) {
      for (uint64_t first : {uint64_t{0}, uint64_t{1}, uint64_t{3},
                             f.rows / 2, f.rows - 1, f.rows}) {
        for (uint64_t end : {f.rows, std::min(f.rows, first + 2)}) {
          const std::string what = std::to_string(f.n_vocab) + " [" +
                                   std::to_string(first) + ", " +
                                   std::to_string(end) + ") on " +
                                   std::to_string(threads);
          const Reading dense = ReadDense(r, first, end, threads);
          const Reading sparse = ReadSparse(r, first, end, threads);
          ASSERT_EQ(dense.status, KLDKIT_OK) << what << dense.message;
          ASSERT_EQ(sparse.status, KLDKIT_OK) << what << sparse.message;
          ASSERT_EQ(dense.rows.size(), end - first) << what;
          EXPECT_TRUE(sparse.rows == dense.rows) << what;
          for (uint64_t i = first; i < end; ++i) {  // and the rows written
            std::vector<uint16_t> want = Row(i, f.n_vocab);
            if (f.n_vocab % 2 != 0) want.back() = 0;
            EXPECT_TRUE(sparse.rows[i - first] == want) << what << " row " << i;
          }
        }
      }
    }
    std::remove(path.c_str());
  }
}

TEST(ContainerSparse, EachFormRefusesTheOthersReads) {
  const std::string path = TempPath("forms.kldz");
  Write(path, 100, 4, 2);
  ContainerReader r(path);
  std::vector<uint16_t> row(r.RowWords());
  SparseRows rows(100);
  auto expect_invalid = [](const std::function<void()>& fn, const char* what) {
    try {
      fn();
      ADD_FAILURE() << what << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT) << what;
    }
  };
  auto dense = r.Rows(0, 4, 1, RowForm::kDense);
  expect_invalid([&] { dense.NextSparse(&rows); }, "NextSparse on kDense");
  auto sparse = r.Rows(0, 4, 2, RowForm::kSparse);
  expect_invalid([&] { sparse.Next(row); }, "Next on kSparse");
  SparseRows other(99);
  expect_invalid([&] { sparse.NextSparse(&other); }, "another vocabulary");
  expect_invalid([&] { sparse.NextSparse(nullptr); }, "no buffer");
  expect_invalid([&] { r.Rows(0, 4, 1, static_cast<RowForm>(7)); },
                 "an unknown form");
  // The refusals moved nothing: both cursors still start at row 0.
  ASSERT_TRUE(dense.Next(row));
  EXPECT_EQ(row, Row(0, 100));
  ASSERT_TRUE(sparse.NextSparse(&rows));
  EXPECT_EQ(rows.Size(), 1u);
  EXPECT_EQ(other.Size(), 0u);
  std::remove(path.c_str());
}

uint64_t GetLE(const std::string& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{uint8_t(b[at + i])} << (8 * i);
  return v;
}
void PutLE64(std::string* b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[at + i] = char(v >> (8 * i));
}

// Recomputes the payload and header checksums of every block (offsets from
// docs/FORMAT.md), so that a changed payload byte reaches the codec.
void RepairBlockChecksums(std::string* file) {
  size_t at = GetLE(*file, 16, 8);  // header_size: the first block
  while (at + 48 <= file->size() && file->compare(at, 4, "KZBK") == 0) {
    const size_t payload = GetLE(*file, at + 28, 4);
    if (file->size() - at - 48 < payload) return;  // a damaged size
    PutLE64(file, at + 32, detail::Checksum64(file->data() + at + 48, payload));
    PutLE64(file, at + 40, detail::Checksum64(file->data() + at, 40));
    at += 48 + payload;
  }
}

// Every byte of a small file changed in turn, with and without repaired
// block checksums: both forms end in the same error (status and message)
// or read the same rows, and Verify fails with that error or accepts.
TEST(ContainerSparse, DamageGivesTheSameErrorsAsTheDenseCursor) {
  const std::string path = TempPath("good.kldz");
  Write(path, 37, 7, 3);  // blocks of 3, 3, 1 rows
  const std::string good = testing::ReadFileBytes(path);
  const std::string bad_path = TempPath("bad.kldz");
  size_t failures[2] = {0, 0};
  for (bool repair : {false, true}) {
    for (size_t i = 0; i < good.size(); ++i) {
      for (int flip : {0x01, 0xFF}) {
        std::string bad = good;
        bad[i] = char(bad[i] ^ flip);
        if (repair) RepairBlockChecksums(&bad);
        testing::WriteFileBytes(bad_path, bad);
        const std::string what = "byte " + std::to_string(i) + " ^ " +
                                 std::to_string(flip) +
                                 (repair ? " (checksums repaired)" : "");
        Reading dense, sparse, verify;
        try {
          ContainerReader r(bad_path);
          dense = ReadDense(r, 0, r.RowCount(), 2);
          sparse = ReadSparse(r, 0, r.RowCount(), 2);
        } catch (const Error&) {
          continue;  // the header or seek table: no cursor to compare
        }
        EXPECT_EQ(sparse.status, dense.status) << what;
        EXPECT_EQ(sparse.message, dense.message) << what;
        EXPECT_TRUE(sparse.rows == dense.rows) << what;
        // Verify builds no rows but makes every check the cursors make.
        try {
          EXPECT_EQ(Verify(bad_path, 2), 7u) << what;
        } catch (const Error& e) {
          verify.status = e.Status();
          verify.message = e.what();
        }
        EXPECT_EQ(verify.status, dense.status) << what;
        EXPECT_EQ(verify.message, dense.message) << what;
        failures[repair] += dense.status != KLDKIT_OK;
        if (!repair && dense.status != KLDKIT_OK) {
          EXPECT_TRUE(dense.status == KLDKIT_ERROR_CHECKSUM ||
                      dense.status == KLDKIT_ERROR_FORMAT)
              << what << ": " << dense.message;
        }
      }
    }
  }
  // Both kinds of damage were met: checksums, then the codec's checks.
  EXPECT_GT(failures[0], 100u);
  EXPECT_GT(failures[1], 100u);
  std::remove(path.c_str());
  std::remove(bad_path.c_str());
}

}  // namespace
}  // namespace kldkit
