// RankWithConfidence (include/kldkit/ranking.hpp): a percentile bootstrap
// over whole chunks, the same resamples for every model, so neighbour
// differences are paired.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "kldkit/error.hpp"
#include "kldkit/ranking.hpp"

namespace kldkit {

namespace {

// SplitMix64: resample r's stream depends on (seed, r) only, so threads
// can take any share of the resamples.
uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// How many times each of n chunks is drawn in resample r.
void DrawChunks(uint64_t seed, uint32_t r, std::vector<uint32_t>* weights) {
  const uint32_t n = static_cast<uint32_t>(weights->size());
  std::fill(weights->begin(), weights->end(), 0);
  uint64_t state = seed;
  state = SplitMix(&state) ^ (uint64_t{r} * 0xD1B54A32D192ED03ull);
  for (uint32_t i = 0; i < n; ++i) {
    // Multiply-shift: uniform over [0, n) up to n / 2^32.
    const uint64_t x = SplitMix(&state) >> 32;
    ++(*weights)[(x * n) >> 32];
  }
}

void CheckArguments(const std::vector<const ChunkSamples*>& models,
                    const std::vector<size_t>& order,
                    const BootstrapOptions& o) {
  const auto refuse = [](const std::string& what) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "ranking: " + what);
  };
  if (models.empty()) refuse("no model");
  if (o.resamples == 0) refuse("no resamples");
  if (!(o.level > 0 && o.level < 1)) refuse("the level is outside (0, 1)");
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted.size() != models.size() || sorted[i] != i) {
      refuse("the order is not a permutation of the models");
    }
  }
  for (const ChunkSamples* m : models) {
    if (m == nullptr) refuse("a null model");
    if (m->Chunks() != models[0]->Chunks()) {
      throw Error(KLDKIT_ERROR_MISMATCH,
                  "ranking: models over " + std::to_string(m->Chunks()) +
                      " and " + std::to_string(models[0]->Chunks()) +
                      " chunks are not paired");
    }
  }
  if (models[0]->Chunks() < 2) refuse("fewer than 2 chunks to resample");
}

// stats[r * models + m]: model m's statistic in resample r.
std::vector<double> Resample(const std::vector<const ChunkSamples*>& models,
                             const RankKey& key, const BootstrapOptions& o) {
  const size_t count = models.size();
  std::vector<double> stats(size_t{o.resamples} * count);
  const auto work = [&](uint32_t begin, uint32_t end) {
    std::vector<uint32_t> weights(models[0]->Chunks());
    for (uint32_t r = begin; r < end; ++r) {
      DrawChunks(o.seed, r, &weights);
      for (size_t m = 0; m < count; ++m) {
        stats[size_t{r} * count + m] = models[m]->Resampled(key, weights);
      }
    }
  };
  const uint32_t threads = static_cast<uint32_t>(
      std::clamp<size_t>(o.threads, 1, o.resamples));
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) {
    pool.emplace_back(work, uint64_t{o.resamples} * t / threads,
                      uint64_t{o.resamples} * (t + 1) / threads);
  }
  work(0, o.resamples / threads);
  for (std::thread& t : pool) t.join();
  return stats;
}

// Phi^-1(p) for p in (0, 1), by bisection on erfc (to the last bits).
double NormalQuantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && lo < hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Student's t quantile with nu degrees of freedom: the Cornish-Fisher
// expansion in 1/nu (Abramowitz & Stegun 26.7.5); within 1e-4 of the
// exact quantile from nu = 5 on, a slight underestimate below.
double StudentQuantile(double p, double nu) {
  const double z = NormalQuantile(p);
  const double z2 = z * z;
  const double g1 = z * (z2 + 1) / 4;
  const double g2 = z * ((5 * z2 + 16) * z2 + 3) / 96;
  const double g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384;
  const double g4 =
      z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160;
  return z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu;
}

