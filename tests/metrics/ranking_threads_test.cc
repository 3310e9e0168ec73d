// RankWithConfidence on several threads: the same intervals as on one
// (resample r's draws depend on the seed and r only), and another seed
// other ones. Labelled threaded (TSan runs it).
#include <gtest/gtest.h>

#include <random>

#include "kldkit/ranking.hpp"
#include "tests/metrics/paired_samples.h"

namespace kldkit {
namespace {

using testing::PairedSet;
using testing::Simulate;

constexpr RankKey kMean{RankStatistic::kMeanKld};
constexpr RankKey kP999{RankStatistic::kP999Kld};

TEST(RankWithConfidence, DeterministicForASeedWhateverTheThreads) {
  std::mt19937_64 rng(3);
  const PairedSet s = Simulate(64, 0.02, 0.3, rng);
  BootstrapOptions o;
  o.resamples = 301;
  o.seed = 42;
  for (const RankKey& key : {kMean, kP999}) {
    const PairedRanking one = RankWithConfidence({&s.a, &s.b}, {0, 1}, key, o);
    o.threads = 3;
    const PairedRanking three =
        RankWithConfidence({&s.a, &s.b}, {0, 1}, key, o);
    o.threads = 1;
    EXPECT_EQ(one.pairs[0].low, three.pairs[0].low);
    EXPECT_EQ(one.pairs[0].high, three.pairs[0].high);
    EXPECT_EQ(one.pairs[0].p_order, three.pairs[0].p_order);
    EXPECT_EQ(one.models[1].low, three.models[1].low);
  }
  // Another seed, other resamples (the 99.9% of 512 tokens takes few
  // values, so only the mean is sure to move).
  const PairedRanking a = RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o);
  o.seed = 43;
  const PairedRanking b = RankWithConfidence({&s.a, &s.b}, {0, 1}, kMean, o);
  EXPECT_NE(a.pairs[0].low, b.pairs[0].low);
}

}  // namespace
}  // namespace kldkit
