// Row reductions: max/argmax, log-sum-exp, log-softmax.
// Valid lane types: f32, f16, bf16 inputs; f32 outputs.

#if defined(KLDKIT_LIB_KERNELS_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_REDUCE_INL_H_
#undef KLDKIT_LIB_KERNELS_REDUCE_INL_H_
#else
#define KLDKIT_LIB_KERNELS_REDUCE_INL_H_
#endif

#include <cmath>
#include <cstring>

#include "lib/kernels/block-inl.h"
#include "lib/kernels/exp-inl.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/load-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T>
detail::MaxArgResult MaxArgmaxT(const T* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  detail::MaxArgResult out;
  BlockArgmax top;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    const BlockScan scan = ScanBlock(df, x, b0, b1);
    if (scan.suspect && FindDefects(df, x, n).nan) {
      out.defects = detail::kDefectNaN;
      return out;
    }
    top.Update(scan.max, b0, b1);
  }
  out.value = top.value;
  out.index = FirstIndexOf(df, x, top.begin, top.end, top.value);
  return out;
}

// max + log(sum exp(x - max)), with the running-reference block scheme.
template <typename T>
detail::LseResult LogSumExpT(const T* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  detail::LseResult out;
  RunningRef ref;
  double z = 0;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    const BlockScan scan = ScanBlock(df, x, b0, b1);
    if (scan.suspect) {
      const RowDefects d = FindDefects(df, x, n);
      if (d.nan || d.pos_inf) {
        out.defects = (d.nan ? detail::kDefectNaN : 0u) |
                      (d.pos_inf ? detail::kDefectPosInf : 0u);
        return out;
      }
    }
    const double shift = ref.Raise(scan.max);
    if (shift != 0.0) z = Rescaled(z, std::exp(-shift));
    const V vref = hn::Set(df, ref.ref);
    const V vlog2e = hn::Set(df, kLog2e);
    CompensatedSum<decltype(df)> acc(df);
    size_t i = b0;
    ForEachVector(df, x, b0, b1, [&](const T* p, auto) {
      PrefetchAhead(x, i, n);
      i += hn::Lanes(df);
      acc.Add(FastExp2(df, hn::Mul(hn::Sub(LoadF(df, p), vref), vlog2e)));
    });
    z += acc.Reduce(df);
  }
  out.max = ref.max;
  out.lse = ref.max > kNegInf ? static_cast<double>(ref.ref) + std::log(z)
                              : -HUGE_VAL;
  return out;
}

template <typename T>
uint32_t LogSoftmaxT(const T* HWY_RESTRICT x, size_t n, float* out) {
  const detail::LseResult lse = LogSumExpT(x, n);
  if (lse.defects != 0) return lse.defects;
  if (!(lse.max > kNegInf)) return detail::kDefectEmpty;
  const hn::ScalableTag<float> df;
  // x - max is exact near the top; then subtract log Z (= lse - max).
  const auto vmax = hn::Set(df, lse.max);
  const auto vlogz = hn::Set(df, static_cast<float>(lse.lse - lse.max));
  size_t i = 0;
  ForEachVector(df, x, 0, n, [&](const T* p, auto) {
    StoreElements(df, hn::Sub(hn::Sub(LoadF(df, p), vmax), vlogz), out, i, n);
    i += hn::Lanes(df);
  });
  return 0;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_REDUCE_INL_H_