// The bootstrap quantile of each tail: the expanded percentile interval
// (Hesterberg 2015). Resampling n chunks sees the chunks' variance with
// 1/n, not 1/(n - 1), and normal rather than t tails, so the plain
// percentile interval of a mean covers ~92.5% at 50 chunks; taking the
// tails at Phi(-sqrt(n / (n - 1)) t_{n-1}(1 - a/2)) restores ~95%.
double ExpandedTail(double level, uint32_t chunks) {
  const double n = chunks;
  const double t = StudentQuantile(1.0 - (1.0 - level) / 2, n - 1);
  return 0.5 * std::erfc(std::sqrt(n / (n - 1)) * t / std::sqrt(2.0));
}

// The q-quantile of values (sorted here), interpolated between order
// statistics (numpy's default).
double Quantile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

PairedDifference Pair(size_t better, size_t worse, double sign,
                      const std::vector<double>& point,
                      const std::vector<double>& stats, size_t count,
                      uint32_t chunks, const BootstrapOptions& o) {
  PairedDifference p;
  p.better = better;
  p.worse = worse;
  p.difference = sign * (point[worse] - point[better]);
  std::vector<double> d(o.resamples);
  double in_order = 0;
  for (uint32_t r = 0; r < o.resamples; ++r) {
    const double* s = &stats[size_t{r} * count];
    d[r] = sign * (s[worse] - s[better]);
    in_order += d[r] > 0 ? 1.0 : d[r] == 0 ? 0.5 : 0.0;
  }
  p.p_order = in_order / o.resamples;
  const double tail = ExpandedTail(o.level, chunks);
  p.low = Quantile(d, tail);
  p.high = Quantile(d, 1.0 - tail);
  p.separated = p.low > 0;
  if (p.separated) {
    p.chunks_to_separate = chunks;
  } else if (p.difference > 0) {
    // The lower half-width shrinks as 1/sqrt(chunks), and the expansion
    // for few chunks fades: its normal quantile goes from z(tail) to
    // z((1 - level) / 2).
    const double ratio = (p.difference - p.low) / p.difference;
    const double fade = NormalQuantile(1.0 - (1.0 - o.level) / 2) /
                        NormalQuantile(1.0 - tail);
    p.chunks_to_separate = std::max<double>(
        chunks + 1, std::ceil(chunks * ratio * ratio * fade * fade));
  } else {
    p.chunks_to_separate = std::numeric_limits<double>::infinity();
  }
  return p;
}

}  // namespace

PairedRanking RankWithConfidence(const std::vector<const ChunkSamples*>& models,
                                 const std::vector<size_t>& order,
                                 const RankKey& key,
                                 const BootstrapOptions& options) {
  CheckArguments(models, order, options);
  const size_t count = models.size();
  // Value() also builds the index Resampled reads from every thread.
  std::vector<double> point(count);
  for (size_t m = 0; m < count; ++m) {
    point[m] = models[m]->Value(key);
    if (std::isnan(point[m])) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "ranking: model " + std::to_string(m) + " has no " +
                      RankKeyName(key) + " (no token counted, or the "
                      "measure not computed)");
    }
  }
  const std::vector<double> stats = Resample(models, key, options);

  PairedRanking out;
  out.chunks = models[0]->Chunks();
  out.resamples = options.resamples;
  const double sign = HigherIsBetter(key) ? -1.0 : 1.0;
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    out.pairs.push_back(Pair(order[i], order[i + 1], sign, point, stats,
                             count, out.chunks, options));
  }
  const double tail = ExpandedTail(options.level, out.chunks);
  for (size_t m = 0; m < count; ++m) {
    std::vector<double> own(options.resamples);
    for (uint32_t r = 0; r < options.resamples; ++r) {
      own[r] = stats[size_t{r} * count + m];
    }
    Interval iv;
    iv.value = point[m];
    iv.low = Quantile(own, tail);
    iv.high = Quantile(own, 1.0 - tail);
    out.models.push_back(iv);
  }
  return out;
}

}  // namespace kldkit
