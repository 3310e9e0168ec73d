// The accumulator's measures: each kind folded as a naive long-double
// computation over the same tokens says; merges, round trips of version-2
// states, version-1 states still read, and option mismatches refused.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/measures.hpp"
#include "kldkit/metrics.hpp"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

double& Slot(TokenResult& r, Measure id, int i = 0) {
  return r.measures.v[FindMeasure(id)->slot + i];
}

// Tokens carrying every measure, with values of each kind's shape.
std::vector<TokenResult> MeasuredTokens(size_t n, uint64_t seed) {
  std::vector<TokenResult> tokens = testing::RandomTokens(n, seed);
  std::mt19937_64 rng(seed + 1);
  std::exponential_distribution<double> div(2000.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (TokenResult& r : tokens) {
    r.measures.mask = AllMeasures();
    Slot(r, Measure::kReverseKld) = div(rng);
    Slot(r, Measure::kJsd) = div(rng) / 4;
    Slot(r, Measure::kTvd) = unit(rng) / 10;
    Slot(r, Measure::kTopKOverlap, 0) = static_cast<double>(rng() % 6) / 5;
    Slot(r, Measure::kTopKOverlap, 1) = static_cast<double>(rng() % 11) / 10;
    Slot(r, Measure::kTargetInTopK, 0) = static_cast<double>(rng() % 20);
    Slot(r, Measure::kTargetInTopK, 1) = static_cast<double>(rng() % 20);
    Slot(r, Measure::kConfidenceBuckets) = unit(rng);
    Slot(r, Measure::kEntropyBase) = 3 * unit(rng);
    Slot(r, Measure::kEntropyModel) = 3 * unit(rng);
  }
  return tokens;
}

AccumulatorOptions WithMeasures(PercentileMode mode = PercentileMode::kExact) {
  AccumulatorOptions o;
  o.percentiles = mode;
  o.measures = AllMeasures();
  return o;
}

const MeasureStat* Find(const Report& r, Measure id, uint32_t k = 0) {
  for (uint32_t i = 0; i < r.n_measure_stats; ++i) {
    const MeasureStat& s = r.measure_stats[i];
    if (s.measure == static_cast<uint32_t>(id) && s.k == k) return &s;
  }
  return nullptr;
}

struct Naive {
  long double sum = 0, sum2 = 0;
  uint64_t n = 0;
  std::vector<double> values;
  void Add(double v) {
    sum += v;
    sum2 += static_cast<long double>(v) * v;
    ++n;
    values.push_back(v);
  }
  double Mean() const { return static_cast<double>(sum / n); }
  double Uncertainty() const {
    const long double m = sum / n;
    return static_cast<double>(std::sqrt((sum2 / n - m * m) / (n - 1)));
  }
  // llama.cpp's percentile: float position, linear interpolation.
  double Percentile(float f) const {
    std::vector<float> v(values.begin(), values.end());
    std::sort(v.begin(), v.end());
    if (f == 0.5f) {
      const size_t m = v.size() / 2;
      return v.size() % 2 ? v[m] : 0.5f * (v[m - 1] + v[m]);
    }
    const float pos = f * static_cast<float>(v.size() - 1);
    const auto lo = static_cast<size_t>(pos);
    const float w = pos - static_cast<float>(lo);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return (1 - w) * v[lo] + w * v[hi];
  }
};

TEST(AccumulatorMeasures, EveryKindFoldsAsANaiveComputation) {
  const std::vector<TokenResult> tokens = MeasuredTokens(5000, 11);
  Accumulator acc(WithMeasures());
  acc.Add(tokens);
  const Report r = acc.MakeReport();
  Naive rkl, tvd, overlap5;
  uint64_t in_top[2][3] = {};
  Naive bucket_kld[kBucketCount];
  uint64_t bucket_same[kBucketCount] = {};
  for (const TokenResult& t : tokens) {
    TokenResult m = t;
    rkl.Add(Slot(m, Measure::kReverseKld));
    tvd.Add(Slot(m, Measure::kTvd));
    overlap5.Add(Slot(m, Measure::kTopKOverlap, 0));
    for (int side = 0; side < 2; ++side) {
      for (int k = 0; k < 3; ++k) {
        in_top[side][k] += Slot(m, Measure::kTargetInTopK, side) <
                           kTargetTopK[k];
      }
    }
    const double p = Slot(m, Measure::kConfidenceBuckets);
    int b = 0;
    while (b + 1 < kBucketCount && p >= kBucketEdges[b + 1]) ++b;
    bucket_kld[b].Add(t.kld);
    bucket_same[b] += t.SameTop();
  }
  const MeasureStat* s = Find(r, Measure::kReverseKld);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->n, 5000u);
  EXPECT_NEAR(s->mean.value, rkl.Mean(), 1e-12 * rkl.Mean());
  EXPECT_NEAR(s->mean.uncertainty, rkl.Uncertainty(), 1e-9 * rkl.Uncertainty());
  EXPECT_EQ(s->max, *std::max_element(rkl.values.begin(), rkl.values.end()));
  for (int i = 0; i < kKldPercentileCount; ++i) {
    EXPECT_NEAR(s->percentiles[i], rkl.Percentile(kKldPercentileFractions[i]),
                1e-7 * s->max)
        << kKldPercentileFractions[i];
  }
  s = Find(r, Measure::kTvd);
  ASSERT_NE(s, nullptr);
  EXPECT_NEAR(s->mean.value, tvd.Mean(), 1e-12);
  EXPECT_TRUE(std::isnan(s->percentiles[0])) << "kMean has no percentiles";
  ASSERT_NE(Find(r, Measure::kEntropyModel), nullptr);
  EXPECT_EQ(Find(r, Measure::kEntropyModel)->n, 5000u);
  s = Find(r, Measure::kTopKOverlap, 5);
  ASSERT_NE(s, nullptr);
  EXPECT_NEAR(s->mean.value, overlap5.Mean(), 1e-12);
  EXPECT_NE(Find(r, Measure::kTopKOverlap, 10), nullptr);
  for (int k = 0; k < 3; ++k) {
    s = Find(r, Measure::kTargetInTopK, kTargetTopK[k]);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mean.value, static_cast<double>(in_top[0][k]) / 5000);
    EXPECT_EQ(s->second.value, static_cast<double>(in_top[1][k]) / 5000);
  }
  uint64_t bucketed = 0;
  for (int b = 0; b < kBucketCount; ++b) {
    s = Find(r, Measure::kConfidenceBuckets, static_cast<uint32_t>(b));
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->n, bucket_kld[b].n);
    bucketed += s->n;
    if (s->n == 0) continue;
    EXPECT_NEAR(s->mean.value, bucket_kld[b].Mean(), 1e-12 * s->mean.value);
    EXPECT_EQ(s->second.value,
              static_cast<double>(bucket_same[b]) / static_cast<double>(s->n));
  }
  EXPECT_EQ(bucketed, 5000u);
}

