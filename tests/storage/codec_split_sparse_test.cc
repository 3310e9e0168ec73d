// The split codec's sparse decoder (SplitCodec::WriteSparse) against the
// rows it was given: for both maps, both code orders, all-zero and
// all-non-zero rows and vocabularies around the 64-bit word, each sparse
// row's bitmap and codes equal those built here from the dense row, and
// ToDense gives back the dense decoder's rows, which are the rows given.
// The round trips, PackMarks and ExpandRow (the dense decoder's) run on
// every compiled Highway target.
#include <gtest/gtest.h>
#include <hwy/tests/hwy_gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/row.hpp"
#include "kldkit/sparse_rows.hpp"
#include "lib/storage/codec_split.h"
#include "lib/storage/codec_split_simd.h"
#include "tests/vocab_cap.h"

// Outside kldkit::, whose namespace kldkit::testing would hide ::testing
// from hwy's test macros.
namespace {

using kldkit::Error;
using kldkit::LlamaRowHeader;
using kldkit::LlamaRowWords;
using kldkit::ReadLlamaRowHeader;
using kldkit::SparseLlamaRow;
using kldkit::SparseRows;
using kldkit::SparseWords;
using kldkit::detail::CodeOrder;
using kldkit::detail::PackMarks;
using kldkit::detail::SplitCodec;
using kldkit::detail::SplitCodecOptions;

// Rows with random head words, each code 0 with probability zero_share and
// otherwise uniform in 1..65535, and a random padding word (odd n_vocab).
std::vector<uint16_t> RandomRows(size_t rows, size_t n_vocab,
                                 double zero_share, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution zero(zero_share);
  std::uniform_int_distribution<int> code(1, 65535);
  const size_t words = LlamaRowWords(n_vocab);
  std::vector<uint16_t> out(rows * words);
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint16_t(rng());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t v = 0; v < n_vocab; ++v) {
      out[r * words + 4 + v] = zero(rng) ? 0 : uint16_t(code(rng));
    }
  }
  return out;
}

// The expected sparse form of one dense row, written out bit by bit.
struct Expected {
  std::vector<uint64_t> bits;
  std::vector<uint16_t> codes;
};
Expected Sparsify(const uint16_t* row, size_t n_vocab) {
  Expected e;
  e.bits.assign(SparseWords(n_vocab), 0);
  for (size_t v = 0; v < n_vocab; ++v) {
    if (row[4 + v] == 0) continue;
    e.bits[v / 64] |= uint64_t{1} << (v % 64);
    e.codes.push_back(row[4 + v]);
  }
  return e;
}

// Checks sparse rows [first, first + count) of `got` against the dense
// rows `want` (count of them): header, bitmap, codes, and ToDense (which
// writes 0 where an odd vocabulary's padding word was).
void ExpectSameRows(const SparseRows& got, size_t first,
                    const std::vector<uint16_t>& want, size_t n_vocab,
                    const std::string& what) {
  const size_t words = LlamaRowWords(n_vocab);
  const size_t count = want.size() / words;
  ASSERT_GE(got.Size(), first + count) << what;
  std::vector<uint16_t> dense(words);
  for (size_t r = 0; r < count; ++r) {
    const uint16_t* row = want.data() + r * words;
    const SparseLlamaRow s = got.Row(first + r);
    const LlamaRowHeader h = ReadLlamaRowHeader(row);
    EXPECT_EQ(std::memcmp(&s.header, &h, sizeof(h)), 0) << what << " row " << r;
    const Expected e = Sparsify(row, n_vocab);
    ASSERT_EQ(s.count, e.codes.size()) << what << " row " << r;
    EXPECT_TRUE(std::equal(e.bits.begin(), e.bits.end(), s.nonzero))
        << what << " row " << r;
    EXPECT_TRUE(std::equal(e.codes.begin(), e.codes.end(), s.codes))
        << what << " row " << r;
    got.ToDense(first + r, dense.data());
    std::vector<uint16_t> expect(row, row + words);
    if (n_vocab % 2 != 0) expect.back() = 0;  // the padding word
    EXPECT_EQ(dense, expect) << what << " row " << r;
  }
}

struct Variant {
  CodeOrder order;
  int map;  // SplitCodecOptions::map
  const char* name;
};
constexpr Variant kVariants[] = {
    {CodeOrder::kRowMajor, 0, "bitmap"},
    {CodeOrder::kRowMajor, 1, "runs"},
    {CodeOrder::kColumnMajor, 0, "column-major"},
};

