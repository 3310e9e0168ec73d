// The synthetic logit generator. The shape constants below were fitted to the
// real 32K-vocab llama.cpp fixture (spread 0.5: per-row std 2.5 nats, top
// token ~15.4 nats above the median, ~7 tokens within 2 nats of the top and
// ~21 within 5, ~40% of codes at the -16 floor) and then widened with
// `spread` (see synth.hpp for the measured floor shares).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kldkit/synth.hpp"
#include "lib/common/error.h"
#include "lib/synth/random.h"

namespace kldkit {
namespace {

// Random streams of a row (distinct keys, so the draws are independent).
enum Stream : uint64_t {
  kStreamPrior = 0,
  kStreamBulk = 1,
  kStreamCandidates = 2,
  kStreamTarget = 3,
  kStreamModel = 4,
};

constexpr double kLn2 = 0.69314718055994530942;
constexpr size_t kCandidates = 48;
// Candidate j sits step * j^kCandidateExponent below the top (fixture: the
// 7th best is ~2.3 nats down, the 21st ~5, the ~60th ~8).
constexpr float kCandidateExponent = 0.55f;
// The top rises more slowly than the bulk widens; the exponent sets the
// floor share at large spread (fitted: 2 -> ~96%).
constexpr float kTopExponent = 0.66f;
// Noise above this many nats is no longer a "quantized model".
constexpr double kMaxNoiseSigma = 3.0;

struct Shape {
  float bulk_sigma;   // the Gaussian part of the bulk
  float prior_scale;  // the Zipf prior's part (exponential upper tail)
  float top;          // best candidate, above the bulk median
  float step;         // scale of the candidates' distances below the top
};

Shape MakeShape(float spread) {
  const float w = std::sqrt(spread / 0.5f);  // 1 at the fixture's shape
  const float sigma = 2.5f * w;
  return {0.968f * sigma, 0.25f * sigma,
          16.2f * std::pow(w, kTopExponent), 1.0f * w};
}

void ValidateOptions(const GeneratorOptions& o) {
  detail::Require(o.n_vocab >= 1 &&
                      o.n_vocab <= static_cast<size_t>(
                                       std::numeric_limits<int32_t>::max()),
                  "generator n_vocab must be in [1, 2^31-1]");
  detail::Require(std::isfinite(o.spread) && o.spread >= 0.01f &&
                      o.spread <= 100.0f,
                  "generator spread must be in [0.01, 100]");
}

// Fills out[i] = offset + prior[i] + sigma * z_i with z_i ~ N(0, 1).
// Fills out[i] = offset + prior[i] + sigma * z_i with z_i ~ N(0, 1); a null
// prior counts as zeros.
void AddGaussian(uint64_t key, const float* prior, float offset, float sigma,
                 float* out, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    float z[2];
    detail::BoxMuller(detail::Hash(key, i / 2), &z[0], &z[1]);
    for (size_t k = 0; k < 2 && i + k < n; ++k) {
      const float p = prior != nullptr ? prior[i + k] : 0.0f;
      out[i + k] = offset + p + sigma * z[k];
    }
  }
}

// sum_i p_i^2 for p = softmax(x), in double.
double SumOfSquaredProbs(const float* x, size_t n) {
  const float max = *std::max_element(x, x + n);
  double sum1 = 0.0, sum2 = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double e = std::exp(x[i] - max);
    sum1 += e;
    sum2 += e * e;
  }
  return sum2 / (sum1 * sum1);
}

}  // namespace

LogitGenerator::LogitGenerator(const GeneratorOptions& options)
    : options_(options) {
  ValidateOptions(options_);
  const size_t n = options_.n_vocab;
  const uint64_t key = detail::StreamKey(options_.seed, kStreamPrior, 0);
  // A seeded affine permutation of ranks: coprime multiplier, random offset.
  rank_multiplier_ = (detail::Hash(key, 0) % n) | 1u;
  while (std::gcd(rank_multiplier_, static_cast<uint64_t>(n)) != 1) {
    rank_multiplier_ = (rank_multiplier_ + 2) % n;
    if (rank_multiplier_ == 0) rank_multiplier_ = 1;
  }
  rank_offset_ = detail::Hash(key, 1) % n;
  // Zipf-like: rank r has log-weight ln(n / (r+1)), which is ~Exp(1) over
  // tokens; minus ln 2 puts its median at 0.
  const float scale = MakeShape(options_.spread).prior_scale;
  prior_.resize(n);
  const double log_n = std::log(static_cast<double>(n));
  for (size_t r = 0; r < n; ++r) {
    const size_t token = (r * rank_multiplier_ + rank_offset_) % n;
    prior_[token] = static_cast<float>(
        scale * (log_n - std::log(static_cast<double>(r + 1)) - kLn2));
  }
}

