// A deterministic, seeded generator of realistic logit rows, for tests,
// benchmarks and the demo. Not a model: it reproduces the shape of real
// next-token distributions (a Gaussian bulk, a Zipf-like per-token prior, a
// few strongly boosted candidates per row) so that speed, compression and
// statistics can be measured on data like the real thing.
#ifndef KLDKIT_SYNTH_HPP_
#define KLDKIT_SYNTH_HPP_

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gsl/span>

namespace kldkit {

struct GeneratorOptions {
  size_t n_vocab = 248320;
  uint64_t seed = 1;
  // Scales the width of the logit distribution. It decides the share of
  // codes at the -16 floor of a llama.cpp row (entries below max - 16),
  // measured at n_vocab 248320 (mean of 40 rows; rows vary by about +-0.08):
  // 0.25 -> 2%, 0.5 -> 40% (shaped like the real 32K fixture: row std 2.5
  // nats, top ~15.4 nats above the median), 0.75 -> 69% (like a real 248K
  // Qwen file), 1 -> 82%, 1.5 -> 91%, 2 -> 95%, 3 -> 98% (see synth_test).
  // Valid range [0.01, 100].
  float spread = 1.0f;
};

// Thread safety: const methods may run concurrently; rows are a pure
// function of (options, row index), so any row can be produced in any order.
class LogitGenerator {
 public:
  explicit LogitGenerator(const GeneratorOptions& options);

  const GeneratorOptions& Options() const { return options_; }

  // Base-model logits of row `row` (n_vocab floats).
  void BaseRow(uint64_t row, gsl::span<float> out) const;

  // A "quantized model" row: the base row plus Gaussian noise whose size is
  // calibrated per row so that KL(base || model) ~= target_kld nats on
  // average (small-noise approximation; one row's KLD scatters around the
  // target, up to ~4x it; the mean over 50 rows is within ~15%).
  // `variant` seeds the noise, so several quantizations differ.
  void ModelRow(uint64_t row, double target_kld, uint64_t variant,
                gsl::span<float> out) const;

  // The "next token" of row `row`, sampled from the base distribution.
  int32_t Target(uint64_t row) const;

 private:
  GeneratorOptions options_;
  // Fixed per-token prior (Zipf-like over a seeded rank permutation), scaled
  // by spread; rank r is token (r * rank_multiplier_ + rank_offset_) % n_vocab.
  std::vector<float> prior_;
  uint64_t rank_multiplier_ = 1;
  uint64_t rank_offset_ = 0;
};

}  // namespace kldkit

#endif  // KLDKIT_SYNTH_HPP_