// Encodes `rows`, decodes them dense and sparse (appended after one row
// already in the buffer), and checks both against the rows given.
void CheckRoundTrip(const std::vector<uint16_t>& rows, size_t n_vocab,
                    const std::string& what) {
  const size_t words = LlamaRowWords(n_vocab);
  const size_t count = rows.size() / words;
  for (const Variant& v : kVariants) {
    SplitCodecOptions o;
    o.order = v.order;
    o.map = v.map;
    SplitCodec codec;
    std::vector<uint8_t> payload;
    codec.Encode(rows.data(), count, n_vocab, o, &payload);
    ASSERT_EQ(payload[1], v.map) << what << " " << v.name;
    codec.DecodeStreams(payload.data(), payload.size(), count, n_vocab);
    std::vector<uint16_t> dense(rows.size());
    codec.WriteRows(dense.data());
    ASSERT_EQ(dense, rows) << what << " " << v.name;
    SparseRows sparse(n_vocab);
    sparse.AppendDense(rows.data());  // rows before the block stay as they are
    codec.WriteSparse(&sparse);
    ASSERT_EQ(sparse.Size(), 1 + count) << what << " " << v.name;
    ExpectSameRows(sparse, 1, rows, n_vocab, what + " " + v.name);
    ExpectSameRows(sparse, 0, {rows.begin(), rows.begin() + words}, n_vocab,
                   what + " " + v.name + " (row before)");
  }
}

class SplitCodecSparseTarget : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(SplitCodecSparseTarget);

TEST_P(SplitCodecSparseTarget, PackMarksGivesTheMarkedBits) {
  std::mt19937 rng(5);
  for (size_t words : {1, 2, 3, 17}) {
    std::vector<uint8_t> marks(64 * words);
    for (uint8_t& m : marks) m = rng() % 3 == 0 ? 0xFF : 0;
    std::vector<uint64_t> want(words, 0);
    for (size_t i = 0; i < marks.size(); ++i) {
      if (marks[i] != 0) want[i / 64] |= uint64_t{1} << (i % 64);
    }
    std::vector<uint64_t> got(words, 0x5555);
    PackMarks(marks.data(), words, got.data());
    EXPECT_EQ(got, want) << words << " words";
    EXPECT_EQ(marks, std::vector<uint8_t>(marks.size(), 0)) << "not cleared";
  }
}

// ExpandRow (the dense decoder's) at bit offsets 0..9 and lengths around
// its 56-code step, against a code-by-code reference.
TEST_P(SplitCodecSparseTarget, ExpandRowPlacesEachCode) {
  std::mt19937 rng(8);
  for (size_t n : {1, 8, 55, 56, 57, 112, 113, 1000}) {
    for (size_t k = 0; k < 10; ++k) {
      std::vector<uint8_t> bm((k + n + 7) / 8 + 8, 0);
      for (size_t i = 0; i < n; ++i) {
        if (rng() % 3 != 0) bm[(k + i) / 8] |= uint8_t(1u << ((k + i) % 8));
      }
      std::vector<uint8_t> hi(n + 8), lo(n + 8);
      for (size_t i = 0; i < n + 8; ++i) {
        hi[i] = uint8_t(rng());
        lo[i] = uint8_t(rng());
      }
      std::vector<uint16_t> want(n, 0);
      size_t used = 0;
      for (size_t i = 0; i < n; ++i) {
        if ((bm[(k + i) / 8] >> ((k + i) % 8)) & 1) {
          want[i] = uint16_t(hi[used] << 8 | lo[used]);
          ++used;
        }
      }
      std::vector<uint16_t> got(n + 1, 0xABCD);  // one guard code
      EXPECT_EQ(kldkit::detail::ExpandRow(bm.data(), k, n, hi.data(),
                                          lo.data(), got.data()),
                used)
          << n << " at " << k;
      EXPECT_EQ(got[n], 0xABCD) << n << " at " << k << ": wrote past n";
      got.pop_back();
      EXPECT_EQ(got, want) << n << " at " << k;
    }
  }
}

TEST_P(SplitCodecSparseTarget, EqualsTheDenseRowsForEveryMapAndOrder) {
  const size_t vocabs[] = {1, 2, 7, 63, 64, 65, 127, 129, 1000, 32000,
                           kldkit::testing::CappedVocab(248320)};
  const size_t row_counts[] = {1, 3, 8};
  const double zero_shares[] = {0.3, 0.82, 0.995};
  uint32_t seed = 1;
  for (size_t n_vocab : vocabs) {
    for (size_t rows : row_counts) {
      if (n_vocab >= 32000 && rows == 8) continue;  // time, not coverage
      for (double z : zero_shares) {
        const auto data = RandomRows(rows, n_vocab, z, seed++);
        CheckRoundTrip(data, n_vocab,
                       std::to_string(rows) + "x" + std::to_string(n_vocab) +
                           " zeros " + std::to_string(z));
      }
    }
  }
}

