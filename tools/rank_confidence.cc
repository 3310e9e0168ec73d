#include "tools/rank_confidence.h"

#include "kldkit/error.hpp"

namespace kldkit {
namespace cli {

RankSamples::RankSamples(size_t models, MeasureMask means)
    : samples_(models, ChunkSamples(means)) {}

void RankSamples::Attach(EvaluateOptions* options) {
  auto chained = options->on_tokens;
  options->on_tokens = [this, chained](size_t m, uint64_t first,
                                       gsl::span<const TokenResult> results,
                                       gsl::span<const int32_t> targets,
                                       const TokenLayout& layout) {
    if (chained) chained(m, first, results, targets, layout);
    const uint64_t per_chunk = layout.RowsPerChunk();
    // Chunks count from the range's first (the first rows to arrive).
    if (first_chunk_ == kUnset) first_chunk_ = first / per_chunk;
    for (size_t i = 0; i < results.size(); ++i) {
      const uint64_t chunk = (first + i) / per_chunk - first_chunk_;
      samples_[m].Add(static_cast<uint32_t>(chunk), results[i]);
    }
  };
}

void RankSamples::AddFile(size_t model, const TokenFile& file) {
  const uint64_t per_chunk = file.info.RowsPerChunk();
  for (size_t i = 0; i < file.tokens.Rows(); ++i) {
    samples_[model].Add(static_cast<uint32_t>(i / per_chunk),
                        file.tokens.Result(i, file.info.measures));
  }
}

std::optional<RankKey> SortKey(const std::string& sort) {
  if (sort == "mean-kld") return RankKey{RankStatistic::kMeanKld};
  if (sort == "p99.9-kld") return RankKey{RankStatistic::kP999Kld};
  if (sort == "ppl-ratio") return RankKey{RankStatistic::kAbsLnPplRatio};
  if (sort == "same-top") return RankKey{RankStatistic::kSameTop};
  if (const MeasureDescriptor* d = MeanMeasure(sort)) {
    return RankKey{RankStatistic::kMeasureMean, d->id};
  }
  return std::nullopt;
}

RankKey PlotKey(const std::string& kld) {
  if (kld == "mean") return RankKey{RankStatistic::kMeanKld};
  if (kld == "p99.9") return RankKey{RankStatistic::kP999Kld};
  const MeasureDescriptor* d = MeanMeasure(kld);
  if (d == nullptr) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "unknown --kld " + kld);
  }
  return RankKey{RankStatistic::kMeasureMean, d->id};
}

namespace {

std::vector<const ChunkSamples*> Pointers(const RankSamples& samples) {
  std::vector<const ChunkSamples*> out;
  for (const ChunkSamples& s : samples.Samples()) out.push_back(&s);
  return out;
}

}  // namespace

PairSummary AttachConfidence(std::vector<RankEntry>& entries,
                             const RankSamples& samples,
                             const std::string& sort, const std::string& kld,
                             const BootstrapOptions& options) {
  const std::vector<const ChunkSamples*> models = Pointers(samples);
  if (entries.size() < 2 || models.empty() || models[0]->Chunks() < 2) {
    return {};  // nothing to pair, or one chunk: nothing to resample
  }
  std::vector<size_t> order;
  for (const RankEntry& e : entries) order.push_back(e.input);
  PairSummary summary;
  const std::optional<RankKey> key = SortKey(sort);
  const RankKey plot_key = PlotKey(kld);
  std::optional<PairedRanking> sorted;
  if (key) {
    sorted = RankWithConfidence(models, order, *key, options);
    const PairedRanking& r = *sorted;
    for (size_t i = 0; i < r.pairs.size(); ++i) entries[i].next = r.pairs[i];
    summary.statistic = RankKeyName(*key);
    summary.chunks = r.chunks;
    summary.resamples = r.resamples;
    summary.level = options.level;
    summary.seed = options.seed;
  }
  // The same resamples give the plot's intervals when it shows the sort
  // statistic (mean-kld and mean, p99.9-kld and p99.9, a measure's name).
  const bool same = key && key->statistic == plot_key.statistic &&
                    key->measure == plot_key.measure;
  const PairedRanking plot =
      same ? *sorted : RankWithConfidence(models, order, plot_key, options);
  for (RankEntry& e : entries) {
    e.kld_low = plot.models[e.input].low;
    e.kld_high = plot.models[e.input].high;
  }
  return summary;
}

}  // namespace cli
}  // namespace kldkit
