// A scalar float re-implementation of llama.cpp's per-token KLD loop and of
// its base-row quantization, written from the description in
// shared/reference/llamacpp-kld.md. It is the yardstick for the SIMD kernels:
// tests check that CompareRow is at least as accurate, benchmarks measure the
// speed-up over it. Header-only; test and benchmark code only.
#ifndef KLDKIT_TESTS_KERNELS_LLAMACPP_LOOP_H_
#define KLDKIT_TESTS_KERNELS_LLAMACPP_LOOP_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kldkit/kernels.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace testing {

// Round to nearest, ties to even, the way llama.cpp does it: adding 1.5*2^23
// pushes the fraction out of the float mantissa. Valid for |x| < 2^22.
inline int32_t NearestIntMagic(float x) {
  const float shifted = x + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return (bits & 0x007fffff) - 0x00400000;
}

// a * b rounded to float. The format (and llama.cpp's x86 files, the
// fixtures) round the code's product before the magic add; a compiler free
// to contract (GCC on arm64) would fuse the two into one FMA, one rounding
// fewer, and land a code one off on rare rows.
inline float RoundedProduct(float a, float b) {
  volatile float p = a * b;
  return p;
}

// Quantizes `n` float logits into a llama.cpp row of LlamaRowWords(n) words
// exactly as llama.cpp writes a base file (floor 16 there; 24 in
// ik_llama.cpp). The odd-vocab padding word is 0. Finite input assumed.
inline void QuantizeRowReference(const float* x, size_t n, float floor,
                                 uint16_t* out) {
  float max_logit = x[0];
  float min_logit = x[0];
  for (size_t i = 1; i < n; ++i) {
    if (x[i] > max_logit) max_logit = x[i];
    if (x[i] < min_logit) min_logit = x[i];
  }
  if (max_logit - floor > min_logit) min_logit = max_logit - floor;
  double sum_exp = 0.0;
  for (size_t i = 0; i < n; ++i) sum_exp += std::exp(x[i] - max_logit);
  const float log_sum_exp = static_cast<float>(std::log(sum_exp));
  const float min_log_prob = min_logit - max_logit - log_sum_exp;
  const float scale = (max_logit - min_logit) / 65535.0f;
  std::memcpy(out, &scale, sizeof(float));
  std::memcpy(out + 2, &min_log_prob, sizeof(float));
  uint16_t* codes = out + 4;
  if (scale != 0.0f) {
    const float inv_scale = 1.0f / scale;
    for (size_t i = 0; i < n; ++i) {
      codes[i] = x[i] > min_logit ? static_cast<uint16_t>(NearestIntMagic(
                                        RoundedProduct(inv_scale,
                                                       x[i] - min_logit)))
                                  : uint16_t{0};
    }
  } else {
    for (size_t i = 0; i < n; ++i) codes[i] = 0;
  }
  if (n % 2 != 0) codes[n] = 0;
}

// llama.cpp's per-token statistics for a stored base row (LlamaRowWords(n)
// words) and the quantized model's float logits. Float arithmetic throughout
// (std::exp on a float is expf), double only where llama.cpp uses it: the
// sum of exp and the KLD sum. Finite input assumed; flags only kSameTop.
inline TokenResult LlamaCppLoop(const uint16_t* base_row, const float* logits,
                                size_t n_vocab, int32_t target) {
  TokenResult r;
  float max_logit = logits[0];
  size_t imax = 0;
  for (size_t i = 1; i < n_vocab; ++i) {
    if (logits[i] > max_logit) {
      max_logit = logits[i];
      imax = i;
    }
  }
  double sum_exp = 0.0;
  for (size_t i = 0; i < n_vocab; ++i) {
    sum_exp += std::exp(logits[i] - max_logit);
  }
  const float log_sum_exp = static_cast<float>(std::log(sum_exp));

  const LlamaRowHeader h = ReadLlamaRowHeader(base_row);
  const uint16_t* codes = base_row + 4;
  const size_t t = static_cast<size_t>(target);
  r.nll = max_logit + log_sum_exp - logits[t];
  r.nll_base = -(h.scale * static_cast<float>(codes[t]) + h.min_log_prob);

  double kld = 0.0;
  float max_lp_base = -INFINITY;
  size_t imax_base = 0;
  for (size_t i = 0; i < n_vocab; ++i) {
    const float lp_b = h.scale * static_cast<float>(codes[i]) + h.min_log_prob;
    if (lp_b > max_lp_base) {
      max_lp_base = lp_b;
      imax_base = i;
    }
    if (lp_b > -16.0f) {
      const float p_b = std::exp(lp_b);
      const float lq = logits[i] - max_logit - log_sum_exp;
      kld += p_b * (lp_b - lq);
    }
  }
  r.kld = kld;
  r.p = std::exp(-r.nll);
  r.p_base = std::exp(-r.nll_base);
  r.dp = r.p - r.p_base;
  r.top = static_cast<int32_t>(imax);
  r.top_base = static_cast<int32_t>(imax_base);
  r.flags = imax == imax_base ? kSameTop : 0u;
  return r;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_KERNELS_LLAMACPP_LOOP_H_
