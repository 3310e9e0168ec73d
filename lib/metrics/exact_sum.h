// Exact summation of doubles: the sum as a wide fixed-point integer.
#ifndef KLDKIT_LIB_METRICS_EXACT_SUM_H_
#define KLDKIT_LIB_METRICS_EXACT_SUM_H_

#include <cstdint>
#include <vector>

namespace kldkit {
namespace detail {

// Every finite double is m * 2^(p - 1074) with m < 2^53 and 0 <= p <= 2045,
// so a sum of doubles is an integer count of 2^-1074. ExactSum keeps that
// integer in 32-bit digits held in int64 limbs (carries are propagated
// lazily), so adding and merging are exact: partial sums merged in any
// grouping or order give the same bits, which is what lets ranks, Dask
// tasks and chunk-range shards reproduce a single process's report.
// Value() rounds the exact sum once, to nearest, ties to even.
//
// Cost: a few integer operations per Add (vs ~4 flops for a compensated
// sum), 560 bytes per sum. Non-finite terms are remembered apart: the value
// is then NaN or the infinity they sum to. Not thread-safe.
class ExactSum {
 public:
  static constexpr int kLimbs = 70;  // 2098 bits of terms + carry room

  ExactSum() = default;

  void Add(double x);
  void Merge(const ExactSum& other);
  // The exact sum rounded to the nearest double (ties to even).
  double Value() const;

  // The exact sum as a short list of doubles, largest magnitude first,
  // whose exact sum it is; equal sums give equal lists (the accumulator
  // encoding, version 3). Non-finite sums give one term, NaN or ±inf.
  std::vector<double> Terms() const;

 private:
  // Brings every limb but the top one into [0, 2^32); the top one keeps
  // the sign.
  void Normalize();
  // The magnitude, normalized, and whether the sum is negative.
  bool Magnitude(int64_t* limbs) const;

  int64_t limbs_[kLimbs] = {};
  uint32_t pending_ = 0;  // adds since the last Normalize
  uint8_t special_ = 0;   // kNaN | kPosInf | kNegInf
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_EXACT_SUM_H_
