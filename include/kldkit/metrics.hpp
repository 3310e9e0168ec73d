// Statistics layer: fold per-token results (kldkit::TokenResult) into the
// report llama.cpp's `llama-perplexity --kl-divergence` prints, with the
// same definitions, from streaming, mergeable, serialisable accumulators.
//
// Errors: kldkit::Error. INVALID_ARGUMENT for bad options; INCOMPATIBLE when
// merging or decoding differently configured state; FORMAT, TRUNCATED,
// CHECKSUM, UNSUPPORTED for bad serialised bytes (see
// docs/accumulator-encoding.md).
#ifndef KLDKIT_METRICS_HPP_
#define KLDKIT_METRICS_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gsl/span>

#include "kldkit/error.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"

namespace kldkit {

// How percentiles of KLD and Δp are obtained. Values are pinned.
enum class PercentileMode : uint32_t {
  // Store every value as float (8 bytes per token) and sort: identical to
  // llama.cpp's store-sort-interpolate definition. The default.
  kExact = 0,
  // A relative-error quantile sketch (bounded memory). Guarantee: each
  // reported percentile v interpolates, with llama.cpp's position and
  // weight w, two sketch values that are each within relative error a of
  // the order statistics x_lo, x_hi llama.cpp interpolates, so
  //   |v - exact| <= a * ((1 - w)|x_lo| + w |x_hi|) + kSketchMinValue
  // (a = sketch_relative_accuracy; magnitudes below kSketchMinValue count as
  // 0; above kSketchMaxValue the bound is lost but the extremes stay exact).
  // Memory <= Accumulator::SketchMemoryCap(a) whatever the token count:
  // about 1.1 MB at a = 1e-3, scaling as 1/a (with the measures of
  // kldkit/measures.hpp, SketchMemoryCap(a, measures)).
  kSketch = 1,
};

inline constexpr double kSketchMinValue = 1e-15;
inline constexpr double kSketchMaxValue = 1e15;

// Since 0.1.
struct AccumulatorOptions {
  PercentileMode percentiles = PercentileMode::kExact;
  // Relative accuracy a of the sketch, in [1e-6, 0.1]; used in kSketch mode.
  double sketch_relative_accuracy = 1e-3;
  // Since 0.2: the measures folded (kldkit/measures.hpp) and the K of the
  // per-K ones; tokens fold the measures their MeasureValues hold.
  MeasureMask measures = 0;
  TopKList top_k;
};

// The KLD percentiles llama.cpp prints, in its order (0.5 is the median).
inline constexpr int kKldPercentileCount = 9;
inline constexpr float kKldPercentileFractions[kKldPercentileCount] = {
    0.999f, 0.99f, 0.95f, 0.90f, 0.5f, 0.10f, 0.05f, 0.01f, 0.001f};
// The Δp percentiles llama.cpp prints, in its order (0.5 is the median).
inline constexpr int kDpPercentileCount = 11;
inline constexpr float kDpPercentileFractions[kDpPercentileCount] = {
    0.999f, 0.99f, 0.95f, 0.90f, 0.75f, 0.5f, 0.25f, 0.10f, 0.05f, 0.01f,
    0.001f};

// Fewer scored tokens than this: llama.cpp prints no final statistics.
inline constexpr uint64_t kMinTokensForStatistics = 100;

// A value and its standard uncertainty (0 where llama.cpp gives none).
struct Estimate {
  double value = 0;
  double uncertainty = 0;
};

// One reported quantity of a measure (since 0.2), by the measure's kind:
// kMean, kMeanPercentiles: k 0, mean, extremes (and percentiles);
// kPerK: one per K, k = K; kTargetRank: one per K of kTargetTopK, k = K,
// mean = the rate under the base, second = under the model;
// kBuckets: one per bucket, k = its index (kBucketEdges), mean = its mean
// KLD, second = its same-top fraction.
struct MeasureStat {
  uint32_t measure = 0;  // a Measure id
  uint32_t k = 0;
  uint64_t n = 0;          // tokens folded
  uint64_t n_skipped = 0;  // tokens whose value was NaN or infinite
  Estimate mean;
  Estimate second;
  double min = 0;
  double max = 0;
  double percentiles[kKldPercentileCount] = {};  // kKldPercentileFractions
};

// Room for every quantity of every measure.
inline constexpr int kMaxMeasureStats = 48;

// Every number of llama.cpp's final block and per-chunk line, and the
// measures asked for. Plain numbers only (the C ABI mirrors it). Probabilities and Δp are fractions (the text
// rendering multiplies by 100); ln values in nats.
struct Report {
  uint32_t percentile_mode = 0;         // PercentileMode
  double sketch_relative_accuracy = 0;  // a, when percentile_mode is kSketch
  // Counts.
  uint64_t n_tokens = 0;   // valid tokens: the n of every statistic
  uint64_t n_skipped = 0;  // tokens never averaged (sum of the next five)
  uint64_t n_skipped_model_nan = 0;    // TokenFlags::kInvalidModelNaN
  uint64_t n_skipped_model_inf = 0;    // kInvalidModelInf (and not NaN)
  uint64_t n_skipped_model_empty = 0;  // kInvalidModelEmpty only
  uint64_t n_skipped_base = 0;         // kInvalidBase only
  uint64_t n_skipped_non_finite = 0;   // flags valid, but a field NaN, inf
                                       // or beyond 1e18 (would overflow)
  uint64_t n_same_top = 0;
  bool has_statistics = false;  // n_tokens >= kMinTokensForStatistics
  bool has_percentiles = false;
  // Perplexity.
  Estimate ln_ppl;       // mean nll of the model
  Estimate ln_ppl_base;  // mean nll of the base
  double ln_ppl_covariance = 0;
  double ln_ppl_correlation = 0;  // Cor(ln PPL(Q), ln PPL(base)), fraction
  Estimate ppl;
  Estimate ppl_base;
  Estimate ln_ppl_ratio;  // Mean ln(PPL(Q)/PPL(base))
  Estimate ppl_ratio;     // Mean PPL(Q)/PPL(base)
  Estimate ppl_diff;      // Mean PPL(Q)-PPL(base)
  // KL divergence (nats).
  Estimate kld;
  double kld_max = 0;
  double kld_min = 0;
  double kld_percentiles[kKldPercentileCount] = {};  // kKldPercentileFractions
  // Token probability difference Δp = p - p_base (fractions).
  Estimate dp;
  double dp_max = 0;
  double dp_min = 0;
  double dp_max_abs = 0;
  double dp_percentiles[kDpPercentileCount] = {};  // kDpPercentileFractions
  Estimate dp_rms;
  Estimate same_top;  // fraction of tokens whose top-1 agree
  // Since 0.2: the measures' quantities, in measure id order.
  uint32_t n_measure_stats = 0;
  MeasureStat measure_stats[kMaxMeasureStats];
};

// Folds TokenResults. Thread safety: not thread-safe; use one per thread
// (or kldkit::CompareBatch) and Merge. Copyable and movable.
class Accumulator {
 public:
  // Throws INVALID_ARGUMENT for bad options.
  explicit Accumulator(const AccumulatorOptions& options = {});
  ~Accumulator();
  Accumulator(const Accumulator& other);
  Accumulator& operator=(const Accumulator& other);
  Accumulator(Accumulator&& other) noexcept;
  Accumulator& operator=(Accumulator&& other) noexcept;

