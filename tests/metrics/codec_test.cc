// Merge and serialisation properties: sharding invariance, round trips,
// configuration checks, and rejection of corrupted or truncated states.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/metrics.hpp"
#include "lib/common/bytes.h"
#include "lib/metrics/crc32c.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

AccumulatorOptions Sketch(double a = 1e-3) {
  AccumulatorOptions o;
  o.percentiles = PercentileMode::kSketch;
  o.sketch_relative_accuracy = a;
  return o;
}

// Every number of the two reports: counts and percentiles identical, sums
// within 1e-12 relative.
void ExpectSameReport(const Report& a, const Report& b) {
  EXPECT_EQ(a.n_tokens, b.n_tokens);
  EXPECT_EQ(a.n_skipped, b.n_skipped);
  EXPECT_EQ(a.n_skipped_base, b.n_skipped_base);
  EXPECT_EQ(a.n_same_top, b.n_same_top);
  const Estimate* ea[] = {&a.ln_ppl, &a.ln_ppl_base, &a.ppl, &a.ppl_base,
                          &a.ln_ppl_ratio, &a.ppl_ratio, &a.ppl_diff, &a.kld,
                          &a.dp, &a.dp_rms, &a.same_top};
  const Estimate* eb[] = {&b.ln_ppl, &b.ln_ppl_base, &b.ppl, &b.ppl_base,
                          &b.ln_ppl_ratio, &b.ppl_ratio, &b.ppl_diff, &b.kld,
                          &b.dp, &b.dp_rms, &b.same_top};
  for (size_t i = 0; i < std::size(ea); ++i) {
    EXPECT_NEAR(ea[i]->value, eb[i]->value, 1e-12 * std::fabs(eb[i]->value)) << i;
    // Uncertainties cancel (sum2/n - mean^2): 1e-9 relative.
    EXPECT_NEAR(ea[i]->uncertainty, eb[i]->uncertainty,
                1e-9 * std::fabs(eb[i]->uncertainty)) << i;
  }
  EXPECT_EQ(a.kld_max, b.kld_max);
  EXPECT_EQ(a.kld_min, b.kld_min);
  EXPECT_EQ(a.dp_max, b.dp_max);
  EXPECT_EQ(a.dp_min, b.dp_min);
  EXPECT_EQ(a.dp_max_abs, b.dp_max_abs);
  for (int k = 0; k < kKldPercentileCount; ++k) {
    EXPECT_EQ(a.kld_percentiles[k], b.kld_percentiles[k]) << k;
  }
  for (int k = 0; k < kDpPercentileCount; ++k) {
    EXPECT_EQ(a.dp_percentiles[k], b.dp_percentiles[k]) << k;
  }
}

std::vector<TokenResult> Stream(size_t n, uint64_t seed) {
  std::vector<TokenResult> tokens = testing::RandomTokens(n, seed);
  for (size_t i = 0; i < n; i += 97) {
    tokens[i] = testing::InvalidToken(kInvalidBase);
  }
  return tokens;
}

class CodecTest : public ::testing::TestWithParam<int> {
 protected:
  AccumulatorOptions Options() const {
    return GetParam() == 0 ? AccumulatorOptions{} : Sketch();
  }
};

TEST_P(CodecTest, ShardedMergeEqualsOnePass) {
  for (const uint64_t seed : {1u, 2u, 3u}) {
    const std::vector<TokenResult> tokens = Stream(3000 + seed * 7, seed);
    Accumulator whole(Options());
    std::vector<Accumulator> shards(3, Accumulator(Options()));
    for (size_t i = 0; i < tokens.size(); ++i) {
      whole.Add(tokens[i]);
      shards[i % 3].Add(tokens[i]);
    }
    // Merge through bytes for one shard, as across processes.
    Accumulator merged(Options());
    merged.Merge(shards[2]);
    merged.DecodeAndMerge(shards[0].Serialize());
    merged.Merge(shards[1]);
    ExpectSameReport(merged.MakeReport(), whole.MakeReport());
    EXPECT_EQ(RenderText(merged.MakeReport()), RenderText(whole.MakeReport()));
  }
}

TEST_P(CodecTest, MergeWithEmptyChangesNothing) {
  Accumulator a(Options()), empty(Options());
  a.Add(Stream(500, 4));
  const std::vector<uint8_t> before = a.Serialize();
  a.Merge(empty);
  EXPECT_EQ(a.Serialize(), before);
  empty.Merge(a);
  ExpectSameReport(empty.MakeReport(), a.MakeReport());
  EXPECT_TRUE(Accumulator(Options()).IsEmpty());
}

TEST_P(CodecTest, MergeLeavesItsArgumentUnchanged) {
  Accumulator a(Options()), b(Options());
  a.Add(Stream(400, 5));
  b.Add(Stream(300, 6));
  const std::vector<uint8_t> before = b.Serialize();
  a.Merge(b);
  EXPECT_EQ(b.Serialize(), before);
  EXPECT_EQ(a.Count(), 400u - 5 + 300 - 4);
  a.Merge(a);  // self-merge doubles
  EXPECT_EQ(a.Count(), 2 * (400u - 5 + 300 - 4));
}

