#include "lib/metrics/index_mapping.h"

#include <cmath>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {

LogarithmicMapping::LogarithmicMapping(double relative_accuracy,
                                       double min_value, double max_value)
    : relative_accuracy_(relative_accuracy),
      min_value_(min_value),
      max_value_(max_value) {
  Require(std::isfinite(relative_accuracy) && relative_accuracy > 0 &&
              relative_accuracy < 1,
          "sketch relative accuracy must lie in (0, 1)");
  Require(std::isfinite(min_value) && std::isfinite(max_value) &&
              min_value > 0 && min_value < max_value,
          "sketch indexable range must satisfy 0 < min < max < inf");
  gamma_ = (1 + relative_accuracy) / (1 - relative_accuracy);
  multiplier_ = 1 / std::log(gamma_);
  // The index span must fit int32 with room to spare.
  const double span = (std::log(max_value) - std::log(min_value)) * multiplier_;
  Require(span < 1e8, "sketch relative accuracy too fine for its range");
  min_index_ = RawIndex(min_value);
  max_index_ = RawIndex(max_value);
}

int32_t LogarithmicMapping::RawIndex(double x) const {
  return static_cast<int32_t>(std::ceil(std::log(x) * multiplier_));
}

int32_t LogarithmicMapping::Index(double x) const {
  if (!(x > min_value_)) return min_index_;
  if (!(x < max_value_)) return max_index_;
  return RawIndex(x);
}

double LogarithmicMapping::Value(int32_t index) const {
  return 2 * std::exp(index / multiplier_) / (gamma_ + 1);
}

}  // namespace detail
}  // namespace kldkit
