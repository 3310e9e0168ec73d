// Quantile sketch: mapping, store and sketch alone, then the stated error
// bound on adversarial distributions and the memory cap at 10^9 values.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/metrics.hpp"
#include "lib/metrics/dense_store.h"
#include "lib/metrics/index_mapping.h"
#include "lib/metrics/percentile.h"
#include "lib/metrics/quantile_sketch.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

using detail::DenseStore;
using detail::LogarithmicMapping;
using detail::QuantileSketch;

constexpr double kAlpha = 1e-3;
// Slack for the rounding of log() at bucket edges.
constexpr double kEdge = 1e-9;

LogarithmicMapping Mapping(double a = kAlpha) {
  return LogarithmicMapping(a, kSketchMinValue, kSketchMaxValue);
}

TEST(IndexMappingTest, EveryValueIsWithinRelativeAccuracyOfItsBucket) {
  for (const double a : {1e-2, 1e-3, 1e-5}) {
    const LogarithmicMapping m = Mapping(a);
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> exponent(-15, 15);
    for (int i = 0; i < 100000; ++i) {
      const double x = std::pow(10.0, exponent(rng));
      const double v = m.Value(m.Index(x));
      ASSERT_LE(std::fabs(v - x), a * x * (1 + kEdge)) << x;
    }
  }
}

TEST(IndexMappingTest, RejectsBadParameters) {
  EXPECT_THROW(LogarithmicMapping(0, 1e-9, 1), Error);
  EXPECT_THROW(LogarithmicMapping(1, 1e-9, 1), Error);
  EXPECT_THROW(LogarithmicMapping(1e-3, 1, 1e-9), Error);
  EXPECT_THROW(LogarithmicMapping(1e-3, 0, 1), Error);
}

TEST(DenseStoreTest, MatchesAMapAndMergesExactly) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int32_t> index(-500, 700);
  DenseStore whole, a, b;
  std::map<int32_t, uint64_t> ref;
  for (int i = 0; i < 20000; ++i) {
    const int32_t k = index(rng);
    const uint64_t c = 1 + rng() % 3;
    whole.Add(k, c);
    (i % 2 ? a : b).Add(k, c);
    ref[k] += c;
  }
  a.Merge(b);
  EXPECT_TRUE(a == whole);
  EXPECT_EQ(whole.MinIndex(), ref.begin()->first);
  EXPECT_EQ(whole.MaxIndex(), ref.rbegin()->first);
  uint64_t rank = 0;
  for (const auto& [k, c] : ref) {
    EXPECT_EQ(whole.CountAt(k), c);
    EXPECT_EQ(whole.IndexAtRank(rank, true), k);
    EXPECT_EQ(whole.IndexAtRank(rank + c - 1, true), k);
    rank += c;
  }
  EXPECT_EQ(whole.TotalCount(), rank);
  EXPECT_EQ(whole.IndexAtRank(0, false), ref.rbegin()->first);
}

// Checks the sketch's guarantee at every rank llama.cpp reads.
void ExpectWithinBound(const QuantileSketch& sketch, std::vector<float> values) {
  std::sort(values.begin(), values.end());
  ASSERT_EQ(sketch.Count(), values.size());
  std::vector<float> fractions(std::begin(kKldPercentileFractions),
                               std::end(kKldPercentileFractions));
  fractions.insert(fractions.end(), std::begin(kDpPercentileFractions),
                   std::end(kDpPercentileFractions));
  fractions.push_back(0.0f);
  fractions.push_back(1.0f);
  for (const float f : fractions) {
    const auto pos = detail::LocatePercentile(values.size(), f);
    for (const uint64_t rank : {pos.lower, pos.upper}) {
      const double x = values[rank];
      const double v = sketch.ValueAtRank(rank);
      EXPECT_LE(std::fabs(v - x),
                kAlpha * std::fabs(x) * (1 + kEdge) + kSketchMinValue)
          << "fraction " << f << " rank " << rank << " exact " << x;
    }
  }
}

constexpr size_t kValues = 10000000;

TEST(QuantileSketchTest, HeavyTailedWithinBound) {
  // Pareto tail with shape 0.3: values span ~25 decades.
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0, 1);
  QuantileSketch sketch(Mapping());
  std::vector<float> values(kValues);
  for (float& x : values) {
    x = static_cast<float>(1e-9 * std::pow(u(rng) + 1e-30, -1 / 0.3));
    x = std::min(x, 1e12f);
    sketch.Add(x);
  }
  ExpectWithinBound(sketch, values);
}

TEST(QuantileSketchTest, BimodalWithTinyNegativesWithinBound) {
  // KLD-like: a mode near 1e-6, one near 3, and tiny negative values that
  // quantized bases produce.
  std::mt19937_64 rng(22);
  std::normal_distribution<double> g;
  QuantileSketch sketch(Mapping());
  std::vector<float> values(kValues);
  for (size_t i = 0; i < kValues; ++i) {
    double x;
    if (i % 100 == 0) {
      x = -1e-9 * std::exp(g(rng));
    } else if (i % 2) {
      x = 1e-6 * std::exp(0.5 * g(rng));
    } else {
      x = 3 * std::exp(0.3 * g(rng));
    }
    values[i] = static_cast<float>(x);
    sketch.Add(values[i]);
  }
  ExpectWithinBound(sketch, values);
}