TEST_P(CodecTest, RoundTripIsExact) {
  Accumulator a(Options());
  a.Add(Stream(1000, 7));
  const std::vector<uint8_t> bytes = a.Serialize();
  const Accumulator b = Accumulator::Deserialize(bytes);
  EXPECT_EQ(b.Serialize(), bytes);
  ExpectSameReport(b.MakeReport(), a.MakeReport());
  EXPECT_EQ(RenderJson(b.MakeReport()), RenderJson(a.MakeReport()));
  const Accumulator empty = Accumulator::Deserialize(Accumulator(Options()).Serialize());
  EXPECT_TRUE(empty.IsEmpty());
}

TEST_P(CodecTest, EverySingleByteFlipIsRejected) {
  Accumulator a(Options());
  TokenResult t = testing::RandomTokens(1, 1)[0];
  for (int i = 0; i < 12; ++i) {
    t.kld = 0.01 * (1 + 0.001 * i);  // few sketch buckets: a small state
    t.dp = i % 3 == 0 ? 0.0f : 0.001f + 1e-6f * static_cast<float>(i % 3);
    a.Add(t);
  }
  a.Add(testing::InvalidToken(kInvalidModelNaN));
  const std::vector<uint8_t> good = a.Serialize();
  ASSERT_LT(good.size(), 1200u);
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (int x = 1; x < 256; ++x) {
      std::vector<uint8_t> bad = good;
      bad[pos] ^= static_cast<uint8_t>(x);
      try {
        Accumulator::Deserialize(bad);
        ADD_FAILURE() << "flip accepted at byte " << pos << " xor " << x;
        return;
      } catch (const Error& e) {
        const kldkit_status s = e.Status();
        ASSERT_TRUE(s == KLDKIT_ERROR_FORMAT || s == KLDKIT_ERROR_CHECKSUM ||
                    s == KLDKIT_ERROR_TRUNCATED || s == KLDKIT_ERROR_UNSUPPORTED)
            << s << " at " << pos;
      }
    }
  }
}

TEST_P(CodecTest, TruncatedAndExtendedStatesAreRejected) {
  Accumulator a(Options());
  a.Add(Stream(50, 8));
  const std::vector<uint8_t> good = a.Serialize();
  for (size_t n = 0; n < good.size(); ++n) {
    try {
      Accumulator::Deserialize(gsl::span<const uint8_t>(good.data(), n));
      ADD_FAILURE() << "prefix of " << n << " bytes accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_TRUNCATED) << n;
    }
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  try {
    Accumulator::Deserialize(longer);
    ADD_FAILURE() << "trailing byte accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_FORMAT);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CodecTest, ::testing::Values(0, 1));

TEST(CodecConfigTest, DecodingIntoADifferentConfigurationFails) {
  Accumulator exact, sketch(Sketch()), finer(Sketch(2e-4));
  exact.Add(Stream(20, 9));
  sketch.Add(Stream(20, 9));
  const auto expect_incompatible = [](auto&& f) {
    try {
      f();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_INCOMPATIBLE);
    }
  };
  expect_incompatible([&] { sketch.DecodeAndMerge(exact.Serialize()); });
  expect_incompatible([&] { exact.DecodeAndMerge(sketch.Serialize()); });
  expect_incompatible([&] { finer.DecodeAndMerge(sketch.Serialize()); });
  expect_incompatible([&] { finer.Merge(sketch); });
  EXPECT_TRUE(finer.IsEmpty());  // all or nothing
}

TEST(CodecConfigTest, FutureVersionIsUnsupported) {
  std::vector<uint8_t> bytes = Accumulator().Serialize();
  bytes[4] = 4;  // version field (bytes 4-5): 4 does not exist yet
  try {
    Accumulator::Deserialize(bytes);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_UNSUPPORTED);
  }
}

TEST(CodecConfigTest, LayoutIsLittleEndianAsDocumented) {
  Accumulator a;
  a.Add(testing::RandomTokens(3, 3));
  const std::vector<uint8_t> b = a.Serialize();
  EXPECT_EQ(std::memcmp(b.data(), "KLDA", 4), 0);
  EXPECT_EQ(b[4] | b[5] << 8, 3);  // version 3
  uint64_t body = 0;
  for (int i = 0; i < 8; ++i) body |= uint64_t{b[8 + i]} << (8 * i);
  EXPECT_EQ(body + 20, b.size());
  EXPECT_EQ(b[16], 0x01);  // config section first
}

TEST(CodecConfigTest, Crc32cCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(detail::Crc32c(gsl::span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(s), 9)),
            0xE3069283u);
}

}  // namespace
}  // namespace kldkit