TEST(AccumulatorMeasures, OnlyAveragedTokensAndFiniteValuesCount) {
  std::vector<TokenResult> tokens = MeasuredTokens(300, 3);
  tokens[0] = testing::InvalidToken(kInvalidBase);  // never averaged
  Slot(tokens[1], Measure::kReverseKld) = INFINITY;
  tokens[2].measures.mask = 0;  // computed without measures
  Accumulator acc(WithMeasures());
  acc.Add(tokens);
  const Report r = acc.MakeReport();
  const MeasureStat* rkl = Find(r, Measure::kReverseKld);
  EXPECT_EQ(rkl->n, 297u);
  EXPECT_EQ(rkl->n_skipped, 1u);
  EXPECT_EQ(Find(r, Measure::kJsd)->n, 298u);
}

TEST(AccumulatorMeasures, MergeOfShardsEqualsOneStream) {
  for (PercentileMode mode : {PercentileMode::kExact, PercentileMode::kSketch}) {
    const std::vector<TokenResult> tokens = MeasuredTokens(3000, 5);
    Accumulator whole(WithMeasures(mode)), a(WithMeasures(mode)),
        b(WithMeasures(mode));
    whole.Add(tokens);
    a.Add(gsl::span<const TokenResult>(tokens).first(1234));
    b.Add(gsl::span<const TokenResult>(tokens).subspan(1234));
    a.Merge(b);
    const Report rw = whole.MakeReport(), ra = a.MakeReport();
    ASSERT_EQ(rw.n_measure_stats, ra.n_measure_stats);
    for (uint32_t i = 0; i < rw.n_measure_stats; ++i) {
      const MeasureStat &x = rw.measure_stats[i], &y = ra.measure_stats[i];
      EXPECT_EQ(x.n, y.n) << i;
      EXPECT_NEAR(x.mean.value, y.mean.value, 1e-13 * std::fabs(x.mean.value));
      EXPECT_NEAR(x.second.value, y.second.value, 1e-15);
      for (int k = 0; k < kKldPercentileCount; ++k) {
        if (std::isnan(x.percentiles[k])) continue;
        EXPECT_EQ(x.percentiles[k], y.percentiles[k]) << i << " " << k;
      }
    }
  }
}

