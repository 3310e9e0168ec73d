// A mergeable relative-error quantile sketch (DDSketch design): one
// logarithmic mapping, a store for positive values, one for negative values
// (by magnitude) and a zero bucket.
#ifndef KLDKIT_LIB_METRICS_QUANTILE_SKETCH_H_
#define KLDKIT_LIB_METRICS_QUANTILE_SKETCH_H_

#include <cstddef>
#include <cstdint>

#include "lib/metrics/dense_store.h"
#include "lib/metrics/index_mapping.h"

namespace kldkit {
namespace detail {

// Guarantee: let x be the rank-r value of the inserted multiset (0-based,
// ascending). ValueAtRank(r) returns v with |v - x| <= a |x| when
// min_value <= |x| <= max_value, and |v| <= min_value when |x| < min_value
// (a = relative accuracy). Independent of the number of values and of how
// the stream was split and merged. Memory: at most
// MemoryCapBytes() = 2 stores x (index span + growth margin) x 8 bytes.
// Not thread-safe: one per thread, then Merge.
class QuantileSketch {
 public:
  explicit QuantileSketch(const LogarithmicMapping& mapping);

  // Adds `count` copies of finite x (NaN/inf: INVALID_ARGUMENT).
  void Add(double x, uint64_t count = 1);
  // Throws INCOMPATIBLE when the mappings differ.
  void Merge(const QuantileSketch& other);

  bool IsEmpty() const { return Count() == 0; }
  uint64_t Count() const {
    return negative_.TotalCount() + zero_count_ + positive_.TotalCount();
  }
  // rank < Count().
  double ValueAtRank(uint64_t rank) const;

  const LogarithmicMapping& Mapping() const { return mapping_; }
  const DenseStore& Positive() const { return positive_; }
  const DenseStore& Negative() const { return negative_; }
  uint64_t ZeroCount() const { return zero_count_; }
  size_t MemoryBytes() const {
    return positive_.MemoryBytes() + negative_.MemoryBytes();
  }
  size_t MemoryCapBytes() const;

  // Rebuilds from decoded parts (used by deserialisation).
  void AddRaw(bool negative, int32_t index, uint64_t count);
  void AddZeros(uint64_t count) { zero_count_ += count; }

  bool operator==(const QuantileSketch& o) const {
    return mapping_ == o.mapping_ && zero_count_ == o.zero_count_ &&
           positive_ == o.positive_ && negative_ == o.negative_;
  }

 private:
  LogarithmicMapping mapping_;
  DenseStore positive_;
  DenseStore negative_;
  uint64_t zero_count_ = 0;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_QUANTILE_SKETCH_H_
