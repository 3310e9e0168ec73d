// Ranking with stated confidence: two quants evaluated on the same tokens
// are compared on the same resampled chunks (a paired bootstrap that
// resamples whole chunks, since tokens inside a chunk are correlated), so
// their difference is far better determined than their two ± suggest.
// Definitions and the coverage check: docs/ranking.md. Since 0.2.
#ifndef KLDKIT_RANKING_HPP_
#define KLDKIT_RANKING_HPP_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"

namespace kldkit {

// The statistics a ranking can be paired on; each as the report computes
// it from the tokens it counts (skipped tokens are not counted).
enum class RankStatistic : uint32_t {
  kMeanKld = 0,
  kP999Kld = 1,         // llama.cpp's 99.9% KLD (same positions, in float)
  kAbsLnPplRatio = 2,   // |ln(PPL(Q)/PPL(base))|, the ppl-ratio sort key
  kSameTop = 3,         // same-top-p (higher is better), a fraction
  kMeasureMean = 4,     // the mean of `measure` (a kMean or
                        // kMeanPercentiles measure)
};
struct RankKey {
  RankStatistic statistic = RankStatistic::kMeanKld;
  Measure measure = Measure::kReverseKld;  // for kMeasureMean
};
// "mean_kld", "p99_9_kld", "abs_ln_ppl_ratio", "same_top", or the
// measure's name: the `statistic` of rank's JSON pairs.
std::string RankKeyName(const RankKey& key);
// Whether a larger value ranks better (only same-top).
bool HigherIsBetter(const RankKey& key);

// One model's per-token results folded per chunk, enough to recompute any
// RankStatistic over any multiset of chunks: per chunk the tokens counted
// and the sums of the mean statistics, and every counted token's KLD (as
// the report stores it, float). Memory: 4 bytes per token plus ~40 bytes
// (and 16 per mean measure) per chunk.
class ChunkSamples {
 public:
  // `means`: the measures whose means can be ranked (others are ignored).
  explicit ChunkSamples(MeasureMask means = 0);

  // A result of a row of chunk `chunk` (0-based; chunks come in
  // nondecreasing order; a chunk may have no counted token). Throws
  // INVALID_ARGUMENT for a chunk before the last one added.
  void Add(uint32_t chunk, const TokenResult& result);
  // Declares chunks [0, n) (trailing chunks with no counted token).
  void Reserve(uint32_t n);

  uint32_t Chunks() const;
  uint64_t Tokens() const;  // counted tokens
  MeasureMask Means() const { return means_; }

  // The statistic over every chunk once; NaN with no counted token, or a
  // measure not folded. Throws INVALID_ARGUMENT for an unknown key.
  double Value(const RankKey& key) const;
  // The same over the chunks drawn `weights[c]` times each (weights has
  // Chunks() entries).
  double Resampled(const RankKey& key, const std::vector<uint32_t>& weights)
      const;

 private:
  struct Chunk {
    uint64_t n = 0;              // counted tokens
    uint64_t same_top = 0;
    double kld = 0;              // sums
    double ln_ratio = 0;         // of nll - nll_base
    uint64_t kld_end = 0;        // end of this chunk's values in kld_
  };
  double MeanOf(const RankKey& key, const std::vector<uint32_t>* weights)
      const;
  double P999(const std::vector<uint32_t>* weights) const;
  int MeasureColumn(const RankKey& key) const;

  MeasureMask means_;
  std::vector<Measure> measure_ids_;       // the mean measures folded
  std::vector<Chunk> chunks_;
  std::vector<double> measure_sums_;       // [chunk][measure]
  std::vector<uint64_t> measure_counts_;   // [chunk][measure]
  std::vector<float> kld_;                 // counted tokens, chunk order
  // KLD values by decreasing value, with their chunk (built on first use).
  mutable std::vector<std::pair<float, uint32_t>> descending_;
};

struct BootstrapOptions {
  uint32_t resamples = 1000;
  uint64_t seed = 1;    // the same seed gives the same intervals
  double level = 0.95;  // of the intervals
  size_t threads = 1;   // does not change any result
};

// A neighbour pair of a ranking. The difference is oriented so that it is
// positive when the pair is in the right order: the worse one's statistic
// minus the better one's (the reverse for same-top).
struct PairedDifference {
  size_t better = 0, worse = 0;  // model indices
  double difference = 0;         // over the evaluated chunks
  double low = 0, high = 0;      // percentile bootstrap interval at `level`
  double p_order = 0;            // share of resamples in the right order
                                 // (ties count half)
  // The interval already excludes zero.
  bool separated = false;
  // Chunks at which it would, its lower half-width shrinking as
  // 1/sqrt(chunks) and the small-sample expansion fading:
  // chunks * ((difference - low) / difference)^2 * (z / z_chunks)^2, rounded
  // up (at least chunks + 1), z the normal quantile of the level and
  // z_chunks that of the expanded tail; the chunk count when separated;
  // infinity when difference <= 0.
  double chunks_to_separate = 0;
};

struct Interval {
  double value = 0, low = 0, high = 0;
};

struct PairedRanking {
  std::vector<PairedDifference> pairs;  // one per neighbour, in rank order
  std::vector<Interval> models;         // each model's own interval
  uint32_t chunks = 0;
  uint32_t resamples = 0;
};

// For the models in rank order `order` (indices into `models`), the paired
// difference of each neighbour pair on `key`, all from the same resamples
// of whole chunks. Deterministic for a seed, whatever the threads. Throws
// INVALID_ARGUMENT (fewer than 2 chunks, no resamples, a level outside
// (0, 1), an order that is not a permutation) and MISMATCH (models over
// different chunk counts).
PairedRanking RankWithConfidence(const std::vector<const ChunkSamples*>& models,
                                 const std::vector<size_t>& order,
                                 const RankKey& key,
                                 const BootstrapOptions& options = {});

}  // namespace kldkit

#endif  // KLDKIT_RANKING_HPP_
