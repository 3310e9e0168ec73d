// Row kernels: max/argmax, log-sum-exp, log-softmax, llama.cpp row
// quantization, and the fused per-token comparison of a base row with a
// model row. SIMD with runtime dispatch (Highway); no kernel allocates.
//
// Thread safety: every function is reentrant; rows are only read.
// Errors: kldkit::Error with KLDKIT_ERROR_INVALID_ARGUMENT for bad sizes,
// NULL data or an out-of-range target; NON_FINITE where documented.
#ifndef KLDKIT_KERNELS_HPP_
#define KLDKIT_KERNELS_HPP_

#include <cstddef>
#include <cstdint>

#include <gsl/span>

#include "kldkit/error.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/row.hpp"

namespace kldkit {

// ---- Reductions (float rows: f32, f16, bf16) -------------------------------

struct MaxArg {
  float value;   // the maximum
  size_t index;  // first index holding it
};

// Maximum and first index of the maximum. -inf and +inf entries are valid.
// Throws NON_FINITE if the row holds a NaN. n_vocab >= 1.
MaxArg MaxAndArgmax(RowView row);

// log(sum_i exp(x_i)), computed as max + log(sum exp(x_i - max)) with the
// sum in double: at most 4 float ulp from the long-double value. Returns
// -inf for an all -inf row. Throws NON_FINITE for NaN or +inf.
float LogSumExp(RowView row);

// out_i = x_i - LogSumExp(x). `out` has n_vocab floats and may not alias a
// float16/bfloat16 input; it may be the f32 input itself (in place).
// Throws NON_FINITE for NaN, +inf, or a row without a finite entry.
void LogSoftmax(RowView row, gsl::span<float> out);

// ---- llama.cpp rows ----------------------------------------------------------

struct QuantizeOptions {
  // Log-probabilities below max - floor are clamped to code 0. 16 is
  // llama.cpp's value, 24 ik_llama.cpp's.
  float floor = 16.0f;
  // true: the log-sum-exp uses libm expf summed in double, as llama.cpp does,
  // so rows are byte-identical to llama.cpp's files. false: a SIMD exp;
  // codes and scale are still identical, min_log_prob within 2 float ulp.
  bool strict = false;
};

// What QuantizeRow found on the way (since 0.2): the row's maximum logit
// and its log-sum-exp relative to it, the one min_log_prob was made from
// (strict: llama.cpp's own), so a base run's NLL costs no second pass.
struct QuantizeInfo {
  float max = 0;
  double log_sum_exp = 0;  // log(sum_i exp(x_i - max))
  // -log p of a token whose logit is x_token, as llama.cpp's base run
  // computes it for its perplexity.
  float Nll(float x_token) const;
};

// Quantizes float logits into a llama.cpp row of LlamaRowWords(n_vocab)
// words. The odd-vocab padding word is set to 0. Throws NON_FINITE for NaN,
// +inf or a row without a finite entry.
QuantizeInfo QuantizeRow(RowView logits, gsl::span<uint16_t> out,
                         const QuantizeOptions& options = {});

// Log-probabilities of a llama.cpp row: out_i = scale * u_i + min_log_prob.
// `row` has LlamaRowWords(n_vocab) words, `out` n_vocab floats.
void DequantizeRow(gsl::span<const uint16_t> row, size_t n_vocab,
                   gsl::span<float> out);

// ---- Per-token comparison -----------------------------------------------------

// llama.cpp's KLD loop adds a token's term only when its base
// log-probability, scale * code + min_log_prob in float, is above this.
constexpr float kLlamaKldCut = -16.0f;

// How a base row and a model row are compared. Values are pinned.
enum class CompareMode : uint32_t {
  // llama.cpp's definitions exactly: base is a llama.cpp row; KLD sums
  // p_b * (lp_b - lq) over tokens with lp_b > -16 only; the model is float
  // logits (renormalised) or a stored llama.cpp row (read as stored).
  kLlamaCpp = 0,
  // The base llama.cpp row read as a proper distribution: tokens with code
  // > 0 are kept (every token in a row of scale 0, whose logits were all
  // equal); the dropped base mass T_b = max(0, 1 - sum kept p_b) is
  // compared with the model's mass T_q on the other tokens:
  // KLD = sum_kept p_b (lp_b - lq) + T_b log(T_b / T_q), with no tail term
  // when T_b = 0 or no token is dropped. NLL, p and top-1 as in kLlamaCpp.
  // With a stored model row (two saved files) the KLD is that of the
  // lumped distributions of docs/measures.md, since 0.2: 0.1 counted the
  // model's floor codes at their floor value, which could give a KLD
  // below zero.
  kTail = 1,
  // Two float rows, both normalised over the full vocabulary (log-softmax).
  kExact = 2,
};

// Opt-in measures beyond llama.cpp's (a MeasureMask, kldkit/measures.hpp):
// computed by a second pass over both rows only when asked for, so the
// default comparison costs nothing more. Their values go to
// TokenResult::measures and, in bit order of the measures and slot order
// within each, to CompareRow's `extras` span.
using ExtraMask = MeasureMask;

struct CompareOptions {
  CompareMode mode = CompareMode::kLlamaCpp;
  ExtraMask extras = 0;
  TopKList top_k;  // the K of MeasureKind::kPerK measures (since 0.2)
};

// Bits of TokenResult::flags. A result with any kInvalid* bit set holds NaN
// statistics and -1 tops: aggregators skip and count it, never average it.
enum TokenFlags : uint32_t {
  kSameTop = 1u << 0,           // top == top_base
  kInvalidModelNaN = 1u << 1,   // model row holds a NaN, or a bad header
  kInvalidModelInf = 1u << 2,   // the model row holds +inf
  kInvalidModelEmpty = 1u << 3, // every model logit is -inf
  kInvalidBase = 1u << 4,       // base row: NaN/+inf/empty, or a header
                                // that no log-probabilities can have (top
                                // log-prob outside [-log n, 0]; the lower
                                // bound since 0.2)
  kInvalidMask = kInvalidModelNaN | kInvalidModelInf | kInvalidModelEmpty |
                 kInvalidBase,
};

// What one scored token contributes to a report.
struct TokenResult {
  double kld = 0;       // KL(base || model), nats
  float nll = 0;        // -log p_model(target)
  float nll_base = 0;   // -log p_base(target)
  float p = 0;          // exp(-nll)
  float p_base = 0;     // exp(-nll_base)
  float dp = 0;         // p - p_base
  int32_t top = -1;     // model's top-1 token (first index of the maximum)
  int32_t top_base = -1;
  uint32_t flags = 0;   // TokenFlags
  // The measures CompareOptions::extras asked for (since 0.2); mask 0 when
  // none were, or the result is not Valid().
  MeasureValues measures;

  bool SameTop() const { return (flags & kSameTop) != 0; }
  bool Valid() const { return (flags & kInvalidMask) == 0; }
};

// Compares one base row with one model row for the token `target`.
// Accepted pairs: kLlamaCpp and kTail take a llama.cpp base row and a float
// or llama.cpp model row; kExact takes two float rows. Both rows have the
// same n_vocab >= 1; 0 <= target < n_vocab. One pass over both rows.
// Non-finite data sets flags (see TokenFlags), it never throws. A -inf
// model logit is valid: on a token the base keeps it makes the KLD +inf.
// Throws INVALID_ARGUMENT for an unknown mode, unknown extras bits, a bad
// top_k, or an `extras` span shorter than the slots of the measures asked
// for (it may be empty).
// Accuracy (kLlamaCpp vs f32 logits, realistic 248K rows): |KLD error| <=
// max(1e-6, 1e-4 KLD) against a long-double evaluation of the same formula.
TokenResult CompareRow(RowView base, RowView model, int32_t target,
                       const CompareOptions& options = {},
                       gsl::span<double> extras = {});

}  // namespace kldkit

#endif  // KLDKIT_KERNELS_HPP_