TEST_P(SplitCodecSparseTarget, AllZeroAndAllNonZeroRows) {
  for (size_t n_vocab : {1, 64, 65, 1001, 5000}) {
    for (double z : {0.0, 1.0}) {
      CheckRoundTrip(RandomRows(5, n_vocab, z, 9), n_vocab,
                     std::to_string(n_vocab) + (z == 0 ? " dense" : " empty"));
    }
    // Empty rows between full ones: zero runs span whole rows.
    auto rows = RandomRows(6, n_vocab, 0.0, 11);
    const size_t words = LlamaRowWords(n_vocab);
    for (size_t r : {1, 2, 4}) {
      std::fill(rows.begin() + r * words + 4,
                rows.begin() + r * words + 4 + n_vocab, 0);
    }
    CheckRoundTrip(rows, n_vocab, std::to_string(n_vocab) + " mixed");
  }
}

TEST_P(SplitCodecSparseTarget, LongZeroRunsEscapesAndRowEdges) {
  // Codes exactly at the first and last token of rows, runs of 254, 255,
  // 256 and 510 zeros (escapes and the codes after them), across rows.
  const size_t n_vocab = 1301, words = LlamaRowWords(n_vocab);
  std::vector<uint16_t> rows(4 * words, 0);
  const size_t at[][2] = {{0, 0},    {0, 255},  {0, 511},  {0, 768},
                          {0, 1300}, {1, 0},    {1, 1300}, {2, 254},
                          {3, 255},  {3, 1045}, {3, 1300}};
  uint16_t c = 1;
  for (const auto& p : at) rows[p[0] * words + 4 + p[1]] = c++ * 257;
  CheckRoundTrip(rows, n_vocab, "edges");
}

// A hand-built payload (1 row, 5 codes, raw streams) whose map marks tokens
// 0 and 2 while the value of token 0 is 0 in both byte planes: the dense
// decoder writes a 0 code there, so the sparse row must not list it.
TEST(SplitCodecSparse, AMarkedZeroValueIsNoCode) {
  const std::vector<uint8_t> payload = {
      0, 0,                                      // row-major, bitmap
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,             // head and padding word
      0, 1, 0, 0, 0, 0x05,                       // bitmap: tokens 0 and 2
      0, 2, 0, 0, 0, 0x00, 0x12,                 // high bytes
      0, 2, 0, 0, 0, 0x00, 0x34};                // low bytes
  SplitCodec codec;
  codec.DecodeStreams(payload.data(), payload.size(), 1, 5);
  std::vector<uint16_t> dense(LlamaRowWords(5));
  codec.WriteRows(dense.data());
  ASSERT_EQ(dense[4], 0);
  ASSERT_EQ(dense[6], 0x1234);
  SparseRows sparse(5);
  codec.WriteSparse(&sparse);
  ASSERT_EQ(sparse.Size(), 1u);
  EXPECT_EQ(sparse.Row(0).count, 1u);
  EXPECT_EQ(sparse.Row(0).nonzero[0], uint64_t{4});
  EXPECT_EQ(sparse.Row(0).codes[0], 0x1234);
  dense.back() = 0;  // the padding word (9, 10) is not kept
  std::vector<uint16_t> back(dense.size());
  sparse.ToDense(0, back.data());
  EXPECT_EQ(back, dense);
}

TEST(SplitCodecSparse, AppendsNothingWithoutAGoodPayload) {
  const auto rows = RandomRows(2, 100, 0.5, 3);
  SplitCodec codec;
  std::vector<uint8_t> payload;
  codec.Encode(rows.data(), 2, 100, {}, &payload);
  codec.DecodeStreams(payload.data(), payload.size(), 2, 100);
  SparseRows wrong(99);
  try {
    codec.WriteSparse(&wrong);
    FAIL() << "a buffer of another vocabulary accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
  }
  EXPECT_EQ(wrong.Size(), 0u);
  payload.pop_back();  // the last stream is cut short
  EXPECT_THROW(codec.DecodeStreams(payload.data(), payload.size(), 2, 100),
               Error);
  SparseRows sparse(100);
  codec.WriteSparse(&sparse);  // after a failed DecodeStreams: no rows
  EXPECT_EQ(sparse.Size(), 0u);
}

}  // namespace
