// ChunkSamples and RankWithConfidence: statistics against the report
// computed by the accumulator over the same (or duplicated) tokens, the
// bootstrap's determinism, and its coverage by simulation.
#include "kldkit/ranking.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/metrics.hpp"
#include "tests/metrics/paired_samples.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

using testing::InvalidToken;
using testing::PairedSet;
using testing::Simulate;
using testing::RandomTokens;

constexpr uint32_t kTokensPerChunk = 37;

// Tokens of `chunks` chunks, some invalid, with a reverse-KL value each.
std::vector<TokenResult> ChunkedTokens(uint32_t chunks, uint64_t seed) {
  std::vector<TokenResult> t = RandomTokens(chunks * kTokensPerChunk, seed);
  for (size_t i = 0; i < t.size(); ++i) {
    t[i].measures.mask = MeasureBit(Measure::kReverseKld);
    t[i].measures.v[0] = 0.5 * t[i].kld + 1e-3 * static_cast<double>(i % 7);
  }
  t[5] = InvalidToken(kInvalidModelNaN);
  t[kTokensPerChunk + 3] = InvalidToken(kInvalidBase);
  return t;
}

ChunkSamples Fold(const std::vector<TokenResult>& tokens) {
  ChunkSamples s(MeasureBit(Measure::kReverseKld));
  for (size_t i = 0; i < tokens.size(); ++i) {
    s.Add(static_cast<uint32_t>(i / kTokensPerChunk), tokens[i]);
  }
  return s;
}

Report ReportOf(const std::vector<TokenResult>& tokens) {
  AccumulatorOptions o;
  o.measures = MeasureBit(Measure::kReverseKld);
  Accumulator a(o);
  a.Add(tokens);
  return a.MakeReport();
}

constexpr RankKey kMean{RankStatistic::kMeanKld};
constexpr RankKey kP999{RankStatistic::kP999Kld};
constexpr RankKey kPpl{RankStatistic::kAbsLnPplRatio};
constexpr RankKey kSame{RankStatistic::kSameTop};
constexpr RankKey kReverse{RankStatistic::kMeasureMean, Measure::kReverseKld};

void ExpectMatchesReport(const ChunkSamples& s, const Report& r) {
  EXPECT_NEAR(s.Value(kMean), r.kld.value, 1e-12 * r.kld.value);
  // The same float values at the same positions: the same bits.
  EXPECT_EQ(s.Value(kP999), r.kld_percentiles[0]);
  EXPECT_NEAR(s.Value(kPpl), std::fabs(r.ln_ppl_ratio.value), 1e-12);
  EXPECT_DOUBLE_EQ(s.Value(kSame), r.same_top.value);
  const MeasureStat* rev = FindMeasureStat(r, Measure::kReverseKld);
  ASSERT_NE(rev, nullptr);
  EXPECT_NEAR(s.Value(kReverse), rev->mean.value, 1e-12);
}

TEST(ChunkSamples, StatisticsAreTheReports) {
  const std::vector<TokenResult> tokens = ChunkedTokens(40, 7);
  const ChunkSamples s = Fold(tokens);
  EXPECT_EQ(s.Chunks(), 40u);
  EXPECT_EQ(s.Tokens(), tokens.size() - 2);
  ExpectMatchesReport(s, ReportOf(tokens));
}

TEST(ChunkSamples, ResampledIsTheReportOfTheDrawnChunks) {
  const std::vector<TokenResult> tokens = ChunkedTokens(12, 11);
  const ChunkSamples s = Fold(tokens);
  const std::vector<uint32_t> weights = {0, 3, 1, 0, 0, 2, 1, 1, 0, 2, 1, 1};
  std::vector<TokenResult> drawn;  // the multiset, materialized
  for (size_t c = 0; c < weights.size(); ++c) {
    for (uint32_t k = 0; k < weights[c]; ++k) {
      drawn.insert(drawn.end(), tokens.begin() + c * kTokensPerChunk,
                   tokens.begin() + (c + 1) * kTokensPerChunk);
    }
  }
  const Report r = ReportOf(drawn);
  EXPECT_NEAR(s.Resampled(kMean, weights), r.kld.value, 1e-12 * r.kld.value);
  EXPECT_EQ(s.Resampled(kP999, weights), r.kld_percentiles[0]);
  EXPECT_NEAR(s.Resampled(kPpl, weights), std::fabs(r.ln_ppl_ratio.value),
              1e-12);
  EXPECT_DOUBLE_EQ(s.Resampled(kSame, weights), r.same_top.value);
}

TEST(ChunkSamples, RefusesChunksOutOfOrderAndWrongWeights) {
  ChunkSamples s;
  const std::vector<TokenResult> t = RandomTokens(3, 1);
  s.Add(2, t[0]);
  EXPECT_THROW(s.Add(1, t[1]), Error);
  EXPECT_EQ(s.Chunks(), 3u);  // chunks 0 and 1 declared, empty
  EXPECT_THROW(s.Resampled(kMean, {1, 1}), Error);
  EXPECT_TRUE(std::isnan(s.Value(kReverse)));  // not folded
}

struct Coverage {
  double covered = 0;      // share of intervals holding delta
  double separated = 0;    // share excluding zero
  double median_projection = 0;
};

