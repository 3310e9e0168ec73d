#include "lib/metrics/quantile_sketch.h"

#include <cmath>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {

QuantileSketch::QuantileSketch(const LogarithmicMapping& mapping)
    : mapping_(mapping) {}

void QuantileSketch::Add(double x, uint64_t count) {
  Require(std::isfinite(x), "sketch values must be finite");
  const double magnitude = std::fabs(x);
  if (magnitude < mapping_.MinIndexableValue()) {
    zero_count_ += count;
  } else if (x > 0) {
    positive_.Add(mapping_.Index(magnitude), count);
  } else {
    negative_.Add(mapping_.Index(magnitude), count);
  }
}

void QuantileSketch::AddRaw(bool negative, int32_t index, uint64_t count) {
  (negative ? negative_ : positive_).Add(index, count);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (mapping_ != other.mapping_) {
    Throw(KLDKIT_ERROR_INCOMPATIBLE,
          "cannot merge quantile sketches with different accuracy or range");
  }
  positive_.Merge(other.positive_);
  negative_.Merge(other.negative_);
  zero_count_ += other.zero_count_;
}

double QuantileSketch::ValueAtRank(uint64_t rank) const {
  // Ascending order: negatives from the largest magnitude, zeros, positives.
  const uint64_t n_negative = negative_.TotalCount();
  if (rank < n_negative) {
    return -mapping_.Value(negative_.IndexAtRank(rank, /*ascending=*/false));
  }
  rank -= n_negative;
  if (rank < zero_count_) return 0.0;
  rank -= zero_count_;
  return mapping_.Value(positive_.IndexAtRank(rank, /*ascending=*/true));
}

size_t QuantileSketch::MemoryCapBytes() const {
  const size_t span =
      static_cast<size_t>(mapping_.MaxIndex() - mapping_.MinIndex()) + 1;
  // Each growth step adds at most kGrowth buckets beyond the range.
  return 2 * (span + 2 * DenseStore::kGrowth) * sizeof(uint64_t);
}

}  // namespace detail
}  // namespace kldkit
