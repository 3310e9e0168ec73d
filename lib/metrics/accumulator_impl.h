// The state behind kldkit::Accumulator (shared by its .cc files).
#ifndef KLDKIT_LIB_METRICS_ACCUMULATOR_IMPL_H_
#define KLDKIT_LIB_METRICS_ACCUMULATOR_IMPL_H_

#include <optional>
#include <vector>

#include "kldkit/metrics.hpp"
#include "lib/metrics/measure_state.h"
#include "lib/metrics/moment_sums.h"
#include "lib/metrics/quantile_sketch.h"

namespace kldkit {

struct Accumulator::Impl {
  explicit Impl(const AccumulatorOptions& opts);

  AccumulatorOptions options;
  detail::MomentSums moments;
  // kExact: every valid token's KLD and Δp as float, in arrival order.
  std::vector<float> kld_values;
  std::vector<float> dp_values;
  // kSketch only.
  std::optional<detail::QuantileSketch> kld_sketch;
  std::optional<detail::QuantileSketch> dp_sketch;
  // The measures asked for (options.measures).
  detail::MeasureStates measures;
};

namespace detail {

// The sketch mapping used for accuracy a.
LogarithmicMapping SketchMapping(double relative_accuracy);
// Throws INVALID_ARGUMENT for options out of range.
void ValidateOptions(const AccumulatorOptions& options);
bool SameOptions(const AccumulatorOptions& a, const AccumulatorOptions& b);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_ACCUMULATOR_IMPL_H_
