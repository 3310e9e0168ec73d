#include "lib/metrics/moment_sums.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kldkit {
namespace detail {

namespace {
// Fields above this magnitude are not averaged: their squares (float for
// the NLLs, as llama.cpp) would overflow, and a sum that overflows makes a
// state the decoder must refuse. 1e18^2 * 2^64 tokens stays finite.
constexpr double kMaxAveraged = 1e18;

bool Averageable(double v) { return std::fabs(v) <= kMaxAveraged; }  // !NaN
}  // namespace

int SkipReason(const TokenResult& r) {
  if (r.flags & kInvalidModelNaN) return kSkipModelNaN;
  if (r.flags & kInvalidModelInf) return kSkipModelInf;
  if (r.flags & kInvalidModelEmpty) return kSkipModelEmpty;
  if (r.flags & kInvalidBase) return kSkipBase;
  const bool ok = Averageable(r.kld) && Averageable(r.nll) &&
                  Averageable(r.nll_base) && Averageable(r.dp) &&
                  Averageable(r.p) && Averageable(r.p_base);
  return ok ? -1 : kSkipNonFinite;
}

bool MomentSums::Add(const TokenResult& r) {
  const int reason = SkipReason(r);
  if (reason >= 0) {
    ++skipped[reason];
    return false;
  }
  const float nll = r.nll;
  const float nll_base = r.nll_base;
  sums[kSumNll].Add(nll);
  sums[kSumNll2].Add(nll * nll);  // float products, as llama.cpp
  sums[kSumNllBase].Add(nll_base);
  sums[kSumNllBase2].Add(nll_base * nll_base);
  sums[kSumNllNllBase].Add(nll * nll_base);
  sums[kSumKld].Add(r.kld);
  sums[kSumKld2].Add(r.kld * r.kld);
  const float dp = r.dp;
  const double dp2 = dp * dp;  // float product widened, as llama.cpp
  sums[kSumDp].Add(dp);
  sums[kSumDp2].Add(dp2);
  sums[kSumDp4].Add(dp2 * dp2);
  max_abs_dp = std::max(max_abs_dp, std::fabs(dp));
  const float kld = static_cast<float>(r.kld);
  kld_min = std::min(kld_min, kld);
  kld_max = std::max(kld_max, kld);
  dp_min = std::min(dp_min, dp);
  dp_max = std::max(dp_max, dp);
  ++n;
  if (r.SameTop()) ++n_same_top;
  return true;
}

void MomentSums::Merge(const MomentSums& other) {
  for (int i = 0; i < kSumCount; ++i) sums[i].Merge(other.sums[i]);
  n += other.n;
  n_same_top += other.n_same_top;
  for (int i = 0; i < kSkipCount; ++i) skipped[i] += other.skipped[i];
  max_abs_dp = std::max(max_abs_dp, other.max_abs_dp);
  kld_min = std::min(kld_min, other.kld_min);
  kld_max = std::max(kld_max, other.kld_max);
  dp_min = std::min(dp_min, other.dp_min);
  dp_max = std::max(dp_max, other.dp_max);
}

uint64_t MomentSums::SkippedTotal() const {
  uint64_t total = 0;
  for (const uint64_t s : skipped) total += s;
  return total;
}

bool MomentSums::TokenTotal(uint64_t* total) const {
  uint64_t t = n;
  for (const uint64_t s : skipped) {
    if (s > UINT64_MAX - t) return false;
    t += s;
  }
  *total = t;
  return true;
}

}  // namespace detail
}  // namespace kldkit
