// Value <-> bucket index for a relative-error quantile sketch.
#ifndef KLDKIT_LIB_METRICS_INDEX_MAPPING_H_
#define KLDKIT_LIB_METRICS_INDEX_MAPPING_H_

#include <cstdint>

namespace kldkit {
namespace detail {

// Logarithmic mapping (DDSketch): with gamma = (1 + a) / (1 - a), bucket i
// holds the positive values in (gamma^(i-1), gamma^i] and is represented by
// 2 gamma^i / (gamma + 1), which is within relative error a of every value
// of the bucket. Values are indexable in [min_value, max_value]; smaller
// ones belong to the sketch's zero bucket, larger ones are clamped into the
// top bucket (the sketch keeps the exact extremes). Immutable, thread-safe.
class LogarithmicMapping {
 public:
  // 0 < relative_accuracy < 1, 0 < min_value < max_value, all finite;
  // throws INVALID_ARGUMENT otherwise.
  LogarithmicMapping(double relative_accuracy, double min_value,
                     double max_value);

  // Bucket of x > 0 (clamped to [MinIndex(), MaxIndex()]).
  int32_t Index(double x) const;
  // Representative value of bucket `index`.
  double Value(int32_t index) const;

  double RelativeAccuracy() const { return relative_accuracy_; }
  double MinIndexableValue() const { return min_value_; }
  double MaxIndexableValue() const { return max_value_; }
  int32_t MinIndex() const { return min_index_; }
  int32_t MaxIndex() const { return max_index_; }

  bool operator==(const LogarithmicMapping& o) const {
    return relative_accuracy_ == o.relative_accuracy_ &&
           min_value_ == o.min_value_ && max_value_ == o.max_value_;
  }
  bool operator!=(const LogarithmicMapping& o) const { return !(*this == o); }

 private:
  int32_t RawIndex(double x) const;

  double relative_accuracy_;
  double min_value_;
  double max_value_;
  double gamma_;
  double multiplier_;  // 1 / ln(gamma)
  int32_t min_index_;
  int32_t max_index_;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_INDEX_MAPPING_H_
