// ChunkSamples (include/kldkit/ranking.hpp): one model's results folded per
// chunk, and its statistics over any multiset of chunks.
#include <algorithm>
#include <cmath>
#include <functional>

#include "kldkit/error.hpp"
#include "kldkit/ranking.hpp"
#include "lib/metrics/measure_state.h"
#include "lib/metrics/moment_sums.h"
#include "lib/metrics/percentile.h"

namespace kldkit {

namespace {

bool IsMean(const MeasureDescriptor& d) {
  return d.kind == MeasureKind::kMean ||
         d.kind == MeasureKind::kMeanPercentiles;
}

}  // namespace

std::string RankKeyName(const RankKey& key) {
  switch (key.statistic) {
    case RankStatistic::kMeanKld:
      return "mean_kld";
    case RankStatistic::kP999Kld:
      return "p99_9_kld";
    case RankStatistic::kAbsLnPplRatio:
      return "abs_ln_ppl_ratio";
    case RankStatistic::kSameTop:
      return "same_top";
    case RankStatistic::kMeasureMean:
      if (const MeasureDescriptor* d = FindMeasure(key.measure)) {
        return d->name;
      }
  }
  throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "unknown rank statistic");
}

bool HigherIsBetter(const RankKey& key) {
  return key.statistic == RankStatistic::kSameTop;
}

ChunkSamples::ChunkSamples(MeasureMask means) : means_(0) {
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((means & MeasureBit(d.id)) != 0 && IsMean(d)) {
      means_ |= MeasureBit(d.id);
      measure_ids_.push_back(d.id);
    }
  }
}

void ChunkSamples::Reserve(uint32_t n) {
  while (chunks_.size() < n) {
    Chunk c;
    c.kld_end = kld_.size();
    chunks_.push_back(c);
    measure_sums_.resize(measure_sums_.size() + measure_ids_.size());
    measure_counts_.resize(measure_counts_.size() + measure_ids_.size());
  }
}

void ChunkSamples::Add(uint32_t chunk, const TokenResult& r) {
  if (chunk + 1 < chunks_.size()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "ChunkSamples: chunk " + std::to_string(chunk) +
                    " added after chunk " + std::to_string(chunks_.size() - 1));
  }
  Reserve(chunk + 1);
  if (detail::SkipReason(r) >= 0) return;  // the report does not count it
  Chunk& c = chunks_.back();
  ++c.n;
  c.same_top += r.SameTop();
  c.kld += r.kld;
  // The report's ln PPL ratio is mean(nll) - mean(nll_base) of the float
  // values.
  c.ln_ratio += static_cast<double>(r.nll) - static_cast<double>(r.nll_base);
  kld_.push_back(static_cast<float>(r.kld));
  c.kld_end = kld_.size();
  descending_.clear();
  const size_t base = (chunks_.size() - 1) * measure_ids_.size();
  for (size_t m = 0; m < measure_ids_.size(); ++m) {
    const MeasureDescriptor* d = FindMeasure(measure_ids_[m]);
    if ((r.measures.mask & MeasureBit(d->id)) == 0) continue;
    const double v = r.measures.v[d->slot];
    if (!detail::AveragedValue(v)) continue;  // as the report skips it
    measure_sums_[base + m] += v;
    ++measure_counts_[base + m];
  }
}

uint32_t ChunkSamples::Chunks() const {
  return static_cast<uint32_t>(chunks_.size());
}

uint64_t ChunkSamples::Tokens() const { return kld_.size(); }

int ChunkSamples::MeasureColumn(const RankKey& key) const {
  for (size_t m = 0; m < measure_ids_.size(); ++m) {
    if (measure_ids_[m] == key.measure) return static_cast<int>(m);
  }
  return -1;
}

double ChunkSamples::MeanOf(const RankKey& key,
                            const std::vector<uint32_t>* weights) const {
  const int column = MeasureColumn(key);
  if (key.statistic == RankStatistic::kMeasureMean && column < 0) return NAN;
  const size_t stride = measure_ids_.size();
  double sum = 0;
  uint64_t n = 0;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const uint64_t w = weights ? (*weights)[i] : 1;
    if (w == 0) continue;
    const double dw = static_cast<double>(w);
    const Chunk& c = chunks_[i];
    switch (key.statistic) {
      case RankStatistic::kMeanKld:
        sum += dw * c.kld;
        n += w * c.n;
        break;
      case RankStatistic::kAbsLnPplRatio:
        sum += dw * c.ln_ratio;
        n += w * c.n;
        break;
      case RankStatistic::kSameTop:
        sum += static_cast<double>(w * c.same_top);
        n += w * c.n;
        break;
      default:
        sum += dw * measure_sums_[i * stride + column];
        n += w * measure_counts_[i * stride + column];
    }
  }
  if (n == 0) return NAN;
  const double mean = sum / static_cast<double>(n);
  return key.statistic == RankStatistic::kAbsLnPplRatio ? std::fabs(mean)
                                                        : mean;
}

double ChunkSamples::P999(const std::vector<uint32_t>* weights) const {
  if (descending_.size() != kld_.size()) {
    descending_.clear();
    descending_.reserve(kld_.size());
    uint64_t at = 0;
    for (uint32_t i = 0; i < chunks_.size(); ++i) {
      for (; at < chunks_[i].kld_end; ++at) descending_.emplace_back(kld_[at], i);
    }
    std::sort(descending_.begin(), descending_.end(),
              std::greater<std::pair<float, uint32_t>>());
  }
  uint64_t total = 0;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    total += (weights ? (*weights)[i] : 1) * chunks_[i].n;
  }
  if (total == 0) return NAN;
  // kKldPercentileFractions[0], where the report interpolates: ranks
  // counted from the top, the multiset's values taken w times each.
  const detail::PercentilePosition pos =
      detail::LocatePercentile(total, 0.999f);
  const uint64_t top_upper = total - 1 - pos.upper;
  const uint64_t top_lower = total - 1 - pos.lower;
  float upper = 0, lower = 0;
  uint64_t seen = 0;
  for (const auto& [value, chunk] : descending_) {
    const uint64_t w = weights ? (*weights)[chunk] : 1;
    if (seen <= top_upper && top_upper < seen + w) upper = value;
    if (seen <= top_lower && top_lower < seen + w) {
      lower = value;
      break;
    }
    seen += w;
  }
  return (1.0f - pos.weight) * lower + pos.weight * upper;
}

double ChunkSamples::Value(const RankKey& key) const {
  return Resampled(key, {});
}

double ChunkSamples::Resampled(const RankKey& key,
                               const std::vector<uint32_t>& weights) const {
  const std::vector<uint32_t>* w = weights.empty() ? nullptr : &weights;
  if (w != nullptr && w->size() != chunks_.size()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "ChunkSamples: one weight per chunk");
  }
  switch (key.statistic) {
    case RankStatistic::kP999Kld:
      return P999(w);
    case RankStatistic::kMeanKld:
    case RankStatistic::kAbsLnPplRatio:
    case RankStatistic::kSameTop:
    case RankStatistic::kMeasureMean:
      return MeanOf(key, w);
  }
  throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "unknown rank statistic");
}

}  // namespace kldkit
