// Text rendering with llama.cpp's labels, order and printf formats, so the
// output can be diffed against llama-perplexity's.
#include <cmath>
#include <string>

#include "kldkit/metrics.hpp"
#include "lib/metrics/format.h"
#include "lib/metrics/render_measures.h"
#include "lib/metrics/text_labels.h"

namespace kldkit {
namespace {

using detail::Append;

using detail::kDpLabels;
using detail::kKldLabels;

void RenderPerplexity(const Report& r, std::string& out) {
  out += "====== Perplexity statistics ======\n";
  Append(out, "Mean PPL(Q)                   : %10.6f \u00b1 %10.6f\n",
         r.ppl.value, r.ppl.uncertainty);
  Append(out, "Mean PPL(base)                : %10.6f \u00b1 %10.6f\n",
         r.ppl_base.value, r.ppl_base.uncertainty);
  Append(out, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n",
         100.0 * r.ln_ppl_correlation);
  Append(out, "Mean ln(PPL(Q)/PPL(base))     : %10.6f \u00b1 %10.6f\n",
         r.ln_ppl_ratio.value, r.ln_ppl_ratio.uncertainty);
  Append(out, "Mean PPL(Q)/PPL(base)         : %10.6f \u00b1 %10.6f\n",
         r.ppl_ratio.value, r.ppl_ratio.uncertainty);
  Append(out, "Mean PPL(Q)-PPL(base)         : %10.6f \u00b1 %10.6f\n",
         r.ppl_diff.value, r.ppl_diff.uncertainty);
}

void RenderKld(const Report& r, std::string& out) {
  out += "\n====== KL divergence statistics ======\n";
  Append(out, "Mean    KLD: %10.6f \u00b1 %10.6f\n", r.kld.value,
         r.kld.uncertainty);
  Append(out, "Maximum KLD: %10.6f\n", r.kld_max);
  for (int i = 0; i < kKldPercentileCount; ++i) {
    Append(out, "%s: %10.6f\n", kKldLabels[i], r.kld_percentiles[i]);
  }
  Append(out, "Minimum KLD: %10.6f\n", r.kld_min);
}

void RenderDp(const Report& r, std::string& out) {
  out += "\n====== Token probability statistics ======\n";
  Append(out, "Mean    \u0394p: %6.3f \u00b1 %5.3f %%\n", 100.0 * r.dp.value,
         100.0 * r.dp.uncertainty);
  Append(out, "Maximum \u0394p: %6.3f%%\n", 100.0 * r.dp_max);
  for (int i = 0; i < kDpPercentileCount; ++i) {
    Append(out, "%s: %6.3f%%\n", kDpLabels[i], 100.0 * r.dp_percentiles[i]);
  }
  Append(out, "Minimum \u0394p: %6.3f%%\n", 100.0 * r.dp_min);
  Append(out, "RMS \u0394p    : %6.3f \u00b1 %5.3f %%\n", 100.0 * r.dp_rms.value,
         100.0 * r.dp_rms.uncertainty);
  Append(out, "Same top p: %6.3f \u00b1 %5.3f %%\n", 100.0 * r.same_top.value,
         100.0 * r.same_top.uncertainty);
}

// Not in llama.cpp's output (it has no skipped tokens): printed only when
// some token was skipped, so a clean run still diffs equal.
void RenderSkipped(const Report& r, std::string& out) {
  if (r.n_skipped == 0) return;
  Append(out,
         "Skipped tokens: %llu (model NaN %llu, model +inf %llu, model empty "
         "%llu, base %llu, non-finite %llu)\n",
         static_cast<unsigned long long>(r.n_skipped),
         static_cast<unsigned long long>(r.n_skipped_model_nan),
         static_cast<unsigned long long>(r.n_skipped_model_inf),
         static_cast<unsigned long long>(r.n_skipped_model_empty),
         static_cast<unsigned long long>(r.n_skipped_base),
         static_cast<unsigned long long>(r.n_skipped_non_finite));
}

}  // namespace

std::string RenderText(const Report& report) {
  std::string out;
  if (report.has_statistics) {
    RenderPerplexity(report, out);
    RenderKld(report, out);
    RenderDp(report, out);
    out += detail::RenderMeasuresText(report);
  }
  RenderSkipped(report, out);
  return out;
}

std::string ChunkHeader() {
  return "chunk             PPL               ln(PPL(Q)/PPL(base))          "
         "KL Divergence              \u0394p RMS            Same top p\n";
}

std::string FormatChunkLine(int chunk, const Report& r) {
  std::string out;
  Append(out, "%4d", chunk);
  Append(out, "    %9.4f \u00b1 %9.4f", r.ppl.value, r.ppl.uncertainty);
  Append(out, "    %10.5f \u00b1 %10.5f", r.ln_ppl_ratio.value,
         r.ln_ppl_ratio.uncertainty);
  Append(out, "    %10.5f \u00b1 %10.5f", r.kld.value, r.kld.uncertainty);
  Append(out, "    %6.3f \u00b1 %6.3f %%", 100.0 * r.dp_rms.value,
         100.0 * r.dp_rms.uncertainty);
  Append(out, "    %6.3f \u00b1 %6.3f %%\n", 100.0 * r.same_top.value,
         100.0 * r.same_top.uncertainty);
  return out;
}

}  // namespace kldkit
