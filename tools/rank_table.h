// The `rank` table: each quant's headline numbers, an efficiency score and
// the sort, shared by `rank` and `demo`.
#ifndef KLDKIT_TOOLS_RANK_TABLE_H_
#define KLDKIT_TOOLS_RANK_TABLE_H_

#include <cmath>
#include <string>
#include <vector>

#include "kldkit/metrics.hpp"
#include "tools/svg_plot.h"

namespace kldkit {
namespace cli {

struct RankEntry {
  std::string name;
  Report report;
  double size = 0;        // bytes; 0 when unknown
  double bits_per_weight = NAN;  // from a GGUF --size file; NaN if unknown
  double efficiency = 0;  // NaN when no size is known
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

// `measure`: a mean measure's name to add as a column, or "".
std::string RenderRankTable(const std::vector<RankEntry>& entries,
                            const std::string& measure = "");
std::string RenderRankJson(const std::vector<RankEntry>& entries,
                           const std::string& metric, const std::string& kld);
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