Coverage Simulations(uint32_t evaluations, uint32_t chunks, double delta,
             uint32_t resamples, uint64_t seed) {
  std::mt19937_64 rng(seed);
  BootstrapOptions o;
  o.resamples = resamples;
  Coverage out;
  std::vector<double> projections;
  for (uint32_t e = 0; e < evaluations; ++e) {
    const PairedSet s = Simulate(chunks, delta, 0.6, rng);
    o.seed = e + 1;
    const PairedRanking r = RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o);
    const PairedDifference& p = r.pairs[0];
    out.covered += p.low <= delta && delta <= p.high;
    out.separated += p.separated;
    projections.push_back(p.chunks_to_separate);
  }
  out.covered /= evaluations;
  out.separated /= evaluations;
  std::nth_element(projections.begin(),
                   projections.begin() + projections.size() / 2,
                   projections.end());
  out.median_projection = projections[projections.size() / 2];
  return out;
}

TEST(RankWithConfidence, IntervalsCoverTheTrueDifference) {
  const Coverage at50 = Simulations(1000, 50, 0.05, 1000, 2026);
  EXPECT_GE(at50.covered, 0.93);
  EXPECT_LE(at50.covered, 0.97);
  const Coverage at20 = Simulations(1000, 20, 0.05, 1000, 2027);
  std::printf("coverage of the 95%% interval: %.3f at 50 chunks, %.3f at "
              "20 chunks\n", at50.covered, at20.covered);
}

TEST(RankWithConfidence, ProjectedChunksMatchWhereIntervalsSeparate) {
  // The chunk-mean difference has sd sqrt(0.6^2 + 0.5^2 / 8) ~ 0.625 (the
  // shared levels cancel in the pairing): delta 0.125 separates near
  // (1.96 * 0.625 / 0.125)^2 ~ 96 chunks.
  const double delta = 0.125;
  const Coverage from50 = Simulations(1000, 50, delta, 400, 7);
  // Observed: where half the intervals exclude zero, interpolated in log
  // chunks over a grid.
  const uint32_t grid[] = {40, 60, 90, 135, 200, 300};
  double observed = 0;
  double previous_share = 0;
  uint32_t previous = 0;
  for (const uint32_t n : grid) {
    const double share = Simulations(200, n, delta, 300, n).separated;
    if (share >= 0.5) {
      ASSERT_GT(previous, 0u) << "separated half the time already at " << n;
      const double f = (0.5 - previous_share) / (share - previous_share);
      observed = std::exp(std::log(previous) +
                          f * (std::log(n) - std::log(previous)));
      break;
    }
    previous = n;
    previous_share = share;
  }
  ASSERT_GT(observed, 0) << "never separated half the time";
  std::printf("chunks to separate: projected %.0f from 50 (median), "
              "observed %.0f\n", from50.median_projection, observed);
  EXPECT_LE(from50.median_projection, 1.5 * observed);
  EXPECT_GE(from50.median_projection, observed / 1.5);
}

TEST(RankWithConfidence, OrientsDifferencesByTheRanking) {
  std::mt19937_64 rng(5);
  const PairedSet s = Simulate(200, 0.5, 0.1, rng);  // b clearly worse
  BootstrapOptions o;
  o.resamples = 200;
  const PairedRanking right = RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o);
  EXPECT_NEAR(right.pairs[0].difference, s.b.Value(kMean) - s.a.Value(kMean),
              1e-12);
  EXPECT_TRUE(right.pairs[0].separated);
  EXPECT_EQ(right.pairs[0].p_order, 1.0);
  EXPECT_EQ(right.pairs[0].chunks_to_separate, 200.0);
  const PairedRanking wrong = RankWithConfidence({&s.a, &s.b}, {1, 0}, kMean, o);
  EXPECT_LT(wrong.pairs[0].difference, 0);
  EXPECT_EQ(wrong.pairs[0].p_order, 0.0);
  EXPECT_TRUE(std::isinf(wrong.pairs[0].chunks_to_separate));
  // Same-top: higher is better, so the sign flips.
  EXPECT_TRUE(HigherIsBetter(kSame));
  EXPECT_EQ(RankKeyName(kP999), "p99_9_kld");
  EXPECT_EQ(RankKeyName(kReverse), "reverse_kld");
  for (const Interval& iv : right.models) {
    EXPECT_LE(iv.low, iv.value);
    EXPECT_GE(iv.high, iv.value);
  }
}

TEST(RankWithConfidence, RefusesBadArguments) {
  std::mt19937_64 rng(9);
  const PairedSet s = Simulate(10, 0.1, 0.1, rng);
  const PairedSet t = Simulate(11, 0.1, 0.1, rng);
  const PairedSet one = Simulate(1, 0.1, 0.1, rng);
  BootstrapOptions o;
  EXPECT_THROW(RankWithConfidence({&s.a, &t.b}, {0, 1}, kMean, o), Error);
  EXPECT_THROW(RankWithConfidence({&s.a, &s.b}, {0, 0}, kMean, o), Error);
  EXPECT_THROW(RankWithConfidence({&s.a, &s.b}, {0}, kMean, o), Error);
  EXPECT_THROW(RankWithConfidence({&one.a, &one.b}, {0, 1}, kMean, o), Error);
  EXPECT_THROW(RankWithConfidence({&s.a, &s.b}, {0, 1}, kReverse, o), Error);
  o.level = 1.0;
  EXPECT_THROW(RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o), Error);
  o.level = 0.95;
  o.resamples = 0;
  EXPECT_THROW(RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o), Error);
}

}  // namespace
}  // namespace kldkit