TEST(AccumulatorMeasures, MeasuredStatesRoundTrip) {
  for (PercentileMode mode : {PercentileMode::kExact, PercentileMode::kSketch}) {
    Accumulator acc(WithMeasures(mode));
    acc.Add(MeasuredTokens(700, 9));
    const std::vector<uint8_t> bytes = acc.Serialize();
    EXPECT_EQ(bytes[4], 3);
    const Accumulator back = Accumulator::Deserialize(bytes);
    EXPECT_EQ(back.Serialize(), bytes);
    EXPECT_EQ(back.Options().measures, AllMeasures());
    Accumulator twice(WithMeasures(mode));
    twice.DecodeAndMerge(bytes);
    twice.DecodeAndMerge(bytes);
    EXPECT_EQ(Find(twice.MakeReport(), Measure::kJsd)->n, 1400u);
  }
}

TEST(AccumulatorMeasures, SketchModeMemoryStaysUnderItsCap) {
  AccumulatorOptions o = WithMeasures(PercentileMode::kSketch);
  Accumulator acc(o);
  for (uint64_t seed = 0; seed < 20; ++seed) acc.Add(MeasuredTokens(10000, seed));
  EXPECT_EQ(acc.Count(), 200000u);
  EXPECT_LE(acc.MemoryBytes(),
            Accumulator::SketchMemoryCap(o.sketch_relative_accuracy,
                                         o.measures));
  EXPECT_GT(Accumulator::SketchMemoryCap(1e-3, AllMeasures()),
            Accumulator::SketchMemoryCap(1e-3))
      << "reverse KL and JSD keep sketches of their own";
}

TEST(AccumulatorMeasures, StatesWithoutMeasuresRoundTrip) {
  Accumulator acc;
  acc.Add(testing::RandomTokens(50, 2));
  const std::vector<uint8_t> bytes = acc.Serialize();
  EXPECT_EQ(bytes[4], 3);
  EXPECT_EQ(Accumulator::Deserialize(bytes).Serialize(), bytes);
  EXPECT_EQ(acc.MakeReport().n_measure_stats, 0u);
}

std::vector<uint8_t> FromHex(const char* hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; hex[i] != 0; i += 2) {
    bytes.push_back(static_cast<uint8_t>(
        std::stoi(std::string(hex + i, 2), nullptr, 16)));
  }
  return bytes;
}

// A version-1 state (kldkit 0.1's encoding) of three tokens: kld 0.001 i, nll 0.5 + i, nll_base
// 0.25 + i, p 0.2, p_base 0.25, dp -0.05, same top (i = 1, 2, 3).
const char kVersion1State[] =
    "4b4c4441010000004301000000000000011c0000000000000000000000fca9f1d24d6250"
    "3f1656e79eaf03d23c00003426f56b0c4302ec0000000000000003000000000000000300"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000001e4000000000000000000000000000c034400000"
    "0000000000000000000000001b4000000000000000000000000000303140000000000000"
    "00000000000000e032400000000000000000fa7e6abc7493783f0000000000000000b75f"
    "3e59315ced3e000000000000703b000000383333c3bf00000000000000000000001052b8"
    "7e3f0000000000000000b0f6065f2aa9f33e0000000000000000cdcc4c3d6f12833aa69b"
    "443bcdcc4cbdcdcc4cbd03200000000000000003000000000000006f12833a6f12033ba6"
    "9b443bcdcc4cbdcdcc4cbdcdcc4cbde738f876";

TEST(AccumulatorMeasures, Version1StatesStillDecode) {
  const std::vector<uint8_t> bytes = FromHex(kVersion1State);
  ASSERT_EQ(bytes[4], 1);
  const Accumulator back = Accumulator::Deserialize(bytes);
  EXPECT_EQ(back.Options().measures, 0u);
  const Report r = back.MakeReport();
  EXPECT_EQ(r.n_tokens, 3u);
  EXPECT_EQ(r.n_same_top, 3u);
  EXPECT_NEAR(r.kld.value, 0.002, 1e-12);
  EXPECT_NEAR(r.ln_ppl.value, 2.5, 1e-6);
  EXPECT_NEAR(r.ln_ppl_base.value, 2.25, 1e-6);
  EXPECT_EQ(r.n_measure_stats, 0u);
  Accumulator measured(WithMeasures());
  EXPECT_THROW(measured.DecodeAndMerge(bytes), Error)
      << "a state without measures does not merge into one with them";
}

