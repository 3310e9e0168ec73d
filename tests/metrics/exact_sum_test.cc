// ExactSum against Shewchuk's exact expansion with fsum's final rounding
// (an independent algorithm), worked rounding cases, and the property the
// scale-out rests on: any grouping and order give the same bits.
#include "lib/metrics/exact_sum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace kldkit {
namespace detail {
namespace {

// Shewchuk's non-overlapping partials, rounded once as math.fsum does.
double FSum(const std::vector<double>& values) {
  std::vector<double> p;
  for (double x : values) {
    size_t k = 0;
    for (double y : p) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0) p[k++] = lo;
      x = hi;
    }
    p.resize(k);
    p.push_back(x);
  }
  double hi = 0, lo = 0;
  size_t n = p.size();
  if (n > 0) hi = p[--n];
  while (n > 0) {
    const double x = hi, y = p[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0) break;
  }
  // Half-way case: the next partial decides the direction.
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
    const double y = lo * 2, x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

double Sum(const std::vector<double>& values) {
  ExactSum s;
  for (double v : values) s.Add(v);
  return s.Value();
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, 8) == 0; }

std::vector<double> RandomValues(std::mt19937_64& rng, size_t n, int emin,
                                 int emax) {
  std::uniform_real_distribution<double> mant(-1, 1);
  std::uniform_int_distribution<int> exp(emin, emax);
  std::vector<double> v(n);
  for (double& x : v) x = std::ldexp(mant(rng), exp(rng));
  return v;
}

TEST(ExactSum, RoundsOnceToNearestEven) {
  const double u = std::ldexp(1.0, -53);
  EXPECT_EQ(Sum({1.0, u}), 1.0);  // tie, to even
  EXPECT_EQ(Sum({1.0, u, std::ldexp(1.0, -105)}), 1.0 + 2 * u);  // above
  EXPECT_EQ(Sum({1.0 + 2 * u, u}), 1.0 + 4 * u);  // tie, odd rounds up
  EXPECT_EQ(Sum({1e100, 1.0, -1e100}), 1.0);
  EXPECT_EQ(Sum({1e308, 1e308, -1e308}), 1e308);  // no overflow on the way
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(Sum({tiny, tiny, tiny}), 3 * tiny);
  EXPECT_EQ(Sum({-tiny, 2 * tiny}), tiny);
  EXPECT_TRUE(SameBits(Sum({-0.0, 0.0, -0.0}), 0.0));
  EXPECT_EQ(Sum({-3.5, 1.25}), -2.25);
  EXPECT_EQ(Sum({std::numeric_limits<double>::max(),
                 std::numeric_limits<double>::max()}),
            std::numeric_limits<double>::infinity());
}

TEST(ExactSum, NonFiniteTermsGiveTheirValue) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Sum({1.0, inf}), inf);
  EXPECT_EQ(Sum({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(Sum({inf, -inf})));
  EXPECT_TRUE(std::isnan(Sum({1.0, std::nan("")})));
  ExactSum s;
  s.Add(-inf);
  ASSERT_EQ(s.Terms().size(), 1u);
  EXPECT_EQ(s.Terms()[0], -inf);
}

TEST(ExactSum, MatchesFsumOnRandomValues) {
  std::mt19937_64 rng(7);
  const int ranges[][2] = {{-5, 5}, {-60, 60}, {-1074, -1000}, {-300, 300},
                           {900, 1000}};
  for (const auto& r : ranges) {
    for (int trial = 0; trial < 50; ++trial) {
      const std::vector<double> v = RandomValues(rng, 1 + trial * 7, r[0], r[1]);
      EXPECT_TRUE(SameBits(Sum(v), FSum(v))) << r[0] << ".." << r[1];
    }
  }
}

TEST(ExactSum, AnyGroupingAndOrderGiveTheSameBits) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<double> v = RandomValues(rng, 500, -40, 40);
    for (size_t i = 0; i < v.size(); i += 3) v[i] = v[i] * v[i];  // squares
    ExactSum whole;
    for (double x : v) whole.Add(x);
    std::shuffle(v.begin(), v.end(), rng);
    // Random cuts into parts, merged from the right.
    std::vector<ExactSum> parts(1 + trial % 7);
    for (double x : v) parts[rng() % parts.size()].Add(x);
    ExactSum merged;
    for (size_t i = parts.size(); i-- > 0;) merged.Merge(parts[i]);
    EXPECT_TRUE(SameBits(merged.Value(), whole.Value()));
    EXPECT_EQ(merged.Terms(), whole.Terms());
  }
}

TEST(ExactSum, TermsAreExactAndDecreasing) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    const std::vector<double> v = RandomValues(rng, 200, -200, 200);
    ExactSum s;
    for (double x : v) s.Add(x);
    const std::vector<double> terms = s.Terms();
    for (size_t i = 1; i < terms.size(); ++i) {
      EXPECT_GT(std::fabs(terms[i - 1]), std::fabs(terms[i]));
    }
    ExactSum again;
    for (double t : terms) again.Add(t);
    EXPECT_EQ(again.Terms(), terms);
    EXPECT_TRUE(SameBits(FSum(terms), s.Value()));
  }
  EXPECT_TRUE(ExactSum().Terms().empty());
}

TEST(ExactSum, BorrowsAcrossLimbs) {
  // 2^k - 2^-j for digits far apart: every limb between borrows.
  for (int k : {0, 31, 32, 33, 500}) {
    for (int j : {1, 40, 64, 1000}) {
      const std::vector<double> v = {std::ldexp(1.0, k), -std::ldexp(1.0, -j)};
      EXPECT_TRUE(SameBits(Sum(v), FSum(v))) << k << " " << j;
      const std::vector<double> w = {-std::ldexp(1.0, k), std::ldexp(1.0, -j)};
      EXPECT_TRUE(SameBits(Sum(w), -Sum(v)));
    }
  }
}

}  // namespace
}  // namespace detail
}  // namespace kldkit
