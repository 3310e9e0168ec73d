// llama.cpp row quantization and dequantization.
//
// Codes and scale are bit-identical to llama.cpp for every finite row: they
// depend only on max, min and IEEE float operations (subtract, multiply by
// 1/scale, round half to even). min_log_prob depends on the exp used for the
// log-sum-exp: `strict` sums libm expf in double exactly as llama.cpp does
// (byte-identical files); otherwise FastExp, within 2 ulp of it.

#if defined(KLDKIT_LIB_KERNELS_QUANTIZE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_QUANTIZE_INL_H_
#undef KLDKIT_LIB_KERNELS_QUANTIZE_INL_H_
#else
#define KLDKIT_LIB_KERNELS_QUANTIZE_INL_H_
#endif

#include <cmath>
#include <cstring>

#include "lib/kernels/block-inl.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/load-inl.h"
#include "lib/kernels/reduce-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Minimum over the full vectors; the tail's real lanes are read one by one
// (its -inf padding would otherwise be taken for a real -inf).
template <typename T>
float MinOfRow(const T* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const size_t full = n - n % N;
  auto vmin = hn::Set(df, kPosInf);
  ForEachVector(df, x, 0, full, [&](const T* p, auto) {
    vmin = hn::Min(vmin, LoadF(df, p));  // padding is -inf: see below
  });
  float m = hn::GetLane(hn::MinOfLanes(df, vmin));
  for (size_t i = full; i < n; ++i) m = std::min(m, ElementAsFloat(x, i));
  return m;
}

// llama.cpp's log-sum-exp: expf per term, summed in double in index order.
template <typename T>
double StrictLogSumExpRelative(const T* HWY_RESTRICT x, size_t n, float max) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += expf(ElementAsFloat(x, i) - max);
  return std::log(sum);
}

template <typename T>
void WriteCodes(const T* HWY_RESTRICT x, size_t n, float min_logit,
                float inv_scale, uint16_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint16_t, decltype(df)> du16;
  const auto vmin = hn::Set(df, min_logit), vinv = hn::Set(df, inv_scale);
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  ForEachVector(df, x, 0, n, [&](const T* p, auto valid) {
    const auto v = LoadF(df, p);
    const auto q = hn::Round(hn::Mul(hn::Sub(v, vmin), vinv));
    const auto code = hn::IfThenElseZero(KeepValid(valid, hn::Gt(v, vmin)), q);
    StoreElements(du16, hn::DemoteTo(du16, hn::ConvertTo(di, code)), codes, i,
                  n);
    i += N;
  });
}

template <typename T>
uint32_t QuantizeRowT(const T* HWY_RESTRICT x, size_t n, float floor,
                      bool strict, uint16_t* HWY_RESTRICT out,
                      QuantizeInfo* info) {
  const detail::LseResult lse = LogSumExpT(x, n);
  if (lse.defects != 0) return lse.defects;
  if (!(lse.max > kNegInf)) return detail::kDefectEmpty;
  const float max = lse.max;
  const float min_logit = std::max(MinOfRow(x, n), max - floor);
  const double lse_relative =
      strict ? StrictLogSumExpRelative(x, n, max) : lse.lse - max;
  const auto log_sum_exp = static_cast<float>(lse_relative);
  info->max = max;
  info->log_sum_exp = lse_relative;
  const float min_log_prob = min_logit - max - log_sum_exp;
  const float scale = (max - min_logit) / 65535.0f;
  std::memcpy(out, &scale, sizeof(float));
  std::memcpy(out + 2, &min_log_prob, sizeof(float));
  uint16_t* codes = out + 4;
  if (scale != 0.0f) {
    WriteCodes(x, n, min_logit, 1.0f / scale, codes);
  } else {
    std::memset(codes, 0, n * sizeof(uint16_t));
  }
  if (n % 2 != 0) codes[n] = 0;  // padding word
  return 0;
}

inline void DequantizeRowImpl(const uint16_t* HWY_RESTRICT words, size_t n,
                              float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const LlamaRowHeader h = ReadLlamaRowHeader(words);
  const auto vs = hn::Set(df, h.scale), vm = hn::Set(df, h.min_log_prob);
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  ForEachVector(df, words + 4, 0, n, [&](const uint16_t* p, auto) {
    StoreElements(df, hn::MulAdd(vs, LoadF(df, p), vm), out, i, n);
    i += N;
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_QUANTIZE_INL_H_
