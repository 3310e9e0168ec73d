// Building blocks of the one-pass row kernels: rows are walked in blocks of
// BlockSize() elements; where a kernel needs a block's maximum first, a cheap
// scan brings the block into L1 for the heavy pass. A running reference
// maximum lets exponentials stay in range; sums are float within a block and
// double across blocks, so 10^6-entry rows keep ~1e-9 relative accuracy.

#if defined(KLDKIT_LIB_KERNELS_BLOCK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_BLOCK_INL_H_
#undef KLDKIT_LIB_KERNELS_BLOCK_INL_H_
#else
#define KLDKIT_LIB_KERNELS_BLOCK_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "lib/kernels/load-inl.h"
#include "lib/kernels/vec_slot-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A block is 64 vectors (1024 elements with AVX-512: 4 KiB of f32 logits +
// 2 KiB of codes, so both passes' data stays in L1). 64 float additions per
// lane before a block's sums go to double keep the rounding error of a sum
// near 64 * 2^-24 relative on every target, narrow ones included; the
// per-block reductions cost ~2% of the work.
constexpr size_t kVectorsPerBlock = 64;
template <class DF>
HWY_INLINE size_t BlockSize(DF df) {
  return kVectorsPerBlock * hn::Lanes(df);
}
// No software prefetch: rows are read in order, which the hardware
// prefetchers follow. Prefetching 1024 elements ahead once made the
// streaming compare 1.45x faster; with the kernels as they are now it made
// the compare, log-sum-exp and log-softmax 2-3% slower on AVX-512 and the
// AVX2 compare 6% slower (Zen 4), so it was removed.

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();

// Tracks the first block that holds the running maximum of a row, so the
// first index of the maximum is found by rescanning one block at the end.
struct BlockArgmax {
  float value = kNegInf;
  size_t begin = 0;
  size_t end = 0;
  void Update(float block_max, size_t b0, size_t b1) {
    if (end != 0 && !(block_max > value)) return;  // earlier block wins ties
    value = block_max;
    begin = b0;
    end = b1;
  }
};

// First index i in [begin, end) with row[i] == value (as float), or begin.
template <class DF, typename T>
HWY_INLINE size_t FirstIndexOf(DF df, const T* HWY_RESTRICT row, size_t begin,
                               size_t end, float value) {
  const size_t N = hn::Lanes(df);
  const auto target = hn::Set(df, value);
  size_t found = end;
  size_t base = begin;
  ForEachVector(df, row, begin, end, [&](const T* p, auto valid) {
    if (found == end) {
      const auto hit = KeepValid(valid, hn::Eq(LoadF(df, p), target));
      const intptr_t lane = hn::FindFirstTrue(df, hit);
      if (lane >= 0) found = base + static_cast<size_t>(lane);
    }
    base += N;
  });
  return found == end ? begin : found;
}

// log sum exp(lp(i)) over the i < n with take(i), in double, two passes
// (the slow paths for a mass whose float sum underflowed). -inf if no
// taken token has mass.
template <class Take, class LogProb>
double LogSumExpWhere(size_t n, const Take& take, const LogProb& lp) {
  double max = -HUGE_VAL;
  for (size_t i = 0; i < n; ++i) {
    if (take(i)) max = std::max(max, lp(i));
  }
  if (!(max > -HUGE_VAL)) return -HUGE_VAL;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (take(i)) sum += std::exp(lp(i) - max);
  }
  return max + std::log(sum);
}

// One element as float (f16/bf16 through a one-lane vector).
template <typename T>
HWY_INLINE float ElementAsFloat(const T* row, size_t i) {
  const hn::CappedTag<float, 1> d1;
  return hn::GetLane(LoadF(d1, row + i));
}

// What a float row holds beyond finite values and -inf (rare path only).
struct RowDefects {
  bool nan = false;
  bool pos_inf = false;
  bool empty = true;  // no entry above -inf
};

