// The accumulator's state for the measures beyond llama.cpp's: one
// MeasureState per measure asked for, folded by the measure's kind
// (kldkit/measures.hpp), so a new measure of an existing kind needs nothing
// here.
#ifndef KLDKIT_LIB_METRICS_MEASURE_STATE_H_
#define KLDKIT_LIB_METRICS_MEASURE_STATE_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "kldkit/measures.hpp"
#include "kldkit/metrics.hpp"
#include "lib/common/bytes.h"
#include "lib/metrics/exact_sum.h"
#include "lib/metrics/quantile_sketch.h"

namespace kldkit {
namespace detail {

// Whether a measure's value is averaged (NaN, infinite and |v| > 1e18
// are counted apart, so that squares stay finite).
inline bool AveragedValue(double v) {
  return std::isfinite(v) && std::fabs(v) <= 1e18;
}

// A value's running sums and extremes; values AveragedValue refuses are
// counted apart, never averaged.
struct ValueSums {
  uint64_t n = 0;
  uint64_t n_skipped = 0;
  ExactSum sum, sum2;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool Add(double v);  // false for a skipped value
  void Merge(const ValueSums& o);
};

// One confidence bucket: its tokens' KLD and same-top count.
struct BucketSums {
  uint64_t n = 0;
  uint64_t same_top = 0;
  ExactSum kld, kld2;
};

struct MeasureState {
  const MeasureDescriptor* d = nullptr;
  // kMean, kMeanPercentiles: one; kPerK: one per K.
  std::vector<ValueSums> values;
  // kMeanPercentiles: every value (kExact) or a sketch (kSketch).
  std::vector<float> stored;
  std::optional<QuantileSketch> sketch;
  // kTargetRank: tokens, and ranks below each kTargetTopK, base and model.
  uint64_t n = 0;
  uint64_t hits[2][kTargetTopKCount] = {};
  // kBuckets.
  BucketSums buckets[kBucketCount];
};

class MeasureStates {
 public:
  MeasureStates() = default;
  explicit MeasureStates(const AccumulatorOptions& options);

  bool Empty() const { return states_.empty(); }
  // Folds the measures of a token that the statistics averaged.
  void Add(const TokenResult& r);
  // Same options (checked by the caller).
  void Merge(const MeasureStates& other);
  // Appends the reported quantities to r.measure_stats.
  void Fill(bool with_percentiles, Report& r) const;
  size_t MemoryBytes() const;

  // One encoded section body per measure, in id order
  // (docs/accumulator-encoding.md, versions 2 and 3).
  void Encode(size_t i, ByteWriter& w) const;
  // Throws FORMAT for counts beyond `tokens` (the state's valid tokens).
  void Decode(size_t i, uint64_t tokens, uint32_t version, ByteReader r);
  size_t Count() const { return states_.size(); }

 private:
  std::vector<MeasureState> states_;
  AccumulatorOptions options_;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_MEASURE_STATE_H_
