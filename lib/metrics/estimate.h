// llama.cpp's mean and standard error, shared by the report's statistics
// and the measures'.
#ifndef KLDKIT_LIB_METRICS_ESTIMATE_H_
#define KLDKIT_LIB_METRICS_ESTIMATE_H_

#include <cmath>
#include <cstdint>

#include "kldkit/metrics.hpp"

namespace kldkit {
namespace detail {

// var = sum2/n - mean^2, error sqrt(var / (n - 1)) when var > 0 and
// n > 10, else 0.
inline Estimate MeanAndUncertainty(double sum, double sum2, uint64_t n) {
  if (n < 1) return {};
  const double count = static_cast<double>(n);
  Estimate e;
  e.value = sum / count;
  const double var = sum2 / count - e.value * e.value;
  e.uncertainty = (var > 0 && n > 10) ? std::sqrt(var / (count - 1)) : 0.0;
  return e;
}

// A fraction `hits / n` and its binomial standard error, as llama.cpp
// gives the same-top fraction.
inline Estimate Rate(uint64_t hits, uint64_t n) {
  if (n < 1) return {};
  const double count = static_cast<double>(n);
  const double q = static_cast<double>(hits) / count;
  return {q, n > 1 ? std::sqrt(q * (1.0 - q) / (count - 1)) : 0.0};
}

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_ESTIMATE_H_
