// Fast vector exp for float lanes, the workhorse of the row kernels.
//
// Accuracy: <= 2 ulp relative to the exact value for results >= 2^-126
// (measured against long double over all inputs in [-87, 0], exp_test);
// results below 2^-126 (x < -87.3) and x = -inf give +0. NaN input gives an
// unspecified value: callers detect NaN rows before (kernels check IsNaN).
// Valid input range: x <= 88 (the kernels only exponentiate x - max <= 0).
// Cost: 14 vector ops; Highway's contrib Exp is more general but slower.

// Per-target include guard (HWY_TARGET_TOGGLE idiom).
#if defined(KLDKIT_LIB_KERNELS_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_EXP_INL_H_
#undef KLDKIT_LIB_KERNELS_EXP_INL_H_
#else
#define KLDKIT_LIB_KERNELS_EXP_INL_H_
#endif

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n ln2 in two steps
// (Cody-Waite) so r carries no rounding error from the large n*ln2; exp(r)
// on |r| <= ln2/2 is 1 + r + r^2 q(r) with q a degree-4 fit of
// (e^r - 1 - r) / r^2 at Chebyshev nodes (max relative error 1.2e-7).
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V FastExp(DF df, V x) {
  const hn::RebindToSigned<DF> di;
  // Below -127*ln2 the result is under 2^-126: clamp so that n = -127,
  // whose biased exponent 0 makes the scale factor exactly +0.
  const V xc = hn::Max(x, hn::Set(df, -88.03f));
  const V n = hn::Round(hn::Mul(xc, hn::Set(df, 1.44269504088896341f)));
  V r = hn::NegMulAdd(n, hn::Set(df, 0.693359375f), xc);   // ln2 high part
  r = hn::NegMulAdd(n, hn::Set(df, -2.12194440e-4f), r);   // ln2 low part
  V q = hn::Set(df, 0.0013933643931522965f);
  q = hn::MulAdd(q, r, hn::Set(df, 0.008363175205886364f));
  q = hn::MulAdd(q, r, hn::Set(df, 0.04166646674275398f));
  q = hn::MulAdd(q, r, hn::Set(df, 0.16666576266288757f));
  q = hn::MulAdd(q, r, hn::Set(df, 0.5f));
  const V er = hn::Add(hn::MulAdd(hn::Mul(r, r), q, r), hn::Set(df, 1.0f));
  const auto bits = hn::ShiftLeft<23>(
      hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127)));
  return hn::Mul(er, hn::BitCast(df, bits));
}

// 2^t = 2^n * 2^f, n = round(t), f = t - n exact, 2^f on |f| <= 1/2 by a
// degree-6 polynomial fitted for relative error at Chebyshev nodes (max
// 9.7e-8 in float evaluation). The kernels fold the ln-to-log2 factor into
// an FMA they need anyway, saving FastExp's multiply and Cody-Waite steps.
// An argument error d in t becomes a relative error ln2*d in the result.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V FastExp2(DF df, V t) {
  const hn::RebindToSigned<DF> di;
  const V tc = hn::Max(t, hn::Set(df, -127.0f));  // 2^-127 -> scale +0
  const V n = hn::Round(tc);
  const V f = hn::Sub(tc, n);
  V p = hn::Set(df, 0.00015370704932138324f);
  p = hn::MulAdd(p, f, hn::Set(df, 0.0013399848248809576f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.009618373587727547f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.05550329014658928f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.24022647738456726f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.6931471824645996f));
  p = hn::MulAdd(p, f, hn::Set(df, 1.0f));
  const auto bits = hn::ShiftLeft<23>(
      hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127)));
  return hn::Mul(p, hn::BitCast(df, bits));
}

constexpr float kLog2e = 1.44269504088896341f;

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_EXP_INL_H_
