// Seeded random damage to .kldz files (bursts of byte changes, cuts,
// insertions, swapped blocks): the reader, Verify and Recover either throw
// kldkit::Error or return exactly the rows that were written. A fuzzer
// stand-in that runs under ctest with no fuzzing engine installed.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/container.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

constexpr int32_t kVocab = 129;

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_fuzz", name);
}

std::vector<uint16_t> Row(uint64_t r) {
  std::mt19937 rng(static_cast<uint32_t>(r * 31 + 3));
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  // Sparse and dense rows alternate so both map kinds are exercised.
  const uint32_t keep = r % 2 == 0 ? 2 : 20;
  for (auto& w : row) w = (rng() % keep == 0) ? static_cast<uint16_t>(rng()) : 0;
  return row;
}

std::string Build(const std::string& path, uint64_t rows) {
  ContainerInfo info;
  info.header = {4, kVocab, 5};
  info.tokens.assign(20, 3);
  info.metadata = {{"producer", "fuzz"}};
  ContainerOptions opt;
  opt.rows_per_block = 2;
  ContainerWriter w(path, info, opt);
  for (uint64_t r = 0; r < rows; ++r) w.AppendRow(Row(r));
  w.Close();
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Reads what it can; every row it returns must be the row written.
void ReadChecked(const std::string& path) {
  try {
    ContainerReader r(path);
    std::vector<uint16_t> row(r.RowWords());
    ASSERT_EQ(r.RowWords(), LlamaRowWords(kVocab));
    auto c = r.Rows();
    for (uint64_t i = 0; c.Next(row); ++i) {
      ASSERT_EQ(row, Row(i)) << "wrong row " << i;
    }
  } catch (const Error&) {
  }
  const std::string out = path + ".rec";
  try {
    const uint64_t n = Recover(path, out);
    ContainerReader r(out);
    ASSERT_EQ(r.RowCount(), n);
    std::vector<uint16_t> row(r.RowWords());
    for (uint64_t i = 0; i < n; ++i) {
      r.ReadRow(i, row);
      ASSERT_EQ(row, Row(i)) << "wrong recovered row " << i;
    }
  } catch (const Error&) {
  }
  std::remove(out.c_str());
}

TEST(ContainerFuzz, RandomDamageNeverYieldsWrongRows) {
  const std::string path = TempPath("f.kldz");
  const std::string good = Build(path, 9);
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 400; ++iter) {
    std::string bad = good;
    const int kind = iter % 4;
    const size_t at = rng() % bad.size();
    if (kind == 0) {  // a burst of random bytes
      for (size_t i = at; i < std::min(bad.size(), at + 1 + rng() % 16); ++i) {
        bad[i] = static_cast<char>(rng());
      }
    } else if (kind == 1) {  // cut, then maybe garbage appended
      bad.resize(at);
      if (rng() % 2) bad.append(std::string(rng() % 64, static_cast<char>(rng())));
    } else if (kind == 2) {  // bytes inserted
      bad.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng())));
    } else {  // a span copied over another (moves block-like bytes around)
      const size_t from = rng() % bad.size();
      const size_t n = std::min({bad.size() - from, bad.size() - at,
                                 size_t{1} + rng() % 200});
      bad.replace(at, n, good.substr(from, n));
      if (bad == good) continue;
    }
    std::remove(path.c_str());
    std::ofstream(path, std::ios::binary) << bad;
    ReadChecked(path);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kldkit