// A version-2 state (written by the build before exact sums) of the same
// three tokens plus tvd 0.01 i and base top-1 probability 0.3, measures tvd
// and confidence_buckets, exact percentiles.
const char kVersion2State[] =
    "4b4c444102000000090400000000000001300000000000000000000000fca9f1d24d6250"
    "3f1656e79eaf03d23c00003426f56b0c4324000000050000000a00000000000000000000"
    "0002ec000000000000000300000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "1e4000000000000000000000000000c0344000000000000000000000000000001b400000"
    "000000000000000000000030314000000000000000000000000000e03240000000000000"
    "0000fa7e6abc7493783f0000000000000000b75f3e59315ced3e000000000000703b0000"
    "00203333c3bf0000000000000000000000b051b87e3f000000000000000030af25e429a9"
    "f33e0000000000000000cccc4c3d6f12833aa69b443bcccc4cbdcccc4cbd032000000000"
    "00000003000000000000006f12833a6f12033ba69b443bcccc4cbdcccc4cbdcccc4cbd06"
    "7001000000000000020000000100000003000000000000000000000000000000b81e85eb"
    "51b8ae3f000000000000403cc7bab88d06f0563f000000000000d03b7b14ae47e17a843f"
    "b81e85eb51b89e3f00000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000630010000000000000500000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000003000000000000"
    "000000000000000000fa7e6abc7493783f0000000000000000b75f3e59315ced3e000000"
    "000000703b00000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000014d980d3";

TEST(AccumulatorMeasures, Version2StatesStillDecode) {
  const std::vector<uint8_t> bytes = FromHex(kVersion2State);
  ASSERT_EQ(bytes[4], 2);
  const Accumulator back = Accumulator::Deserialize(bytes);
  EXPECT_EQ(back.Options().measures, MeasureBit(Measure::kTvd) |
                                         MeasureBit(Measure::kConfidenceBuckets));
  const Report r = back.MakeReport();
  EXPECT_EQ(r.n_tokens, 3u);
  EXPECT_NEAR(r.kld.value, 0.002, 1e-12);
  const MeasureStat* tvd = Find(r, Measure::kTvd);
  ASSERT_NE(tvd, nullptr);
  EXPECT_NEAR(tvd->mean.value, 0.02, 1e-15);
  const MeasureStat* bucket = Find(r, Measure::kConfidenceBuckets, 1);
  ASSERT_NE(bucket, nullptr) << "0.3 falls in [0.25, 0.5)";
  EXPECT_EQ(bucket->n, 3u);
  EXPECT_NEAR(bucket->mean.value, 0.002, 1e-15);
  // Re-encoded as version 3, it decodes to the same report.
  const std::vector<uint8_t> v3 = back.Serialize();
  EXPECT_EQ(v3[4], 3);
  EXPECT_NEAR(Accumulator::Deserialize(v3).MakeReport().kld.value, 0.002,
              1e-12);
}

// The renderers take any Report (the C ABI renders caller-made ones): a
// bucket index past the last bucket is skipped, not read out of bounds.
TEST(AccumulatorMeasures, RenderersSkipBucketsThatDoNotExist) {
  Accumulator acc(WithMeasures());
  acc.Add(MeasuredTokens(200, 5));
  Report r = acc.MakeReport();
  MeasureStat* last = nullptr;
  for (uint32_t i = 0; i < r.n_measure_stats; ++i) {
    if (r.measure_stats[i].measure ==
        static_cast<uint32_t>(Measure::kConfidenceBuckets)) {
      last = &r.measure_stats[i];
    }
  }
  ASSERT_NE(last, nullptr);
  last->k = 1000000;
  const std::string text = RenderText(r), json = RenderJson(r);
  EXPECT_EQ(text.find("[0.95"), std::string::npos) << text;
  EXPECT_NE(text.find("[0.75, 0.95)"), std::string::npos) << text;
  EXPECT_EQ(json.find("\"lower\": 0.94999999999999996"), std::string::npos);
}

TEST(AccumulatorMeasures, DifferentMeasuresDoNotMerge) {
  AccumulatorOptions other = WithMeasures();
  other.measures &= ~MeasureBit(Measure::kJsd);
  Accumulator a(WithMeasures()), b(other), plain;
  EXPECT_THROW(a.Merge(b), Error);
  EXPECT_THROW(a.Merge(plain), Error);
  EXPECT_THROW(a.DecodeAndMerge(b.Serialize()), Error);
  AccumulatorOptions ks = WithMeasures();
  ks.top_k.k[1] = 20;
  Accumulator c(ks);
  EXPECT_THROW(a.Merge(c), Error);
}

TEST(AccumulatorMeasures, BadOptionsAreRefused) {
  AccumulatorOptions o = WithMeasures();
  o.top_k.k[0] = 33;
  EXPECT_THROW(Accumulator{o}, Error);
  o = WithMeasures();
  o.measures |= 1u << 30;
  EXPECT_THROW(Accumulator{o}, Error);
}

TEST(AccumulatorMeasures, CorruptMeasureSectionsAreRefused) {
  Accumulator acc(WithMeasures());
  acc.Add(MeasuredTokens(40, 1));
  const std::vector<uint8_t> good = acc.Serialize();
  for (size_t cut = 16; cut < good.size(); cut += 7) {
    std::vector<uint8_t> bad(good.begin(), good.begin() + cut);
    EXPECT_THROW(Accumulator::Deserialize(bad), Error) << cut;
  }
}

}  // namespace
}  // namespace kldkit
