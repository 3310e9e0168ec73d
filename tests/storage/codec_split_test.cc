// The split codec alone: exact round trips over vocab sizes, zero shares and
// both code orders, and rejection of every malformed payload.
#include "lib/storage/codec_split.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace detail {
namespace {

// Rows with random header words, `zero_share` of the codes 0, the rest
// spread over 1..65535 (high byte skewed low like real rows), and a random
// padding word for odd vocabularies.
std::vector<uint16_t> MakeRows(size_t rows, size_t n_vocab, double zero_share,
                               uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const size_t words = LlamaRowWords(n_vocab);
  std::vector<uint16_t> out(rows * words);
  for (size_t r = 0; r < rows; ++r) {
    uint16_t* row = out.data() + r * words;
    for (size_t i = 0; i < words; ++i) row[i] = static_cast<uint16_t>(rng());
    for (size_t v = 0; v < n_vocab; ++v) {
      if (u(rng) < zero_share) {
        row[4 + v] = 0;
      } else {
        const double x = u(rng);
        row[4 + v] = static_cast<uint16_t>(1 + x * x * x * 65534);
      }
    }
  }
  return out;
}

struct Case {
  size_t rows, n_vocab;
  double zero_share;
};

TEST(SplitCodec, RoundTripsExactly) {
  const Case cases[] = {{1, 1, 0.0},      {1, 1, 1.0},     {3, 7, 0.5},
                        {2, 8, 0.3},      {5, 63, 0.9},    {9, 1001, 0.39},
                        {4, 32000, 0.96}, {2, 32001, 0.0}, {1, 248321, 0.8}};
  SplitCodec codec;
  for (const Case& c : cases) {
    for (int variant = 0; variant < 4; ++variant) {
      SplitCodecOptions o;
      o.order = variant == 3 ? CodeOrder::kColumnMajor : CodeOrder::kRowMajor;
      o.map = variant == 3 ? -1 : variant - 1;  // auto, bitmap, runs
      const auto rows = MakeRows(c.rows, c.n_vocab, c.zero_share, 7);
      std::vector<uint8_t> payload;
      codec.Encode(rows.data(), c.rows, c.n_vocab, o, &payload);
      std::vector<uint16_t> back(rows.size(), 0xABCD);
      codec.Decode(payload.data(), payload.size(), c.rows, c.n_vocab,
                   back.data());
      EXPECT_EQ(back, rows) << c.rows << "x" << c.n_vocab << " zeros "
                            << c.zero_share << " variant " << variant;
    }
  }
}

TEST(SplitCodec, ZeroRowsCostAlmostNothing) {
  // 16 rows of 32000 zero codes: 1 MB raw; the bitmap compresses to a few
  // bytes and the value streams are empty.
  std::vector<uint16_t> rows(16 * LlamaRowWords(32000), 0);
  SplitCodec codec;
  std::vector<uint8_t> payload;
  codec.Encode(rows.data(), 16, 32000, {}, &payload);
  EXPECT_LT(payload.size(), 16 * 8 + 200u);
}

TEST(SplitCodec, SkewedDataBeatsRawSize) {
  const auto rows = MakeRows(8, 5000, 0.8, 3);
  SplitCodec codec;
  std::vector<uint8_t> payload;
  codec.Encode(rows.data(), 8, 5000, {}, &payload);
  // 80% zeros: the bitmap alone is 1/16 of the codes; values ~20% of them.
  EXPECT_LT(payload.size(), rows.size() * 2 / 3);
}

TEST(SplitCodec, RejectsEveryTruncation) {
  const auto rows = MakeRows(3, 301, 0.5, 11);
  SplitCodec codec;
  std::vector<uint8_t> payload;
  codec.Encode(rows.data(), 3, 301, {}, &payload);
  std::vector<uint16_t> back(rows.size());
  for (size_t n = 0; n < payload.size(); ++n) {
    std::vector<uint8_t> cut(payload.begin(), payload.begin() + n);
    EXPECT_THROW(codec.Decode(cut.data(), cut.size(), 3, 301, back.data()),
                 Error)
        << "length " << n;
  }
  payload.push_back(0);  // trailing byte
  EXPECT_THROW(
      codec.Decode(payload.data(), payload.size(), 3, 301, back.data()), Error);
}

TEST(SplitCodec, RejectsUnknownOrderModeAndStrayBits) {
  const auto rows = MakeRows(1, 5, 0.0, 5);  // 5 codes: 3 unused bitmap bits
  SplitCodec codec;
  std::vector<uint8_t> payload;
  codec.Encode(rows.data(), 1, 5, {}, &payload);
  std::vector<uint16_t> back(rows.size());
  auto bad = payload;
  bad[0] = 2;  // code order
  EXPECT_THROW(codec.Decode(bad.data(), bad.size(), 1, 5, back.data()), Error);
  bad = payload;
  bad[1] = 2;  // map kind
  EXPECT_THROW(codec.Decode(bad.data(), bad.size(), 1, 5, back.data()), Error);
  bad = payload;
  const size_t stream = 2 + 10;  // order, map kind, 8 head + 2 padding bytes
  bad[stream] = 9;               // stream mode
  EXPECT_THROW(codec.Decode(bad.data(), bad.size(), 1, 5, back.data()), Error);
  bad = payload;
  ASSERT_EQ(bad[stream], 0);  // 1-byte bitmap is stored raw
  bad[stream + 5] |= 0x80;    // a bit past the 5th code
  try {
    codec.Decode(bad.data(), bad.size(), 1, 5, back.data());
    FAIL() << "stray bit accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_FORMAT);
  }
}

TEST(SplitCodec, SparseBlocksUseZeroRunsDenseOnesTheBitmap) {
  SplitCodec codec;
  std::vector<uint8_t> payload;
  const auto sparse = MakeRows(4, 20000, 0.97, 21);
  codec.Encode(sparse.data(), 4, 20000, {}, &payload);
  EXPECT_EQ(payload[1], 1);  // zero runs
  const auto dense = MakeRows(4, 20000, 0.4, 21);
  codec.Encode(dense.data(), 4, 20000, {}, &payload);
  EXPECT_EQ(payload[1], 0);  // bitmap
}

TEST(SplitCodec, ZeroRunsLongerThan255AndAcrossRows) {
  // Row 0: one code at 0, a run of 600 zeros, a code at 601, then zeros to
  // the end and on into row 1 up to its code at 700; row 2 all zeros.
  const size_t n_vocab = 1001, words = LlamaRowWords(n_vocab);
  std::vector<uint16_t> rows(3 * words, 0);
  for (size_t r = 0; r < 3; ++r) rows[r * words] = static_cast<uint16_t>(r + 1);
  rows[4 + 0] = 5;
  rows[4 + 601] = 65535;
  rows[words + 4 + 700] = 256;
  rows[words + 4 + 1000] = 1;
  rows[2 * words + 4 + n_vocab] = 0x1234;  // padding word of row 2
  SplitCodec codec;
  std::vector<uint8_t> payload;
  SplitCodecOptions runs;
  runs.map = 1;
  codec.Encode(rows.data(), 3, n_vocab, runs, &payload);
  ASSERT_EQ(payload[1], 1);
  std::vector<uint16_t> back(rows.size(), 7);
  codec.Decode(payload.data(), payload.size(), 3, n_vocab, back.data());
  EXPECT_EQ(back, rows);
  // The same stream read as 2 rows runs past the last code.
  std::vector<uint8_t> cut(payload);
  EXPECT_THROW(codec.Decode(cut.data(), cut.size(), 2, n_vocab, back.data()),
               Error);
}

TEST(SplitCodec, RejectsAZeroRunWithoutEnd) {
  // Hand-built payload: 1 row of 300 codes, zero-run map {255} (raw): an
  // escape that is never closed; empty value streams.
  std::vector<uint8_t> p = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t streams[] = {0, 1, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  p.insert(p.end(), streams, streams + sizeof(streams));
  std::vector<uint16_t> back(LlamaRowWords(300));
  SplitCodec codec;
  EXPECT_THROW(codec.Decode(p.data(), p.size(), 1, 300, back.data()), Error);
  p[15] = 200;  // a closed run of 200 zeros and one code, but no values
  EXPECT_THROW(codec.Decode(p.data(), p.size(), 1, 300, back.data()), Error);
}

}  // namespace
}  // namespace detail
}  // namespace kldkit
