// Printed reports read back (kldkit::ParsePrintedReport): the lines of
// llama.cpp's final blocks, by label, wherever log prefixes put them.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "kldkit/metrics.hpp"
#include "lib/common/error.h"
#include "lib/metrics/text_labels.h"

namespace kldkit {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Drops a log line's "0.00.064.535 W " prefix (llama.cpp's timestamps and
// level letter); any other line is returned as it is.
std::string_view StripLogPrefix(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (std::isdigit(static_cast<unsigned char>(line[i])) ||
                             line[i] == '.')) {
    ++i;
  }
  if (i > 0 && i + 2 < line.size() && line[i] == ' ' &&
      std::isupper(static_cast<unsigned char>(line[i + 1])) &&
      line[i + 2] == ' ') {
    return line.substr(i + 3);
  }
  return line;
}

// Runs of spaces as one, no leading or trailing ones: labels compare so.
std::string Squeezed(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "  0.000167 ± 0.000005" or " 99.603 ± 0.397 %" or "  0.615%".
struct Printed {
  double value = kNaN, uncertainty = kNaN;
};
Printed ParseValue(const std::string& text) {
  Printed p;
  const char* s = text.c_str();
  char* end = nullptr;
  p.value = std::strtod(s, &end);
  if (end == s) return Printed{};
  const size_t pm = text.find("\u00b1", static_cast<size_t>(end - s));
  if (pm != std::string::npos) {
    p.uncertainty = std::strtod(s + pm + 2, nullptr);
  }
  return p;
}

enum class Block { kNone, kPerplexity, kKld, kDp, kOther };

Block BlockOf(const std::string& line) {
  if (line.rfind("======", 0) != 0) return Block::kNone;
  if (line.find("Perplexity statistics") != std::string::npos) {
    return Block::kPerplexity;
  }
  if (line.find("KL divergence statistics") != std::string::npos) {
    return Block::kKld;
  }
  if (line.find("Token probability statistics") != std::string::npos) {
    return Block::kDp;
  }
  return Block::kOther;
}

void SetEstimate(const Printed& p, double scale, Estimate* e) {
  e->value = p.value * scale;
  e->uncertainty = p.uncertainty * scale;
}

void ReadPerplexity(const std::string& label, const Printed& p, Report* r) {
  if (label == "Mean PPL(Q)") SetEstimate(p, 1, &r->ppl);
  if (label == "Mean PPL(base)") SetEstimate(p, 1, &r->ppl_base);
  if (label == "Cor(ln(PPL(Q)), ln(PPL(base)))") {
    r->ln_ppl_correlation = p.value / 100;
  }
  if (label == "Mean ln(PPL(Q)/PPL(base))") SetEstimate(p, 1, &r->ln_ppl_ratio);
  if (label == "Mean PPL(Q)/PPL(base)") SetEstimate(p, 1, &r->ppl_ratio);
  if (label == "Mean PPL(Q)-PPL(base)") SetEstimate(p, 1, &r->ppl_diff);
}

void ReadKld(const std::string& label, const Printed& p, Report* r) {
  if (label == "Mean KLD") SetEstimate(p, 1, &r->kld);
  if (label == "Maximum KLD") r->kld_max = p.value;
  if (label == "Minimum KLD") r->kld_min = p.value;
  for (int i = 0; i < kKldPercentileCount; ++i) {
    if (label == Squeezed(detail::kKldLabels[i])) {
      r->kld_percentiles[i] = p.value;
      r->has_percentiles = true;
    }
  }
}

void ReadDp(const std::string& label, const Printed& p, Report* r) {
  const std::string dp = "\u0394p";
  if (label == "Mean " + dp) SetEstimate(p, 0.01, &r->dp);
  if (label == "Maximum " + dp) r->dp_max = p.value / 100;
  if (label == "Minimum " + dp) r->dp_min = p.value / 100;
  if (label == "RMS " + dp) SetEstimate(p, 0.01, &r->dp_rms);
  if (label == "Same top p") SetEstimate(p, 0.01, &r->same_top);
  for (int i = 0; i < kDpPercentileCount; ++i) {
    if (label == Squeezed(detail::kDpLabels[i])) {
      r->dp_percentiles[i] = p.value / 100;
    }
  }
}

// A report whose every printed field is NaN until read.
Report Unprinted() {
  Report r;
  for (Estimate* e : {&r.ln_ppl, &r.ln_ppl_base, &r.ppl, &r.ppl_base,
                      &r.ln_ppl_ratio, &r.ppl_ratio, &r.ppl_diff, &r.kld,
                      &r.dp, &r.dp_rms, &r.same_top}) {
    *e = Estimate{kNaN, kNaN};
  }
  r.ln_ppl_covariance = r.ln_ppl_correlation = kNaN;
  r.kld_max = r.kld_min = r.dp_max = r.dp_min = r.dp_max_abs = kNaN;
  for (double& v : r.kld_percentiles) v = kNaN;
  for (double& v : r.dp_percentiles) v = kNaN;
  return r;
}

}  // namespace

Report ParsePrintedReport(std::string_view text, const std::string& what) {
  Report r = Unprinted();
  Block block = Block::kNone;
  int kld_blocks = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = StripLogPrefix(text.substr(start, end - start));
    start = end + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string line = Squeezed(raw);
    const Block b = BlockOf(line);
    if (b != Block::kNone) {
      block = b;
      kld_blocks += b == Block::kKld;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string label = Squeezed(line.substr(0, colon));
    const Printed p = ParseValue(line.substr(colon + 1));
    if (std::isnan(p.value)) continue;
    if (block == Block::kPerplexity) ReadPerplexity(label, p, &r);
    if (block == Block::kKld) ReadKld(label, p, &r);
    if (block == Block::kDp) ReadDp(label, p, &r);
  }
  if (kld_blocks != 1 || std::isnan(r.kld.value)) {
    detail::Throw(KLDKIT_ERROR_FORMAT,
                  what + (kld_blocks > 1
                              ? ": more than one KL divergence statistics "
                                "block (the output of several runs?)"
                              : ": no KL divergence statistics block with a "
                                "Mean KLD line (not llama-perplexity "
                                "--kl-divergence output?)"));
  }
  r.has_statistics = true;
  return r;
}

}  // namespace kldkit
