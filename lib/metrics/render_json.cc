// JSON rendering of a Report: schema "kldkit.report" version 1, specified in
// docs/report-json.md. Numbers use %.17g (round-trip exact); NaN and inf,
// which JSON lacks, become null.
#include <cmath>
#include <cstdio>
#include <string>

#include "kldkit/metrics.hpp"
#include "lib/metrics/format.h"
#include "lib/metrics/render_measures.h"

namespace kldkit {
namespace {

constexpr int kSchemaVersion = 1;

std::string Number(double v) { return detail::JsonNumber(v); }

std::string Count(uint64_t v) { return std::to_string(v); }

std::string Pair(const Estimate& e) {
  return "{\"value\": " + Number(e.value) +
         ", \"uncertainty\": " + Number(e.uncertainty) + "}";
}

template <int kCount>
std::string Percentiles(const double (&values)[kCount],
                        const float (&fractions)[kCount]) {
  return detail::JsonPercentiles(values, fractions, kCount);
}

std::string Field(const char* name, const std::string& value, bool last = false) {
  return std::string("    \"") + name + "\": " + value + (last ? "\n" : ",\n");
}

std::string CountsSection(const Report& r) {
  return "  \"counts\": {\n" + Field("tokens", Count(r.n_tokens)) +
         Field("skipped", Count(r.n_skipped)) +
         Field("skipped_model_nan", Count(r.n_skipped_model_nan)) +
         Field("skipped_model_inf", Count(r.n_skipped_model_inf)) +
         Field("skipped_model_empty", Count(r.n_skipped_model_empty)) +
         Field("skipped_base", Count(r.n_skipped_base)) +
         Field("skipped_non_finite", Count(r.n_skipped_non_finite)) +
         Field("same_top", Count(r.n_same_top), true) + "  },\n";
}

std::string PerplexitySection(const Report& r) {
  return "  \"perplexity\": {\n" + Field("ln_ppl", Pair(r.ln_ppl)) +
         Field("ln_ppl_base", Pair(r.ln_ppl_base)) +
         Field("ln_ppl_covariance", Number(r.ln_ppl_covariance)) +
         Field("ln_ppl_correlation", Number(r.ln_ppl_correlation)) +
         Field("ppl", Pair(r.ppl)) + Field("ppl_base", Pair(r.ppl_base)) +
         Field("ln_ppl_ratio", Pair(r.ln_ppl_ratio)) +
         Field("ppl_ratio", Pair(r.ppl_ratio)) +
         Field("ppl_diff", Pair(r.ppl_diff), true) + "  },\n";
}

std::string KldSection(const Report& r) {
  const std::string percentiles =
      r.has_percentiles
          ? Percentiles(r.kld_percentiles, kKldPercentileFractions)
          : "null";
  return "  \"kld\": {\n" + Field("mean", Pair(r.kld)) +
         Field("max", Number(r.kld_max)) + Field("min", Number(r.kld_min)) +
         Field("percentiles", percentiles, true) + "  },\n";
}

std::string DpSection(const Report& r) {
  const std::string percentiles =
      r.has_percentiles ? Percentiles(r.dp_percentiles, kDpPercentileFractions)
                        : "null";
  return "  \"dp\": {\n" + Field("mean", Pair(r.dp)) +
         Field("max", Number(r.dp_max)) + Field("min", Number(r.dp_min)) +
         Field("max_abs", Number(r.dp_max_abs)) +
         Field("percentiles", percentiles) + Field("rms", Pair(r.dp_rms), true) +
         "  },\n";
}

}  // namespace

std::string RenderJson(const Report& r) {
  const bool sketch = r.percentile_mode == uint32_t(PercentileMode::kSketch);
  std::string out = "{\n";
  out += "  \"schema\": \"kldkit.report\",\n";
  out += "  \"schema_version\": " + std::to_string(kSchemaVersion) + ",\n";
  out += std::string("  \"percentile_mode\": \"") +
         (sketch ? "sketch" : "exact") + "\",\n";
  out += "  \"sketch_relative_accuracy\": " +
         (sketch ? Number(r.sketch_relative_accuracy) : "null") + ",\n";
  out += std::string("  \"has_statistics\": ") +
         (r.has_statistics ? "true" : "false") + ",\n";
  out += CountsSection(r) + PerplexitySection(r) + KldSection(r) + DpSection(r);
  out += detail::RenderMeasuresJson(r);
  out += "  \"same_top\": " + Pair(r.same_top) + "\n}\n";
  return out;
}

}  // namespace kldkit
