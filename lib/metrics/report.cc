// Accumulator::MakeReport: llama.cpp's formulas over the running sums.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kldkit/metrics.hpp"
#include "lib/metrics/accumulator_impl.h"
#include "lib/metrics/estimate.h"
#include "lib/metrics/percentile.h"

namespace kldkit {
namespace {

using detail::MomentSums;

// Covariance of the two means, 0 below 10 tokens.
double Covariance(double s1, double s2, double s12, uint64_t n) {
  if (n < 10) return 0;
  const double count = static_cast<double>(n);
  return (s12 / count - (s1 / count) * (s2 / count)) / (count - 1);
}

void FillPerplexity(const MomentSums& m, Report& r) {
  using namespace detail;  // NOLINT: SumId names
  r.ln_ppl = detail::MeanAndUncertainty(m.Sum(kSumNll), m.Sum(kSumNll2), m.n);
  r.ln_ppl_base =
      detail::MeanAndUncertainty(m.Sum(kSumNllBase), m.Sum(kSumNllBase2), m.n);
  const double cov = Covariance(m.Sum(kSumNll), m.Sum(kSumNllBase),
                                m.Sum(kSumNllNllBase), m.n);
  r.ln_ppl_covariance = cov;
  const double uq = r.ln_ppl.uncertainty, ub = r.ln_ppl_base.uncertainty;
  r.ln_ppl_correlation = cov / (uq * ub);
  r.ln_ppl_ratio.value = r.ln_ppl.value - r.ln_ppl_base.value;
  r.ln_ppl_ratio.uncertainty = std::sqrt(uq * uq + ub * ub - 2.0 * cov);
  r.ppl.value = std::exp(r.ln_ppl.value);
  r.ppl.uncertainty = r.ppl.value * uq;
  r.ppl_base.value = std::exp(r.ln_ppl_base.value);
  r.ppl_base.uncertainty = r.ppl_base.value * ub;
  r.ppl_ratio.value = std::exp(r.ln_ppl_ratio.value);
  r.ppl_ratio.uncertainty = r.ppl_ratio.value * r.ln_ppl_ratio.uncertainty;
  const double ppl_cov = r.ppl.value * r.ppl_base.value * cov;
  r.ppl_diff.value = r.ppl.value - r.ppl_base.value;
  r.ppl_diff.uncertainty =
      std::sqrt(r.ppl.uncertainty * r.ppl.uncertainty +
                r.ppl_base.uncertainty * r.ppl_base.uncertainty -
                2.0 * ppl_cov);
}

void FillMoments(const MomentSums& m, Report& r) {
  using namespace detail;  // NOLINT: SumId names
  r.kld = detail::MeanAndUncertainty(m.Sum(kSumKld), m.Sum(kSumKld2), m.n);
  r.dp = detail::MeanAndUncertainty(m.Sum(kSumDp), m.Sum(kSumDp2), m.n);
  const Estimate mse = detail::MeanAndUncertainty(m.Sum(kSumDp2), m.Sum(kSumDp4), m.n);
  r.dp_rms.value = std::sqrt(mse.value);
  r.dp_rms.uncertainty = 0.5 / r.dp_rms.value * mse.uncertainty;
  r.dp_max_abs = m.max_abs_dp;
  if (m.n > 0) {
    const double count = static_cast<double>(m.n);
    const double q = static_cast<double>(m.n_same_top) / count;
    r.same_top.value = q;
    r.same_top.uncertainty = std::sqrt(q * (1.0 - q) / (count - 1));
    r.kld_min = m.kld_min;
    r.kld_max = m.kld_max;
    r.dp_min = m.dp_min;
    r.dp_max = m.dp_max;
  }
}

}  // namespace

const MeasureStat* FindMeasureStat(const Report& report, Measure id,
                                   uint32_t k) {
  const uint32_t n = std::min<uint32_t>(report.n_measure_stats,
                                        kMaxMeasureStats);
  for (uint32_t i = 0; i < n; ++i) {
    const MeasureStat& s = report.measure_stats[i];
    if (s.measure == static_cast<uint32_t>(id) && s.k == k) return &s;
  }
  return nullptr;
}

Report Accumulator::MakeReport(bool with_percentiles) const {
  const Impl& s = *impl_;
  const MomentSums& m = s.moments;
  Report r;
  r.percentile_mode = static_cast<uint32_t>(s.options.percentiles);
  r.sketch_relative_accuracy =
      s.kld_sketch ? s.options.sketch_relative_accuracy : 0.0;
  r.n_tokens = m.n;
  r.n_skipped = m.SkippedTotal();
  r.n_skipped_model_nan = m.skipped[detail::kSkipModelNaN];
  r.n_skipped_model_inf = m.skipped[detail::kSkipModelInf];
  r.n_skipped_model_empty = m.skipped[detail::kSkipModelEmpty];
  r.n_skipped_base = m.skipped[detail::kSkipBase];
  r.n_skipped_non_finite = m.skipped[detail::kSkipNonFinite];
  r.n_same_top = m.n_same_top;
  r.has_statistics = m.n >= kMinTokensForStatistics;
  FillPerplexity(m, r);
  FillMoments(m, r);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::fill(std::begin(r.kld_percentiles), std::end(r.kld_percentiles), nan);
  std::fill(std::begin(r.dp_percentiles), std::end(r.dp_percentiles), nan);
  s.measures.Fill(with_percentiles, r);
  if (!with_percentiles || m.n == 0) return r;
  r.has_percentiles = true;
  if (s.kld_sketch) {
    detail::SketchPercentiles(*s.kld_sketch, m.kld_min, m.kld_max,
                      kKldPercentileFractions, r.kld_percentiles);
    detail::SketchPercentiles(*s.dp_sketch, m.dp_min, m.dp_max,
                      kDpPercentileFractions, r.dp_percentiles);
  } else {
    detail::ExactPercentiles(s.kld_values, kKldPercentileFractions, r.kld_percentiles);
    detail::ExactPercentiles(s.dp_values, kDpPercentileFractions, r.dp_percentiles);
  }
  return r;
}

}  // namespace kldkit
