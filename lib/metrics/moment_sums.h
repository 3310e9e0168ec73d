// The running sums and counts behind llama.cpp's statistics.
#ifndef KLDKIT_LIB_METRICS_MOMENT_SUMS_H_
#define KLDKIT_LIB_METRICS_MOMENT_SUMS_H_

#include <cstdint>
#include <limits>

#include "kldkit/kernels.hpp"
#include "lib/metrics/exact_sum.h"

namespace kldkit {
namespace detail {

// Terms as llama.cpp forms them: nll, nll_base and Δp are float and their
// squares/products are float products; kld is double and kld² a double
// product; Δp⁴ = (Δp²)² in double. Each sum is exact, so partial states
// merge to the same bits in any grouping.
enum SumId : int {
  kSumNll,
  kSumNll2,
  kSumNllBase,
  kSumNllBase2,
  kSumNllNllBase,
  kSumKld,
  kSumKld2,
  kSumDp,
  kSumDp2,
  kSumDp4,
  kSumCount
};

// Why a token was skipped; one reason per token, the first that applies.
enum SkipId : int {
  kSkipModelNaN,
  kSkipModelInf,
  kSkipModelEmpty,
  kSkipBase,
  kSkipNonFinite,
  kSkipCount
};

struct MomentSums {
  ExactSum sums[kSumCount];
  uint64_t n = 0;
  uint64_t n_same_top = 0;
  uint64_t skipped[kSkipCount] = {};
  float max_abs_dp = 0;
  float kld_min = std::numeric_limits<float>::infinity();
  float kld_max = -std::numeric_limits<float>::infinity();
  float dp_min = std::numeric_limits<float>::infinity();
  float dp_max = -std::numeric_limits<float>::infinity();

  // Folds a valid result and returns true; counts a skipped one, false.
  bool Add(const TokenResult& r);
  void Merge(const MomentSums& other);
  uint64_t SkippedTotal() const;
  // Every token added, valid or skipped; false if that count exceeds 2^64-1
  // (only a corrupt or hostile state can hold such counts).
  bool TokenTotal(uint64_t* total) const;
  double Sum(SumId id) const { return sums[id].Value(); }
};

// The skip reason of r, or -1 when r is averaged.
int SkipReason(const TokenResult& r);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_MOMENT_SUMS_H_
