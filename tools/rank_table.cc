#include "tools/rank_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kldkit/measures.hpp"
#include "tools/cli_common.h"

namespace kldkit {
namespace cli {

const char kEfficiencyNote[] =
    "Efficiency score: the distance to the ideal point (size 0, KLD 0) once "
    "each axis is divided by its largest value among the ranked quants, "
    "sqrt((size/max_size)^2 + (KLD/max_KLD)^2), with KLD the --kld "
    "statistic; 0 is ideal, a quant both largest and worst scores sqrt(2). It "
    "needs --size for every quant and only compares quants ranked together.";

namespace {

// Every measure a rank can sort or plot by: the mean kinds.
std::vector<std::string> MeanMeasureNames() {
  std::vector<std::string> names;
  for (const MeasureDescriptor& d : MeasureTable()) {
    if (d.kind == MeasureKind::kMean ||
        d.kind == MeasureKind::kMeanPercentiles) {
      names.push_back(d.name);
    }
  }
  return names;
}

std::vector<std::string> Joined(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

const std::vector<std::string>& RankMetrics() {
  static const std::vector<std::string> kMetrics =
      Joined({"mean-kld", "p99.9-kld", "ppl-ratio", "same-top", "size",
              "efficiency"},
             MeanMeasureNames());
  return kMetrics;
}

const std::vector<std::string>& PlotStatistics() {
  static const std::vector<std::string> kStatistics =
      Joined({"mean", "p99.9"}, MeanMeasureNames());
  return kStatistics;
}

const MeasureDescriptor* MeanMeasure(const std::string& name) {
  const MeasureDescriptor* d = FindMeasure(name);
  if (d == nullptr || (d->kind != MeasureKind::kMean &&
                       d->kind != MeasureKind::kMeanPercentiles)) {
    return nullptr;
  }
  return d;
}

double KldOf(const RankEntry& e, const std::string& kld) {
  if (const MeasureDescriptor* d = MeanMeasure(kld)) {
    const MeasureStat* s = FindMeasureStat(e.report, d->id);
    return s != nullptr ? s->mean.value : NAN;
  }
  // kKldPercentileFractions[0] is 0.999.
  return kld == "mean" ? e.report.kld.value : e.report.kld_percentiles[0];
}

std::string KldName(const std::string& kld) {
  if (const MeasureDescriptor* d = MeanMeasure(kld)) return d->label;
  return kld == "mean" ? "mean KLD" : "99.9% KLD";
}

bool AnyBitsPerWeight(const std::vector<RankEntry>& entries) {
  for (const RankEntry& e : entries) {
    if (!std::isnan(e.bits_per_weight)) return true;
  }
  return false;
}

void ComputeEfficiency(std::vector<RankEntry>& entries,
                       const std::string& kld) {
  double max_size = 0, max_kld = 0;
  bool all_sized = !entries.empty();
  for (const RankEntry& e : entries) {
    all_sized = all_sized && e.size > 0;
    max_size = std::max(max_size, e.size);
    max_kld = std::max(max_kld, KldOf(e, kld));
  }
  for (RankEntry& e : entries) {
    if (!all_sized) {
      e.efficiency = NAN;
      continue;
    }
    const double s = e.size / max_size;
    const double k = max_kld > 0 ? KldOf(e, kld) / max_kld : 0.0;
    e.efficiency = std::sqrt(s * s + k * k);
  }
}

void SortEntries(std::vector<RankEntry>& entries, const std::string& metric,
                 const std::string& kld) {
  auto key = [&](const RankEntry& e) -> double {
    if (metric == "mean-kld") return e.report.kld.value;
    if (metric == "p99.9-kld") return e.report.kld_percentiles[0];
    if (metric == "ppl-ratio") return std::fabs(e.report.ln_ppl_ratio.value);
    if (metric == "same-top") return -e.report.same_top.value;
    if (metric == "size") return e.size;
    if (MeanMeasure(metric) != nullptr) return KldOf(e, metric);
    (void)kld;
    return e.efficiency;
  };
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const RankEntry& a, const RankEntry& b) {
                     const double ka = key(a), kb = key(b);
                     if (std::isnan(kb)) return !std::isnan(ka);
                     return ka < kb;
                   });
}

namespace {

// The text label of a pair statistic (RankKeyName).
std::string StatisticLabel(const std::string& statistic) {
  if (statistic == "mean_kld") return "mean KLD";
  if (statistic == "p99_9_kld") return "99.9% KLD";
  if (statistic == "abs_ln_ppl_ratio") return "|ln PPL ratio|";
  if (statistic == "same_top") return "same top";
  const MeasureDescriptor* d = MeanMeasure(statistic);
  return d != nullptr ? d->label : statistic;
}

// "separated", "~N chunks to separate" or "never (order reversed)".
std::string SeparationText(const PairedDifference& p) {
  if (p.separated) return "separated";
  if (!std::isfinite(p.chunks_to_separate)) return "no separation in sight";
  char text[64];
  std::snprintf(text, sizeof(text), "~%.0f chunks to separate",
                p.chunks_to_separate);
  return text;
}

std::string RenderPairs(const std::vector<RankEntry>& entries,
                        const PairSummary& pairs, size_t width) {
  char line[512];
  std::snprintf(line, sizeof(line),
                "\nNeighbours on %s (paired: %u chunks resampled %u times, "
                "%.0f%% intervals; positive: the order holds)\n",
                StatisticLabel(pairs.statistic).c_str(), pairs.chunks,
                pairs.resamples, 100.0 * pairs.level);
  std::string out = line;
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    if (!entries[i].next) continue;
    const PairedDifference& p = *entries[i].next;
    std::snprintf(line, sizeof(line),
                  "%4zu  %-*s  %+11.6f  [%+.6f, %+.6f]  P(order) %.3f  %s\n",
                  i + 1, static_cast<int>(width),
                  (entries[i].name + " vs " + entries[i + 1].name).c_str(),
                  p.difference, p.low, p.high, p.p_order,
                  SeparationText(p).c_str());
    out += line;
  }
  return out;
}

}  // namespace

std::string RenderRankTable(const std::vector<RankEntry>& entries,
                            const std::string& measure,
                            const PairSummary& pairs) {
  size_t width = 5;
  for (const RankEntry& e : entries) width = std::max(width, e.name.size());
  std::string out;
  char line[512];
  const std::string extra =
      measure.empty() ? "" : "  " + std::string(14 - std::min<size_t>(
                                                        14, measure.size()),
                                                    ' ') + measure;
  const bool bpw = AnyBitsPerWeight(entries);
  std::snprintf(line, sizeof(line),
                "%4s  %-*s  %10s%s  %10s  %10s  %10s  %10s  %10s%s\n", "rank",
                static_cast<int>(width), "quant", "size", bpw ? "    bpw" : "", "mean KLD", "99.9% KLD", "PPL ratio",
                "same top", "efficiency", extra.c_str());
  out += line;
  for (size_t i = 0; i < entries.size(); ++i) {
    const RankEntry& e = entries[i];
    const std::string size = e.size > 0 ? HumanBytes(e.size) : std::string("-");
    char eff[32] = "-";
    if (!std::isnan(e.efficiency)) {
      std::snprintf(eff, sizeof(eff), "%.4f", e.efficiency);
    }
    char bits[16] = "";
    if (bpw && std::isnan(e.bits_per_weight)) {
      std::snprintf(bits, sizeof(bits), "  %5s", "-");
    } else if (bpw) {
      std::snprintf(bits, sizeof(bits), "  %5.2f", e.bits_per_weight);
    }
    std::snprintf(line, sizeof(line),
                  "%4zu  %-*s  %10s%s  %10.6f  %10.6f  %10.6f  %9.3f%%  %10s",
                  i + 1, static_cast<int>(width), e.name.c_str(), size.c_str(),
                  bits, e.report.kld.value, e.report.kld_percentiles[0],
                  e.report.ppl_ratio.value, 100.0 * e.report.same_top.value,
                  eff);
    out += line;
    if (!measure.empty()) {
      std::snprintf(line, sizeof(line), "  %14.6f", KldOf(e, measure));
      out += line;
    }
    out += "\n";
  }
  if (!pairs.statistic.empty()) {
    size_t pair_width = 0;
    for (size_t i = 0; i + 1 < entries.size(); ++i) {
      pair_width = std::max(pair_width, entries[i].name.size() + 4 +
                                            entries[i + 1].name.size());
    }
    out += RenderPairs(entries, pairs, pair_width);
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

namespace {

std::string JsonNum(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

// ", \"measures\": {name: mean, ...}" of the mean measures computed.
std::string MeanMeasuresJson(const Report& r) {
  std::string out;
  for (const std::string& name : MeanMeasureNames()) {
    const MeasureStat* s = FindMeasureStat(r, MeanMeasure(name)->id);
    if (s == nullptr) continue;
    out += (out.empty() ? "" : ", ") + JsonString(name) + ": " +
           JsonNum(s->mean.value);
  }
  return out.empty() ? "" : ", \"measures\": {" + out + "}";
}

}  // namespace

namespace {

std::string PairsJson(const std::vector<RankEntry>& entries,
                      const PairSummary& pairs) {
  std::string out = ",\n\"confidence\": {\"method\": \"paired chunk bootstrap\", "
                    "\"chunks\": " + std::to_string(pairs.chunks) +
                    ", \"resamples\": " + std::to_string(pairs.resamples) +
                    ", \"level\": " + JsonNum(pairs.level) +
                    ", \"seed\": " + std::to_string(pairs.seed) +
                    "},\n\"pairs\": [";
  bool first = true;
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    if (!entries[i].next) continue;
    const PairedDifference& p = *entries[i].next;
    out += std::string(first ? "\n" : ",\n") +
           "  {\"better\": " + JsonString(entries[i].name) +
           ", \"worse\": " + JsonString(entries[i + 1].name) +
           ", \"statistic\": " + JsonString(pairs.statistic) +
           ", \"difference\": " + JsonNum(p.difference) +
           ", \"low\": " + JsonNum(p.low) + ", \"high\": " + JsonNum(p.high) +
           ", \"p_order\": " + JsonNum(p.p_order) +
           ", \"separated\": " + (p.separated ? "true" : "false") +
           ", \"chunks_to_separate\": " + JsonNum(p.chunks_to_separate) + "}";
    first = false;
  }
  return out + "\n]";
}

}  // namespace

std::string RenderRankJson(const std::vector<RankEntry>& entries,
                           const std::string& metric, const std::string& kld,
                           const PairSummary& pairs) {
  std::string out =
      "{\"schema\": \"kldkit.rank\", \"version\": 1, "
      "\"sort\": " +
      JsonString(metric) + ", \"kld\": " + JsonString(kld) + ", \"quants\": [";
  for (size_t i = 0; i < entries.size(); ++i) {
    const RankEntry& e = entries[i];
    out += std::string(i ? ",\n" : "\n") +
           "  {\"rank\": " + std::to_string(i + 1) +
           ", \"name\": " + JsonString(e.name) +
           ", \"size\": " + (e.size > 0 ? JsonNum(e.size) : "null") +
           ", \"size_bytes\": " + (e.size > 0 ? JsonNum(e.size) : "null") +
           ", \"bits_per_weight\": " + JsonNum(e.bits_per_weight) +
           ", \"mean_kld\": " + JsonNum(e.report.kld.value) +
           ", \"kld_99_9\": " + JsonNum(e.report.kld_percentiles[0]) +
           ", \"p99_9_kld\": " + JsonNum(e.report.kld_percentiles[0]) +
           ", \"ppl_ratio\": " + JsonNum(e.report.ppl_ratio.value) +
           ", \"same_top\": " + JsonNum(e.report.same_top.value) +
           ", \"efficiency\": " + JsonNum(e.efficiency) +
           MeanMeasuresJson(e.report) +
           ", \"kld_low\": " + JsonNum(e.kld_low) +
           ", \"kld_high\": " + JsonNum(e.kld_high) +
           ", \"n_tokens\": " + std::to_string(e.report.n_tokens) + "}";
  }
  out += "\n]";
  if (!pairs.statistic.empty()) out += PairsJson(entries, pairs);
  return out + "}\n";
}

std::vector<PlotPoint> PlotPoints(const std::vector<RankEntry>& entries,
                                  const std::string& kld) {
  std::vector<PlotPoint> points;
  for (const RankEntry& e : entries) {
    PlotPoint p;
    p.label = e.name;
    p.size = e.size;
    p.kld = KldOf(e, kld);
    p.bits_per_weight = e.bits_per_weight;
    p.low = e.kld_low;
    p.high = e.kld_high;
    points.push_back(p);
  }
  return points;
}

}  // namespace cli
}  // namespace kldkit