  const AccumulatorOptions& Options() const;

  // Folds one token. A result that is not Valid(), or has a NaN/inf field,
  // is counted in the report's n_skipped_* and never averaged. Never throws.
  void Add(const TokenResult& result);
  void Add(gsl::span<const TokenResult> results);

  // Absorbs `other` (left unchanged; may be *this's copy, not *this).
  // Throws INCOMPATIBLE if the options differ, INVALID_ARGUMENT if the two
  // together would count more than 2^64 - 1 tokens (nothing is merged).
  void Merge(const Accumulator& other);

  bool IsEmpty() const;        // no token added, valid or skipped
  uint64_t Count() const;      // valid tokens
  uint64_t SkippedCount() const;
  size_t MemoryBytes() const;  // heap bytes held
  // Upper bound of MemoryBytes() in kSketch mode for accuracy a.
  static size_t SketchMemoryCap(double relative_accuracy);
  // The same with `measures` folded (since 0.2): a sketch more per
  // percentile measure (reverse KL, JSD) and at most 16 KiB of state.
  static size_t SketchMemoryCap(double relative_accuracy,
                                MeasureMask measures);

  // Portable, versioned bytes (docs/accumulator-encoding.md).
  std::vector<uint8_t> Serialize() const;
  // Decodes `bytes` and merges them in; all or nothing. Throws FORMAT,
  // TRUNCATED, CHECKSUM, UNSUPPORTED, or INCOMPATIBLE when the state's
  // options differ from Options().
  void DecodeAndMerge(gsl::span<const uint8_t> bytes);
  // A new accumulator with the options stored in `bytes`.
  static Accumulator Deserialize(gsl::span<const uint8_t> bytes);

  // The statistics so far. with_percentiles = false skips the sort (for
  // per-chunk lines); percentile fields are then NaN.
  Report MakeReport(bool with_percentiles = true) const;

  struct Impl;  // internal (lib/metrics/accumulator_impl.h), opaque here

 private:
  std::unique_ptr<Impl> impl_;
};

// The quantity of measure `id` with this k (kMean kinds: 0), or nullptr
// when the report does not hold it. Since 0.2.
const MeasureStat* FindMeasureStat(const Report& report, Measure id,
                                   uint32_t k = 0);

// llama.cpp's final blocks ("====== Perplexity statistics ======" through
// "Same top p"), same labels, order and printf formats. The blocks are left
// out when !report.has_statistics, as llama.cpp prints nothing below 100
// tokens. When tokens were skipped, a last line "Skipped tokens: N (...)"
// (not llama.cpp's) says how many and why; otherwise the text is exactly
// llama.cpp's.
std::string RenderText(const Report& report);

// The column header printed above the per-chunk lines.
std::string ChunkHeader();

// One per-chunk line (chunk numbers start at 1) from a report of the
// running totals, with its trailing newline.
std::string FormatChunkLine(int chunk, const Report& running);

// Every field as JSON, schema "kldkit.report" version 1 (docs/report-json.md).
std::string RenderJson(const Report& report);

// The final statistics blocks of a printed report, read back: llama.cpp's
// or ik_llama.cpp's `llama-perplexity --kl-divergence` output (lines may
// carry log timestamps and level prefixes) or RenderText's. The printed
// values fill their Report fields (Δp and same-top back to fractions);
// what is not printed (token counts, the percentiles an older build
// lacks, any block it lacks) is NaN. Since 0.2. Throws FORMAT when the
// text holds no "KL divergence statistics" block or more than one (two
// runs' output in one file). `what` names the input in messages.
Report ParsePrintedReport(std::string_view text, const std::string& what);

}  // namespace kldkit

#endif  // KLDKIT_METRICS_HPP_
