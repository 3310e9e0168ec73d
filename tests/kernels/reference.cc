#include "tests/kernels/reference.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "tests/kernels/measures_reference.h"

namespace kldkit {
namespace testing {
namespace {

constexpr long double kNaN = std::numeric_limits<long double>::quiet_NaN();
constexpr long double kInf = std::numeric_limits<long double>::infinity();

// Flags for a float row: NaN, +inf, or no entry above -inf.
uint32_t FloatRowProblems(const float* x, size_t n, uint32_t nan_flag,
                          uint32_t inf_flag, uint32_t empty_flag) {
  uint32_t flags = 0;
  bool any_finite = false;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) flags |= nan_flag;
    if (x[i] == INFINITY) flags |= inf_flag;
    if (std::isfinite(x[i])) any_finite = true;
  }
  if (flags == 0 && !any_finite) flags |= empty_flag;
  return flags;
}

// kernels.hpp's kInvalidBase rule: finite, scale >= 0, min_log_prob <= 0
// and a top log-probability in [-log n, 0] (1e-3 of slack).
bool LlamaHeaderOk(const uint16_t* row, size_t n) {
  const LlamaRowHeader h = ReadLlamaRowHeader(row);
  if (!std::isfinite(h.scale) || !std::isfinite(h.min_log_prob)) return false;
  const long double top = 65535.0L * h.scale + h.min_log_prob;
  return h.scale >= 0.0f && h.min_log_prob <= 0.0f && top <= 1e-3L &&
         top >= -std::log(static_cast<long double>(n)) - 1e-3L;
}

int32_t FirstMax(const std::vector<long double>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

RefToken Invalid(uint32_t flags) {
  RefToken r;
  r.kld = r.nll = r.nll_base = r.p = r.p_base = r.dp = kNaN;
  r.flags = flags;
  return r;
}

// Fills nll, p and the same-top flag from two log-prob rows and the tops.
void FinishToken(const std::vector<long double>& lp_base,
                 const std::vector<long double>& lq, int32_t target,
                 RefToken* r) {
  const size_t t = static_cast<size_t>(target);
  r->nll = -lq[t];
  r->nll_base = -lp_base[t];
  r->p = std::exp(-r->nll);
  r->p_base = std::exp(-r->nll_base);
  r->dp = r->p - r->p_base;
  r->top = FirstMax(lq);
  r->top_base = FirstMax(lp_base);
  if (r->top == r->top_base) r->flags |= kSameTop;
}

}  // namespace

RefMaxArg RefMaxAndArgmax(const float* x, size_t n) {
  RefMaxArg m{x[0], 0};
  for (size_t i = 1; i < n; ++i) {
    if (x[i] > m.value) m = {x[i], i};
  }
  return m;
}

long double RefLogSumExp(const float* x, size_t n) {
  const long double max = RefMaxAndArgmax(x, n).value;
  if (max == -kInf) return -kInf;
  long double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - max);
  return max + std::log(sum);
}

std::vector<long double> RefLogSoftmax(const float* x, size_t n) {
  const long double max = RefMaxAndArgmax(x, n).value;
  long double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - max);
  const long double log_sum = std::log(sum);
  std::vector<long double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = (x[i] - max) - log_sum;
  return out;
}

std::vector<long double> RefDequantize(const uint16_t* row, size_t n) {
  const LlamaRowHeader h = ReadLlamaRowHeader(row);
  std::vector<long double> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<long double>(h.scale) * row[4 + i] + h.min_log_prob;
  }
  return out;
}

RefToken RefCompareLlama(const uint16_t* base, RefModel model, size_t n,
                         int32_t target, CompareMode mode) {
  uint32_t flags = LlamaHeaderOk(base, n) ? 0u : uint32_t{kInvalidBase};
  if (model.logits != nullptr) {
    flags |= FloatRowProblems(model.logits, n, kInvalidModelNaN,
                              kInvalidModelInf, kInvalidModelEmpty);
  } else if (!LlamaHeaderOk(model.llama, n)) {
    flags |= kInvalidModelNaN;
  }
  if (flags != 0) return Invalid(flags);

  const std::vector<long double> lp_base = RefDequantize(base, n);
  const std::vector<long double> lq = model.logits != nullptr
                                          ? RefLogSoftmax(model.logits, n)
                                          : RefDequantize(model.llama, n);
  const LlamaRowHeader h = ReadLlamaRowHeader(base);
  const uint16_t* codes = base + 4;
  RefToken r;
  long double kld = 0;
  if (mode == CompareMode::kLlamaCpp) {
    for (size_t i = 0; i < n; ++i) {
      const float lp_float = h.scale * static_cast<float>(codes[i]) +
                             h.min_log_prob;
      if (!(lp_float > -16.0f)) continue;
      kld += std::exp(lp_base[i]) * (lp_base[i] - lq[i]);
    }
  } else if (model.llama != nullptr) {
    // Two stored rows: the lumped KL (docs/measures.md).
    kld = RefMeasurePair(RefLlamaSide(base, n), RefLlamaSide(model.llama, n),
                         target, {}).kl;
  } else {
    long double kept_base = 0;
    long double tail_model = 0;
    size_t dropped = 0;
    // Code 0 is the clamped floor, except in a scale-0 row (all logits
    // equal), which is exact and keeps every token.
    const bool keep_all = h.scale == 0.0f;
    for (size_t i = 0; i < n; ++i) {
      if (codes[i] > 0 || keep_all) {
        const long double p_b = std::exp(lp_base[i]);
        kept_base += p_b;
        kld += p_b * (lp_base[i] - lq[i]);
      } else {
        tail_model += std::exp(lq[i]);
        ++dropped;
      }
    }
    // With nothing dropped, 1 - sum p is only the stored row's rounding.
    const long double tail_base =
        dropped == 0 ? 0.0L : std::fmax(0.0L, 1.0L - kept_base);
    if (tail_base > 0) {
      kld += tail_model > 0 ? tail_base * std::log(tail_base / tail_model)
                            : kInf;
    }
  }
  r.kld = kld;
  FinishToken(lp_base, lq, target, &r);
  return r;
}

RefToken RefCompareExact(const float* base, const float* model, size_t n,
                         int32_t target) {
  uint32_t flags = FloatRowProblems(base, n, kInvalidBase, kInvalidBase,
                                    kInvalidBase);
  flags |= FloatRowProblems(model, n, kInvalidModelNaN, kInvalidModelInf,
                            kInvalidModelEmpty);
  if (flags != 0) return Invalid(flags);
  const std::vector<long double> lp_base = RefLogSoftmax(base, n);
  const std::vector<long double> lq = RefLogSoftmax(model, n);
  RefToken r;
  long double kld = 0;
  for (size_t i = 0; i < n; ++i) {
    const long double p_b = std::exp(lp_base[i]);
    if (p_b > 0) kld += p_b * (lp_base[i] - lq[i]);
  }
  r.kld = kld;
  FinishToken(lp_base, lq, target, &r);
  return r;
}

}  // namespace testing
}  // namespace kldkit
