// llama.cpp's percentile definition over sorted float values.
#ifndef KLDKIT_LIB_METRICS_PERCENTILE_H_
#define KLDKIT_LIB_METRICS_PERCENTILE_H_

#include <cstddef>
#include <cstdint>

#include <gsl/span>

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

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_PERCENTILE_H_
