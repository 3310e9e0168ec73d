// One-pass row kernels over blocks with a lagged reference: a block's
// exponentials are taken relative to the running maximum of the blocks
// before it, with a fast pass (no exp clamp on AVX-512, one sum) that is
// redone with a safe pass in the rare blocks that need it: the maximum
// jumped by more than kMaxRefLag, a term lies near the reference (its
// float sum would swamp the small terms), or the sums are not finite
// (-inf logits, which the clamp-free exp turns into NaN).

#if defined(KLDKIT_LIB_KERNELS_LAGGED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_LAGGED_INL_H_
#undef KLDKIT_LIB_KERNELS_LAGGED_INL_H_
#else
#define KLDKIT_LIB_KERNELS_LAGGED_INL_H_
#endif

#include <cmath>
#include <cstddef>

#include "lib/kernels/block-inl.h"
#include "lib/kernels/exp-inl.h"
#include "lib/kernels/load-inl.h"
#include "lib/kernels/vec_slot-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A block computed with a reference more than this far below its maximum
// is redone: terms exp(x - ref) > e^1 would cost accuracy. The running
// maximum jumps that far only a few times per row.
constexpr float kMaxRefLag = 1.0f;
// Terms with x - ref above this are summed apart from the rest (kSafe):
// in a float lane sum holding such a term, terms below half an ulp of it
// are lost, which biased log Z by -1e-7 on 248K-entry rows.
constexpr float kNearTop = -2.0f;

// 2^y for |y| small, without a libm call (blocks construct this per row
// hundreds of times).
inline double Exp2Near0(double y) {
  if (!(std::fabs(y) < 1e-4)) return std::exp2(y);
  const double l = y * 0.69314718055994530942;  // cubic Taylor: error < 1e-17
  return 1.0 + l * (1.0 + l * (0.5 + l * (1.0 / 6.0)));
}

// The exp side of a block pass: sum of exp(x - ref), maximum, and whether
// the block may hold NaN or +inf.
template <bool kSafe, class DF>
class BlockExpSum {
  using V = hn::Vec<DF>;
  static constexpr bool kFusedArg = HWY_NATIVE_FMA;
  // Without the clamp, AVX-512's exp turns NaN and +-inf into NaN sums;
  // elsewhere a sum of the logits catches NaN and +inf.
  static constexpr bool kCheckSum = kSafe || !kExp2FiniteKeepsNaN;

 public:
  // With a native FMA the fast pass forms x*log2e - c in one rounding, c
  // being ref*log2e rounded to float; Z() undoes c's rounding in double.
  // Otherwise (and in kSafe) it forms (x - ref) * log2e: x - ref is exact
  // near the top, where Z's terms are large, and a separate x*log2e would
  // round there by up to half an ulp of the logit's scale.
  BlockExpSum(DF df, float ref)
      : vref_(hn::Set(df, ref)), vlog2e_(hn::Set(df, kLog2e)),
        vnear_(hn::Set(df, kNearTop)), vneg_c_(hn::Set(df, -RefLog2e(ref))),
        z_(hn::Zero(df)), z_near_(hn::Zero(df)), xsum_(hn::Zero(df)),
        xmax_(hn::Set(df, kNegInf)) {
    // Terms are 2^((x - ref) * log2e + d): multiply Z by 2^-d.
    const double d = static_cast<double>(ref) * kLog2e - RefLog2e(ref);
    fast_scale_ = Exp2Near0(-d);
  }

  // Adds one vector of logits; returns exp(x - ref) (0 past the row's end).
  template <class Valid>
  HWY_INLINE V Add(DF df, V x, Valid valid) {
    xmax_.Put(hn::Max(xmax_.Get(), x));
    if (kCheckSum) xsum_.Put(hn::Add(xsum_.Get(), x));  // NaN, +inf stick
    if (kSafe) {
      const V t = hn::Sub(x, vref_.Get());
      const V e = ZeroInvalid(valid, FastExp2(df, hn::Mul(t, vlog2e_.Get())));
      const auto near_top = hn::Gt(t, vnear_.Get());
      z_.Put(hn::Add(z_.Get(), hn::IfThenZeroElse(near_top, e)));
      z_near_.Put(hn::Add(z_near_.Get(), hn::IfThenElseZero(near_top, e)));
      return e;
    }
    const V tl = kFusedArg
                     ? hn::MulAdd(x, vlog2e_.Get(), vneg_c_.Get())
                     : hn::Mul(hn::Sub(x, vref_.Get()), vlog2e_.Get());
    const V e = ZeroInvalid(valid, FastExp2Finite(df, tl));
    z_.Put(hn::Add(z_.Get(), e));
    return e;
  }