template <class DF, typename T>
HWY_NOINLINE RowDefects FindDefects(DF df, const T* HWY_RESTRICT row,
                                    size_t n) {
  auto nan = hn::FirstN(df, 0);
  auto pinf = hn::FirstN(df, 0);
  auto some = hn::FirstN(df, 0);
  const auto inf = hn::Set(df, kPosInf);
  const auto ninf = hn::Set(df, kNegInf);
  ForEachVector(df, row, 0, n, [&](const T* p, auto valid) {
    const auto x = LoadF(df, p);
    nan = hn::Or(nan, KeepValid(valid, hn::IsNaN(x)));
    pinf = hn::Or(pinf, KeepValid(valid, hn::Eq(x, inf)));
    some = hn::Or(some, KeepValid(valid, hn::Gt(x, ninf)));
  });
  RowDefects d;
  d.nan = !hn::AllFalse(df, nan);
  d.pos_inf = !hn::AllFalse(df, pinf);
  d.empty = hn::AllFalse(df, some) && !d.nan;
  return d;
}

// A block's first pass over float logits: maximum, and a sum whose NaN or
// +inf reveals a NaN or +inf entry (-inf entries only make it -inf).
struct BlockScan {
  float max = kNegInf;
  bool suspect = false;  // NaN or +inf somewhere (or a benign overflow)
};

template <class DF, typename T>
HWY_INLINE BlockScan ScanBlock(DF df, const T* HWY_RESTRICT row, size_t b0,
                               size_t b1) {
  auto vmax = hn::Set(df, kNegInf);
  auto vsum = hn::Zero(df);
  ForEachVector(df, row, b0, b1, [&](const T* p, auto) {
    const auto x = LoadF(df, p);
    vmax = hn::Max(vmax, x);
    vsum = hn::Add(vsum, x);
  });
  BlockScan s;
  s.max = ReduceMax(df, vmax);
  const float sum = hn::GetLane(hn::SumOfLanes(df, vsum));
  s.suspect = std::isnan(sum) || sum == kPosInf || std::isnan(s.max);
  return s;
}

// Running reference for exp(x - ref): the running maximum, or 0 while the
// row has shown only -inf (so x - ref never becomes -inf - -inf = NaN).
struct RunningRef {
  float max = kNegInf;
  float ref = 0.0f;
  // Returns the shift new_ref - old_ref that the sums must absorb (it is
  // negative once, when the first finite maximum is below 0).
  double Raise(float block_max) {
    if (!(block_max > max)) return 0.0;
    max = block_max;
    const double shift = static_cast<double>(max) - ref;
    ref = max;
    return shift;
  }
};

// A float sum with a Fast2Sum compensation term. Plain float sums of
// exp(x - max) lose every term below half an ulp of a lane's running sum,
// which the top token makes ~1: always rounded toward 0, the loss biased
// log Z by -1e-7 (AVX-512) and moved llama.cpp's 7-digit PPL. 3 ops more.
template <class DF>
struct CompensatedSum {
  using V = hn::Vec<DF>;
  VecSlot<DF> sum;
  VecSlot<DF> comp;
  explicit CompensatedSum(DF df) : sum(hn::Zero(df)), comp(hn::Zero(df)) {}
  HWY_INLINE void Add(V x) {
    const V s = sum.Get();
    const V t = hn::Add(s, x);
    comp.Put(hn::Add(comp.Get(), hn::Sub(x, hn::Sub(t, s))));
    sum.Put(t);
  }
  HWY_INLINE double Reduce(DF df) const {
    return ReduceSum(df, sum.Get()) + ReduceSum(df, comp.Get());
  }
};

// sum * factor, keeping an empty sum at 0: the first finite maximum may sit
// far below the initial reference 0, and exp(1749) * 0 would be NaN.
inline double Rescaled(double sum, double factor) {
  return sum == 0.0 ? 0.0 : sum * factor;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_BLOCK_INL_H_
