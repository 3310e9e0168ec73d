// Exact percentiles: bit-for-bit equal to a sort-based transcription of
// llama.cpp's definition (float position, float interpolation).
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/metrics.hpp"
#include "lib/metrics/percentile.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

// The definition, written independently of lib/metrics/percentile.cc.
float RefPercentile(std::vector<float> v, float fraction) {
  std::sort(v.begin(), v.end());
  if (fraction <= 0) return v.front();
  if (fraction >= 1) return v.back();
  float pos = fraction * float(v.size() - 1);
  const size_t i = size_t(pos);
  pos -= float(i);
  const size_t j = i + 1 < v.size() ? i + 1 : v.size() - 1;
  return (1 - pos) * v[i] + pos * v[j];
}

float RefMedian(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5f * (v[n / 2] + v[n / 2 - 1]);
}

bool SameBits(double a, float b) {
  const float fa = static_cast<float>(a);
  return std::memcmp(&fa, &b, sizeof(float)) == 0 && double(fa) == a;
}

TEST(PercentileTest, AccumulatorMatchesSortReferenceBitForBit) {
  std::mt19937_64 rng(11);
  for (const size_t n : {1u, 2u, 3u, 10u, 99u, 100u, 101u, 1000u, 4097u}) {
    Accumulator acc;
    std::vector<float> klds, dps;
    const std::vector<TokenResult> tokens = testing::RandomTokens(n, n);
    for (size_t i = 0; i < n; ++i) {
      TokenResult t = tokens[i];
      if (i % 7 == 3) t.dp = 0.0f;        // ties at zero
      if (i % 11 == 5 && i > 0) t.kld = tokens[i - 1].kld;  // duplicates
      acc.Add(t);
      klds.push_back(static_cast<float>(t.kld));
      dps.push_back(t.dp);
    }
    const Report r = acc.MakeReport();
    for (int k = 0; k < kKldPercentileCount; ++k) {
      const float f = kKldPercentileFractions[k];
      const float want = f == 0.5f ? RefMedian(klds) : RefPercentile(klds, f);
      EXPECT_TRUE(SameBits(r.kld_percentiles[k], want)) << n << " " << f;
    }
    for (int k = 0; k < kDpPercentileCount; ++k) {
      const float f = kDpPercentileFractions[k];
      const float want = f == 0.5f ? RefMedian(dps) : RefPercentile(dps, f);
      EXPECT_TRUE(SameBits(r.dp_percentiles[k], want)) << n << " " << f;
    }
    EXPECT_TRUE(SameBits(r.kld_max, RefPercentile(klds, 1.0f)));
    EXPECT_TRUE(SameBits(r.kld_min, RefPercentile(klds, 0.0f)));
    EXPECT_TRUE(SameBits(r.dp_max, RefPercentile(dps, 1.0f)));
    EXPECT_TRUE(SameBits(r.dp_min, RefPercentile(dps, 0.0f)));
  }
}

TEST(PercentileTest, MedianEqualsHalfPercentile) {
  // llama.cpp's two median spellings agree for every n we can afford.
  std::mt19937 rng(2);
  std::normal_distribution<float> g;
  for (size_t n = 1; n < 200; ++n) {
    std::vector<float> v(n);
    for (float& x : v) x = g(rng);
    EXPECT_EQ(RefMedian(v), RefPercentile(v, 0.5f)) << n;
  }
}

TEST(PercentileTest, PositionIsFloatArithmeticBeyond2To24) {
  // Past 2^24 values, 0.999f * (n - 1) in float is not the exact position;
  // llama.cpp uses the float one and so must we.
  const uint64_t n = (uint64_t{1} << 25) + 12345;
  for (const float f : {0.999f, 0.99f, 0.5f, 0.001f, 0.1f}) {
    float pos = f * float(n - 1);
    const uint64_t lower = uint64_t(pos);
    pos -= float(lower);
    const detail::PercentilePosition got = detail::LocatePercentile(n, f);
    EXPECT_EQ(got.lower, lower) << f;
    EXPECT_EQ(got.upper, lower + 1) << f;
    EXPECT_EQ(got.weight, pos) << f;
  }
  const detail::PercentilePosition top = detail::LocatePercentile(n, 1.0f);
  EXPECT_EQ(top.lower, n - 1);
  EXPECT_EQ(top.weight, 0.0f);
}

}  // namespace
}  // namespace kldkit
