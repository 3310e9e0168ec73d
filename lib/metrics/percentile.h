// llama.cpp's percentile definition over sorted float values.
#ifndef KLDKIT_LIB_METRICS_PERCENTILE_H_
#define KLDKIT_LIB_METRICS_PERCENTILE_H_

#include <cstddef>
#include <cstdint>

#include <algorithm>
#include <vector>

#include <gsl/span>

#include "lib/metrics/quantile_sketch.h"

namespace kldkit {
namespace detail {

// Where llama.cpp interpolates for `fraction` among n sorted values:
// pos = fraction * (n - 1) in float, lower = floor(pos), weight = pos - lower
// (float). fraction <= 0 gives lower 0, fraction >= 1 gives lower n - 1;
// in both cases weight is 0. n >= 1.
struct PercentilePosition {
  uint64_t lower = 0;
  uint64_t upper = 0;  // min(lower + 1, n - 1)
  float weight = 0;    // of the upper value
};
PercentilePosition LocatePercentile(uint64_t n, float fraction);

// (1 - w) * sorted[lower] + w * sorted[upper], in float. `sorted` non-empty.
float ExactPercentile(gsl::span<const float> sorted, float fraction);

// Mean of the two middle values for even n, the middle one for odd n.
float ExactMedian(gsl::span<const float> sorted);

// llama.cpp's percentiles at `fractions` of `values` (sorted here),
// the median as the mean of the middle two.
template <int kCount>
void ExactPercentiles(std::vector<float> values, const float (&fractions)[kCount],
                      double (&out)[kCount]) {
  std::sort(values.begin(), values.end());
  for (int i = 0; i < kCount; ++i) {
    out[i] = fractions[i] == 0.5f ? ExactMedian(values)
                                  : ExactPercentile(values, fractions[i]);
  }
}

// The same positions and weights as llama.cpp, over sketch values.
template <int kCount>
void SketchPercentiles(const QuantileSketch& sketch, double lo,
                       double hi, const float (&fractions)[kCount],
                       double (&out)[kCount]) {
  const uint64_t n = sketch.Count();
  for (int i = 0; i < kCount; ++i) {
    const PercentilePosition pos =
        LocatePercentile(n, fractions[i]);
    // Clamping to the exact extremes only moves a value toward the truth.
    const double a = std::clamp(sketch.ValueAtRank(pos.lower), lo, hi);
    const double b = std::clamp(sketch.ValueAtRank(pos.upper), lo, hi);
    const double w = pos.weight;
    out[i] = (1.0 - w) * a + w * b;
  }
}

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_PERCENTILE_H_
