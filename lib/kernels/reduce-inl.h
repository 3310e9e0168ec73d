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
#include "lib/kernels/lagged-inl.h"
#include "lib/kernels/load-inl.h"
#include "hwy/cache_control.h"
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

// max + log(sum exp(x - max)) in one pass (see LaggedBlocks).
template <typename T>
detail::LseResult LogSumExpT(const T* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  detail::LseResult out;
  RunningRef ref;
  LseSums sums;
  const RowDefects d = LaggedBlocks(
      df, x, n, &ref, &sums,
      [&](bool safe, size_t b0, size_t b1, float r) {
        return safe ? ExpSumBlock<true>(df, x, b0, b1, r)
                    : ExpSumBlock<false>(df, x, b0, b1, r);
      },
      [](const LseBlock&, size_t, size_t) {});
  if (d.nan || d.pos_inf) {
    out.defects = (d.nan ? detail::kDefectNaN : 0u) |
                  (d.pos_inf ? detail::kDefectPosInf : 0u);
    return out;
  }
  out.max = ref.max;
  out.lse = ref.max > kNegInf ? static_cast<double>(ref.ref) + std::log(sums.z)
                              : -HUGE_VAL;
  return out;
}

// Rows at least this large are written with non-temporal stores: they do
// not fit the caller's L2 anyway, and streaming saves the read-for-ownership
// of every output line (a third of a copy's memory traffic).
constexpr size_t kStreamOutputBytes = size_t{1} << 18;

template <typename T>
uint32_t LogSoftmaxT(const T* HWY_RESTRICT x, size_t n, float* out) {
  const detail::LseResult lse = LogSumExpT(x, n);
  if (lse.defects != 0) return lse.defects;
  if (!(lse.max > kNegInf)) return detail::kDefectEmpty;
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  // x - max is exact near the top; then subtract log Z (= lse - max).
  const float logz = static_cast<float>(lse.lse - lse.max);
  const auto vmax = hn::Set(df, lse.max);
  const auto vlogz = hn::Set(df, logz);
  size_t i = 0;
  if (n * sizeof(float) >= kStreamOutputBytes) {
    // Scalar head up to a vector-aligned output address (same arithmetic).
    const size_t misaligned = reinterpret_cast<uintptr_t>(out) % (N * 4) / 4;
    for (; misaligned != 0 && i < N - misaligned; ++i) {
      out[i] = (ElementAsFloat(x, i) - lse.max) - logz;
    }
    for (; i + N <= n; i += N) {
      hn::Stream(hn::Sub(hn::Sub(LoadF(df, x + i), vmax), vlogz), df, out + i);
    }
    hwy::FlushStream();
  }
  ForEachVector(df, x, i, n, [&](const T* p, auto) {
    StoreElements(df, hn::Sub(hn::Sub(LoadF(df, p), vmax), vlogz), out, i, n);
    i += N;
  });
  return 0;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_REDUCE_INL_H_
