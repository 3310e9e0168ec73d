// Two models' ChunkSamples over the same chunks with a known difference,
// for the ranking tests.
#ifndef KLDKIT_TESTS_METRICS_PAIRED_SAMPLES_H_
#define KLDKIT_TESTS_METRICS_PAIRED_SAMPLES_H_

#include <cmath>
#include <cstdint>
#include <random>

#include "kldkit/ranking.hpp"

namespace kldkit {
namespace testing {

// Two models over the same chunks: B = A + delta + chunk and token noise.
struct PairedSet {
  ChunkSamples a, b;
};

inline PairedSet Simulate(uint32_t chunks, double delta, double chunk_sd,
                          std::mt19937_64& rng) {
  constexpr uint32_t kTokens = 8;
  std::normal_distribution<double> z(0.0, 1.0);
  PairedSet set;
  for (uint32_t c = 0; c < chunks; ++c) {
    const double level = 0.5 * z(rng);      // shared by both models
    const double shift = chunk_sd * z(rng);  // the difference's chunk part
    for (uint32_t t = 0; t < kTokens; ++t) {
      TokenResult x;
      x.nll = x.nll_base = 1.0f;
      x.p = x.p_base = 0.5f;
      x.kld = std::exp(level + 0.8 * z(rng));
      set.a.Add(c, x);
      x.kld += delta + shift + 0.5 * z(rng);
      set.b.Add(c, x);
    }
  }
  return set;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_METRICS_PAIRED_SAMPLES_H_
