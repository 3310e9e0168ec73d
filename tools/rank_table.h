// The `rank` table: each quant's headline numbers, an efficiency score and
// the sort, shared by `rank` and `demo`.
#ifndef KLDKIT_TOOLS_RANK_TABLE_H_
#define KLDKIT_TOOLS_RANK_TABLE_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kldkit/metrics.hpp"
#include "kldkit/ranking.hpp"
#include "tools/svg_plot.h"

namespace kldkit {
namespace cli {

struct RankEntry {
  std::string name;
  Report report;
  double size = 0;        // bytes; 0 when unknown
  double bits_per_weight = NAN;  // from a GGUF --size file; NaN if unknown
  double efficiency = 0;  // NaN when no size is known
  size_t input = 0;       // position among the inputs
  // The paired comparison with the quant ranked next, when per-token
  // results were at hand (not from --logs or --states).
  std::optional<PairedDifference> next;
  double kld_low = NAN, kld_high = NAN;  // interval of the --kld statistic
};

// How the pairs were computed; an empty statistic: no pairs.
struct PairSummary {
  std::string statistic;  // RankKeyName: "mean_kld"
  uint32_t chunks = 0;
  uint32_t resamples = 0;
  double level = 0.95;
  uint64_t seed = 0;
};

// The sort keys of --sort: the headline numbers, then every mean measure
// (kldkit/measures.hpp) by name.
const std::vector<std::string>& RankMetrics();
// The values of --kld: "mean", "p99.9", or a mean measure's name.
const std::vector<std::string>& PlotStatistics();
// The mean measure a --sort or --kld value names, or nullptr.
const MeasureDescriptor* MeanMeasure(const std::string& name);
// The --kld statistic of an entry (a measure's mean: NaN if not computed).
double KldOf(const RankEntry& e, const std::string& kld);
// The label of a --kld statistic ("mean KLD", "Jensen-Shannon divergence").
std::string KldName(const std::string& kld);

// Efficiency score: distance to the ideal point (size 0, KLD 0) after
// dividing each axis by its largest value among the ranked quants:
//   sqrt((size / max size)^2 + (KLD / max KLD)^2), in [0, sqrt 2], lower is
// better; KLD is the --kld statistic. NaN for every entry unless each one
// has a size.
void ComputeEfficiency(std::vector<RankEntry>& entries, const std::string& kld);

// Best first by `metric` (RankMetrics()): lower KLD, |ln PPL ratio|, size
// and efficiency are better; higher same-top-p is better. Stable.
void SortEntries(std::vector<RankEntry>& entries, const std::string& metric,
                 const std::string& kld);

// `measure`: a mean measure's name to add as a column, or "". With pairs,
// a paragraph under the table gives each neighbour pair's difference.
std::string RenderRankTable(const std::vector<RankEntry>& entries,
                            const std::string& measure = "",
                            const PairSummary& pairs = {});
// kldkit.rank version 1: "quants" in rank order, and with pairs "pairs"
// (one per neighbour pair) and "confidence" (how they were computed).
std::string RenderRankJson(const std::vector<RankEntry>& entries,
                           const std::string& metric, const std::string& kld,
                           const PairSummary& pairs = {});
std::vector<PlotPoint> PlotPoints(const std::vector<RankEntry>& entries,
                                  const std::string& kld);

// Whether any entry's bits per weight is known (its column is shown).
bool AnyBitsPerWeight(const std::vector<RankEntry>& entries);

// Text for --help and the README: how the efficiency score is normalised.
extern const char kEfficiencyNote[];

// s as a JSON string literal (quotes, backslashes, control characters
// escaped).
std::string JsonString(const std::string& s);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_RANK_TABLE_H_
