// A deterministic, seeded generator of realistic logit rows, for tests,
// benchmarks and the demo. Not a model: it reproduces the shape of real
// next-token distributions (a Gaussian bulk, a Zipf-like per-token prior, a
// few strongly boosted candidates per row) so that speed, compression and
// statistics can be measured on data like the real thing.
#ifndef KLDKIT_SYNTH_HPP_
#define KLDKIT_SYNTH_HPP_

#include <cstddef>
#include <cstdint>

#include <gsl/span>

namespace kldkit {

struct GeneratorOptions {
  size_t n_vocab = 248320;
  uint64_t seed = 1;
  // Scales the width of the logit distribution. It decides the share of
  // codes at the -16 floor of a llama.cpp row: ~0.5 gives about 40% of codes
  // at the floor, 1 about 80%, 2 about 96% (see synth_test).
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
  // calibrated per row so that KL(base || model) ~= target_kld nats.
  // `variant` seeds the noise, so several quantizations differ.
  void ModelRow(uint64_t row, double target_kld, uint64_t variant,
                gsl::span<float> out) const;

  // The "next token" of row `row`, sampled from the base distribution.
  int32_t Target(uint64_t row) const;

 private:
  GeneratorOptions options_;
};

}  // namespace kldkit

#endif  // KLDKIT_SYNTH_HPP_
