// The measures' text block and JSON member, walked from the descriptor
// table: each kind has one text and one JSON shape (docs/measures.md,
// docs/report-json.md), so a new measure of an existing kind renders with
// no change here.
#include "lib/metrics/render_measures.h"

#include <algorithm>
#include <string>

#include "lib/metrics/format.h"

namespace kldkit {
namespace detail {
namespace {

// ---- text -------------------------------------------------------------------

void TextLabel(std::string& out, const std::string& label) {
  Append(out, "%-31s: ", label.c_str());
}

std::string WithK(const MeasureDescriptor& d, uint32_t k) {
  return std::string(d.label) + " (K = " + std::to_string(k) + ")";
}

void TextMean(const MeasureDescriptor& d, const MeasureStat& s,
              std::string& out) {
  TextLabel(out, d.label);
  Append(out, "%10.6f \u00b1 %10.6f\n", s.mean.value, s.mean.uncertainty);
}

void TextPercentiles(const MeasureStat& s, std::string& out) {
  out += "    ";
  Append(out, "Max %.6f", s.max);
  for (int i = 0; i < kKldPercentileCount; ++i) {
    const float f = kKldPercentileFractions[i];
    if (f == 0.5f) {
      Append(out, ", Median %.6f", s.percentiles[i]);
    } else {
      Append(out, ", %.1f%% %.6f", 100.0 * f, s.percentiles[i]);
    }
  }
  Append(out, ", Min %.6f\n", s.min);
}

void TextStats(const MeasureDescriptor& d, gsl::span<const MeasureStat> stats,
               std::string& out) {
  switch (d.kind) {
    case MeasureKind::kMean:
      TextMean(d, stats[0], out);
      break;
    case MeasureKind::kMeanPercentiles:
      TextMean(d, stats[0], out);
      TextPercentiles(stats[0], out);
      break;
    case MeasureKind::kPerK:
      for (const MeasureStat& s : stats) {
        TextLabel(out, WithK(d, s.k));
        Append(out, "%6.3f \u00b1 %5.3f %%\n", 100.0 * s.mean.value,
               100.0 * s.mean.uncertainty);
      }
      break;
    case MeasureKind::kTargetRank:
      for (const MeasureStat& s : stats) {
        TextLabel(out, WithK(d, s.k));
        Append(out, "base %6.3f \u00b1 %5.3f %%, model %6.3f \u00b1 %5.3f %%\n",
               100.0 * s.mean.value, 100.0 * s.mean.uncertainty,
               100.0 * s.second.value, 100.0 * s.second.uncertainty);
      }
      break;
    case MeasureKind::kBuckets:
      Append(out, "%s:\n", d.label);
      for (const MeasureStat& s : stats) {
        if (s.k >= kBucketCount) continue;  // not a bucket (a hand-made report)
        const bool last = s.k + 1 == kBucketCount;
        Append(out,
               "    [%.2f, %.2f%c %9llu tokens, KLD %10.6f \u00b1 %10.6f, "
               "same top %6.3f %%\n",
               kBucketEdges[s.k], kBucketEdges[s.k + 1], last ? ']' : ')',
               static_cast<unsigned long long>(s.n), s.mean.value,
               s.mean.uncertainty, 100.0 * s.second.value);
      }
      break;
  }
}

// ---- JSON -------------------------------------------------------------------

std::string Member(const char* name, const std::string& value) {
  return std::string("\"") + name + "\": " + value;
}

std::string Count(uint64_t v) { return std::to_string(v); }

std::string JsonMean(const MeasureStat& s) {
  return Member("tokens", Count(s.n)) + ", " +
         Member("skipped", Count(s.n_skipped)) + ", " +
         Member("mean", JsonNumber(s.mean.value)) + ", " +
         Member("uncertainty", JsonNumber(s.mean.uncertainty)) + ", " +
         Member("min", JsonNumber(s.min)) + ", " +
         Member("max", JsonNumber(s.max));
}

std::string JsonPercentileMember(const Report& r, const MeasureStat& s) {
  return Member("percentiles",
                r.has_percentiles
                    ? JsonPercentiles(s.percentiles, kKldPercentileFractions,
                                      kKldPercentileCount)
                    : "null");
}

std::string JsonStats(const Report& r, const MeasureDescriptor& d,
                      gsl::span<const MeasureStat> stats) {
  std::string out;
  const auto keyed = [&](const MeasureStat& s, const std::string& body) {
    if (!out.empty()) out += ", ";
    out += Member(std::to_string(s.k).c_str(), "{" + body + "}");
  };
  switch (d.kind) {
    case MeasureKind::kMean:
      return "{" + JsonMean(stats[0]) + "}";
    case MeasureKind::kMeanPercentiles:
      return "{" + JsonMean(stats[0]) + ", " +
             JsonPercentileMember(r, stats[0]) + "}";
    case MeasureKind::kPerK:
      for (const MeasureStat& s : stats) keyed(s, JsonMean(s));
      return "{" + out + "}";
    case MeasureKind::kTargetRank:
      for (const MeasureStat& s : stats) {
        keyed(s, Member("tokens", Count(s.n)) + ", " +
                     Member("base", JsonNumber(s.mean.value)) + ", " +
                     Member("base_uncertainty",
                            JsonNumber(s.mean.uncertainty)) +
                     ", " + Member("model", JsonNumber(s.second.value)) +
                     ", " +
                     Member("model_uncertainty",
                            JsonNumber(s.second.uncertainty)));
      }
      return "{" + out + "}";
    case MeasureKind::kBuckets:
      for (const MeasureStat& s : stats) {
        if (s.k >= kBucketCount) continue;  // not a bucket (a hand-made report)
        if (!out.empty()) out += ", ";
        out += "{" + Member("lower", JsonNumber(kBucketEdges[s.k])) + ", " +
               Member("upper", JsonNumber(kBucketEdges[s.k + 1])) + ", " +
               Member("tokens", Count(s.n)) + ", " +
               Member("mean_kld", JsonNumber(s.mean.value)) + ", " +
               Member("mean_kld_uncertainty",
                      JsonNumber(s.mean.uncertainty)) +
               ", " + Member("same_top", JsonNumber(s.second.value)) + "}";
      }
      return "[" + out + "]";
  }
  return "null";
}

}  // namespace

gsl::span<const MeasureStat> StatsOf(const Report& r, Measure id) {
  const auto want = static_cast<uint32_t>(id);
  const uint32_t n = std::min<uint32_t>(r.n_measure_stats, kMaxMeasureStats);
  uint32_t begin = 0;
  while (begin < n && r.measure_stats[begin].measure != want) ++begin;
  uint32_t end = begin;
  while (end < n && r.measure_stats[end].measure == want) ++end;
  return {r.measure_stats + begin, end - begin};
}

std::string RenderMeasuresText(const Report& r) {
  if (r.n_measure_stats == 0) return "";
  std::string out = "\n====== More measures (kldkit, docs/measures.md) ======\n";
  for (const MeasureDescriptor& d : MeasureTable()) {
    const gsl::span<const MeasureStat> stats = StatsOf(r, d.id);
    if (!stats.empty()) TextStats(d, stats, out);
  }
  return out;
}

std::string RenderMeasuresJson(const Report& r) {
  if (r.n_measure_stats == 0) return "";
  std::string out;
  for (const MeasureDescriptor& d : MeasureTable()) {
    const gsl::span<const MeasureStat> stats = StatsOf(r, d.id);
    if (stats.empty()) continue;
    out += out.empty() ? "    " : ",\n    ";
    out += Member(d.name, JsonStats(r, d, stats));
  }
  return "  \"measures\": {\n" + out + "\n  },\n";
}

}  // namespace detail
}  // namespace kldkit