void LogitGenerator::BaseRow(uint64_t row, gsl::span<float> out) const {
  const size_t n = options_.n_vocab;
  detail::Require(out.size() == n, "BaseRow: out must hold n_vocab floats");
  const Shape shape = MakeShape(options_.spread);
  const uint64_t ckey =
      detail::StreamKey(options_.seed, kStreamCandidates, row);
  // Per-row level (logits are not log-probabilities) and peakedness.
  const float offset = 3.0f * detail::Normal(detail::Hash(ckey, 2 * kCandidates));
  const float peaked = std::exp(std::clamp(
      0.35f * detail::Normal(detail::Hash(ckey, 2 * kCandidates + 1)), -1.0f,
      1.0f));
  AddGaussian(detail::StreamKey(options_.seed, kStreamBulk, row),
              prior_.data(), offset, shape.bulk_sigma, out.data(), n);

  // Boosted candidates, drawn log-uniformly over rank (common tokens first).
  const double log_n = std::log(static_cast<double>(n));
  const size_t k = std::min(kCandidates, n);
  for (size_t j = 0; j < k; ++j) {
    const double u = detail::Uniform(detail::Hash(ckey, j));
    const size_t rank = std::min(
        n - 1, static_cast<size_t>(std::exp(u * log_n)) - 1);
    const size_t token = (rank * rank_multiplier_ + rank_offset_) % n;
    const float jitter = static_cast<float>(
        detail::Uniform(detail::Hash(ckey, kCandidates + j)));
    const float below = shape.step * peaked *
                        std::pow(static_cast<float>(j) + jitter,
                                 kCandidateExponent);
    out[token] = std::max(out[token], offset + shape.top - below);
  }
}

void LogitGenerator::ModelRow(uint64_t row, double target_kld,
                              uint64_t variant, gsl::span<float> out) const {
  detail::Require(std::isfinite(target_kld) && target_kld >= 0.0,
                  "ModelRow: target_kld must be finite and >= 0");
  BaseRow(row, out);
  if (target_kld == 0.0) return;
  const size_t n = options_.n_vocab;
  // Small-noise approximation: for noise sigma * z, KL ~= sigma^2 / 2 *
  // Var_p(z), whose mean over draws is sigma^2 / 2 * (1 - sum_i p_i^2). The
  // draw's own variance spreads the rows' KLD around the target (measured:
  // mean within ~10% over 50 rows, maximum ~4x the mean).
  const double spread_p =
      std::max(1.0 - SumOfSquaredProbs(out.data(), n), 1e-12);
  const float sigma = static_cast<float>(
      std::min(std::sqrt(2.0 * target_kld / spread_p), kMaxNoiseSigma));
  const uint64_t seed = options_.seed ^ detail::Mix64(variant + 1);
  std::vector<float> noise(n);
  AddGaussian(detail::StreamKey(seed, kStreamModel, row), nullptr, 0.0f,
              sigma, noise.data(), n);
  for (size_t i = 0; i < n; ++i) out[i] += noise[i];
}

int32_t LogitGenerator::Target(uint64_t row) const {
  const size_t n = options_.n_vocab;
  std::vector<float> x(n);
  BaseRow(row, x);
  const float max = *std::max_element(x.begin(), x.end());
  double total = 0.0;
  for (float v : x) total += std::exp(v - max);
  const double threshold =
      total * detail::Uniform(detail::Hash(
                  detail::StreamKey(options_.seed, kStreamTarget, row), 0));
  double cumulative = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cumulative += std::exp(x[i] - max);
    if (cumulative > threshold) return static_cast<int32_t>(i);
  }
  // Rounding can leave the threshold unreached: take the last token with
  // weight (the top token's weight is 1, so one exists).
  size_t last = n - 1;
  while (last > 0 && std::exp(x[last] - max) == 0.0) --last;
  return static_cast<int32_t>(last);
}

}  // namespace kldkit