  double Z(DF df) const {
    if (!kSafe && kFusedArg) return ReduceSum(df, z_.Get()) * fast_scale_;
    if (!kSafe) return ReduceSum(df, z_.Get());
    return ReduceSum(df, z_.Get()) + ReduceSum(df, z_near_.Get());
  }
  float Max(DF df) const { return ReduceMax(df, xmax_.Get()); }
  // Whether the block may hold NaN or +inf (or overflowed benignly).
  bool Suspect(DF df, double z, float xmax) const {
    if (!kCheckSum) return !std::isfinite(z) || std::isnan(xmax);
    const float xs = hn::GetLane(hn::SumOfLanes(df, xsum_.Get()));
    return std::isnan(xs) || xs == kPosInf || std::isnan(xmax);
  }

 private:
  // c = ref * log2e rounded to float.
  static float RefLog2e(float ref) { return ref * kLog2e; }

  VecSlot<DF> vref_, vlog2e_, vnear_, vneg_c_;
  VecSlot<DF> z_, z_near_, xsum_, xmax_;
  double fast_scale_;
};

// Sums of a log-sum-exp: sum exp(x - ref).
struct LseSums {
  double z = 0;
  void Shift(double d) { z = Rescaled(z, std::exp(-d)); }
  void Add(const LseSums& o) { z += o.z; }
};
struct LseBlock {
  LseSums sums;
  float xmax;
  bool suspect;
};

// One block's exp sum and maximum alone: log-sum-exp's block, and the
// near-top redo of the compare's.
template <bool kSafe, class DF, typename T>
HWY_INLINE LseBlock ExpSumBlock(DF df, const T* HWY_RESTRICT x, size_t b0,
                                size_t b1, float ref) {
  BlockExpSum<kSafe, DF> exp_sum(df, ref);
  ForEachVector(df, x, b0, b1, [&](const T* p, auto valid) {
    exp_sum.Add(df, LoadF(df, p), valid);
  });
  LseBlock b;
  b.sums.z = exp_sum.Z(df);
  b.xmax = exp_sum.Max(df);
  b.suspect = exp_sum.Suspect(df, b.sums.z, b.xmax);
  return b;
}

// Walks a row's blocks. run(safe, b0, b1, ref) computes one block: a
// struct with `sums` (Shift(d), Add(other), and `z`, the exp sum, the only
// part that depends on the near-top split), `xmax` and `suspect`;
// done(block, b0, b1) receives each block's final result. Returns the
// row's NaN/+inf defects (then the sums are meaningless).
template <class DF, typename T, class Sums, class Run, class Done>
HWY_INLINE RowDefects LaggedBlocks(DF df, const T* HWY_RESTRICT x, size_t n,
                                   RunningRef* ref, Sums* sums,
                                   const Run& run, const Done& done) {
  bool defects_checked = false;
  bool safe = false;  // the row has -inf logits: every block runs kSafe
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    // Until the row shows a finite logit, scan first so the reference
    // starts at a real maximum; that block is then near it: run it safe.
    bool scanned = false;
    if (!(ref->max > kNegInf)) {
      const double shift = ref->Raise(ScanBlock(df, x, b0, b1).max);
      if (shift != 0.0) sums->Shift(shift);
      scanned = true;
    }
    auto blk = run(safe || scanned, b0, b1, ref->ref);
    bool redo = false;
    if (blk.suspect) {
      if (!defects_checked) {
        const RowDefects d = FindDefects(df, x, n);
        if (d.nan || d.pos_inf) return d;
        defects_checked = true;  // -inf logits, or a benign overflow
      }
      safe = redo = true;
    }
    if (blk.xmax > ref->ref + kMaxRefLag) {
      sums->Shift(ref->Raise(blk.xmax));
      redo = true;
    }
    if (redo) {
      blk = run(true, b0, b1, ref->ref);
    } else if (!safe && !scanned && blk.xmax - ref->ref > kNearTop) {
      // Only the exp sum depends on the near-top split.
      blk.sums.z = ExpSumBlock<true>(df, x, b0, b1, ref->ref).sums.z;
    }
    done(blk, b0, b1);
    sums->Add(blk.sums);
    const double shift = ref->Raise(blk.xmax);
    if (shift != 0.0) sums->Shift(shift);
  }
  return RowDefects{};
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_LAGGED_INL_H_
