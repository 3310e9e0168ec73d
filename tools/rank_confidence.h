// rank's paired confidence: each quant's per-token results folded per
// chunk (from the engine's pass or from token files), then the library's
// paired bootstrap (kldkit/ranking.hpp) attached to the sorted entries.
#ifndef KLDKIT_TOOLS_RANK_CONFIDENCE_H_
#define KLDKIT_TOOLS_RANK_CONFIDENCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kldkit/evaluate.hpp"
#include "kldkit/ranking.hpp"
#include "kldkit/token_file.hpp"
#include "tools/rank_table.h"

namespace kldkit {
namespace cli {

// One ChunkSamples per quant, in input order.
class RankSamples {
 public:
  RankSamples(size_t models, MeasureMask means);
  // Chains onto options->on_tokens: every model's results of the run, by
  // chunk of the range compared.
  void Attach(EvaluateOptions* options);
  // A token file's rows, as model `model`.
  void AddFile(size_t model, const TokenFile& file);
  const std::vector<ChunkSamples>& Samples() const { return samples_; }

 private:
  std::vector<ChunkSamples> samples_;
  static constexpr uint64_t kUnset = ~uint64_t{0};
  uint64_t first_chunk_ = kUnset;
};

// The statistic --sort ranks by, when it is one a pair can be compared on
// (not size or efficiency).
std::optional<RankKey> SortKey(const std::string& sort);
// The --kld statistic (the plot's y axis).
RankKey PlotKey(const std::string& kld);

// Sets each entry's `next` (the pair with the one below it) on the --sort
// statistic, when pairable, and its kld_low/kld_high on the --kld
// statistic; entries are sorted and carry their input index. Returns what
// the renderers print about the pairs (nothing for fewer than 2 entries
// or chunks).
PairSummary AttachConfidence(std::vector<RankEntry>& entries,
                             const RankSamples& samples,
                             const std::string& sort, const std::string& kld,
                             const BootstrapOptions& options);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_RANK_CONFIDENCE_H_