TEST(QuantileSketchTest, PointMassesAndSignedDeltasWithinBound) {
  // Δp-like: 30% exact zeros, 60% at one repeated value, the rest spread
  // over [-1, 1] including magnitudes far below the zero threshold.
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(-1, 1);
  QuantileSketch sketch(Mapping());
  std::vector<float> values(kValues);
  for (size_t i = 0; i < kValues; ++i) {
    const size_t k = i % 10;
    double x = k < 3 ? 0.0 : k < 9 ? 0.0123 : u(rng);
    if (i % 1000 == 7) x = 1e-20 * u(rng);
    if (i % 1000 == 9) x = -std::pow(10.0, -10 * std::fabs(u(rng)));
    values[i] = static_cast<float>(x);
    sketch.Add(values[i]);
  }
  ExpectWithinBound(sketch, values);
}

TEST(QuantileSketchTest, ShardedMergeGivesIdenticalBuckets) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> ln(-5, 3);
  QuantileSketch whole(Mapping()), a(Mapping()), b(Mapping()), c(Mapping());
  for (int i = 0; i < 100000; ++i) {
    const double x = (i % 5 ? 1 : -1) * ln(rng);
    whole.Add(x);
    QuantileSketch* shards[3] = {&a, &b, &c};
    shards[i % 3]->Add(x);
  }
  a.Merge(b);
  a.Merge(c);
  EXPECT_TRUE(a == whole);
  QuantileSketch other(Mapping(2e-3));
  EXPECT_THROW(a.Merge(other), Error);
}

TEST(QuantileSketchTest, MemoryStaysUnderCapAtABillionValues) {
  // 10^9 weighted values over the whole indexable range, both signs.
  QuantileSketch sketch(Mapping());
  const uint64_t total = 1000000000;
  const int steps = 100000;
  std::vector<std::pair<double, uint64_t>> inserted;
  uint64_t added = 0;
  for (int i = 0; i < steps; ++i) {
    const double x = (i % 2 ? 1 : -1) * std::pow(10.0, -15.0 + 30.0 * i / steps);
    const uint64_t w = i + 1 < steps ? total / steps : total - added;
    sketch.Add(x, w);
    added += w;
    inserted.emplace_back(x, w);
  }
  EXPECT_EQ(sketch.Count(), total);
  EXPECT_LE(sketch.MemoryBytes(), sketch.MemoryCapBytes());
  // The stated cap for a = 1e-3 and the accumulator's (two sketches).
  EXPECT_LE(sketch.MemoryCapBytes(), 600u * 1024);
  EXPECT_EQ(Accumulator::SketchMemoryCap(kAlpha), 2 * sketch.MemoryCapBytes());
  // The bound still holds at weighted ranks.
  std::sort(inserted.begin(), inserted.end());
  for (uint64_t rank = 0; rank < total; rank += total / 37) {
    uint64_t seen = 0;
    size_t k = 0;
    while (seen + inserted[k].second <= rank) seen += inserted[k++].second;
    const double x = inserted[k].first;
    EXPECT_LE(std::fabs(sketch.ValueAtRank(rank) - x),
              kAlpha * std::fabs(x) * (1 + kEdge) + kSketchMinValue)
        << rank;
  }
}

TEST(QuantileSketchTest, AccumulatorSketchModeWithinInterpolatedBound) {
  AccumulatorOptions so;
  so.percentiles = PercentileMode::kSketch;
  Accumulator sketch(so), exact;
  std::vector<float> klds, dps;
  for (const TokenResult& t : testing::RandomTokens(200000, 8)) {
    sketch.Add(t);
    exact.Add(t);
    klds.push_back(static_cast<float>(t.kld));
    dps.push_back(t.dp);
  }
  std::sort(klds.begin(), klds.end());
  std::sort(dps.begin(), dps.end());
  const Report rs = sketch.MakeReport(), re = exact.MakeReport();
  EXPECT_EQ(rs.kld.value, re.kld.value);  // moments do not depend on mode
  EXPECT_EQ(rs.kld_max, re.kld_max);
  EXPECT_EQ(rs.dp_min, re.dp_min);
  auto bound = [](const std::vector<float>& v, float f) {
    const auto pos = detail::LocatePercentile(v.size(), f);
    return kAlpha * ((1 - pos.weight) * std::fabs(v[pos.lower]) +
                     pos.weight * std::fabs(v[pos.upper])) * (1 + kEdge) +
           kSketchMinValue;
  };
  for (int k = 0; k < kKldPercentileCount; ++k) {
    EXPECT_LE(std::fabs(rs.kld_percentiles[k] - re.kld_percentiles[k]),
              bound(klds, kKldPercentileFractions[k]) + 1e-7 * std::fabs(re.kld_percentiles[k]));
  }
  for (int k = 0; k < kDpPercentileCount; ++k) {
    EXPECT_LE(std::fabs(rs.dp_percentiles[k] - re.dp_percentiles[k]),
              bound(dps, kDpPercentileFractions[k]) + 1e-7 * std::fabs(re.dp_percentiles[k]));
  }
  EXPECT_LT(sketch.MemoryBytes(), Accumulator::SketchMemoryCap(kAlpha));
}

}  // namespace
}  // namespace kldkit
