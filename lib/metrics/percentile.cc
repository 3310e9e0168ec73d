#include "lib/metrics/percentile.h"

#include <algorithm>

namespace kldkit {
namespace detail {

PercentilePosition LocatePercentile(uint64_t n, float fraction) {
  PercentilePosition pos;
  if (fraction <= 0.0f) return pos;
  if (fraction >= 1.0f) {
    pos.lower = pos.upper = n - 1;
    return pos;
  }
  // Float arithmetic on purpose: llama.cpp's last digits depend on it.
  float p = fraction * static_cast<float>(n - 1);
  const uint64_t lower = std::min(static_cast<uint64_t>(p), n - 1);
  p -= static_cast<float>(lower);
  pos.lower = lower;
  pos.upper = std::min(lower + 1, n - 1);
  pos.weight = p;
  return pos;
}

float ExactPercentile(gsl::span<const float> sorted, float fraction) {
  const PercentilePosition pos = LocatePercentile(sorted.size(), fraction);
  const float a = sorted[pos.lower];
  const float b = sorted[pos.upper];
  return (1.0f - pos.weight) * a + pos.weight * b;
}

float ExactMedian(gsl::span<const float> sorted) {
  const size_t n = sorted.size();
  if (n % 2 == 1) return sorted[n / 2];
  return 0.5f * (sorted[n / 2 - 1] + sorted[n / 2]);
}

}  // namespace detail
}  // namespace kldkit
