// Fast vector 2^t for float lanes, the workhorse of the row kernels.
//
// Accuracy: <= 1.8e-7 relative error (1.5 ulp) for results >= 2^-126,
// measured against long double; results below 2^-126 (t < -126.5) and
// t = -inf give +0. NaN input gives an unspecified value: the kernels
// detect NaN rows beforehand. Valid input range: t <= 127 (the kernels only
// exponentiate (x - max) * log2(e) <= 0).
// Cost: 12 vector ops. The kernels form t with a multiply by log2(e) of a
// difference they need anyway; an error d in t becomes ln2 * d relative.

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

constexpr float kLog2e = 1.44269504088896341f;

// 2^f on |f| <= 1/2: a degree-5 polynomial fitted for relative error at
// Chebyshev nodes (1.04e-7 in exact arithmetic, 1.8e-7 evaluated in float).
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V Exp2Fraction(DF df, V f) {
  V p = hn::Set(df, 0.0013218672247603536f);
  p = hn::MulAdd(p, f, hn::Set(df, 0.009671698324382305f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.05550893023610115f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.24022237956523895f));
  p = hn::MulAdd(p, f, hn::Set(df, 0.6931468844413757f));
  p = hn::MulAdd(p, f, hn::Set(df, 1.0f));
  return p;
}

// 2^t = 2^n * 2^f with n = round(t), f = t - n in [-1/2, 1/2] (exact).
// Adding 1.5 * 2^23 rounds t to an integer held in the low mantissa bits,
// which a shift turns into the exponent field of 2^n: cheaper than
// Round + ConvertTo, whose x86 overflow fix-up costs five more ops.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V FastExp2(DF df, V t) {
  const hn::RebindToSigned<DF> di;
  const V kMagic = hn::Set(df, 12582912.0f);      // 1.5 * 2^23
  const V tc = hn::Max(t, hn::Set(df, -127.0f));  // n = -127: 2^n is +0
  const V j = hn::Add(tc, kMagic);
  const V f = hn::Sub(tc, hn::Sub(j, kMagic));
  const V p = Exp2Fraction(df, f);
  // (j's bits << 23) = n << 23 (mod 2^32); + 127 << 23 biases the exponent.
  const auto bits = hn::Add(hn::ShiftLeft<23>(hn::BitCast(di, j)),
                            hn::Set(di, 127 << 23));
  return hn::Mul(p, hn::BitCast(df, bits));
}

#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
// AVX-512 has the two steps FastExp2 emulates: vrndscaleps rounds and
// vscalefps multiplies by 2^n, subnormals and underflow to 0 included.
// 9 ops instead of 12; the compare kernel runs ~10% faster with it.
HWY_INLINE hn::Vec512<float> FastExp2(hn::Full512<float> df,
                                      hn::Vec512<float> t) {
  const auto tc = hn::Max(t, hn::Set(df, -150.0f));  // 2^-150 scales to +0
  const auto n = hn::Round(tc);
  const auto f = hn::Sub(tc, n);
  const auto p = Exp2Fraction(df, f);
  return hn::Vec512<float>{_mm512_scalef_ps(p.raw, n.raw)};
}
#endif

// 2^t for finite t <= 127 without FastExp2's clamp, where the target can
// drop it: AVX-512's round + scale give +0 for any finite t far below -126,
// but NaN for t = -inf (callers detect that and fall back to FastExp2).
// Elsewhere the clamp is what keeps the exponent field from wrapping, so
// this is FastExp2 itself.
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
constexpr bool kExp2FiniteKeepsNaN = true;  // NaN and +-inf in give NaN out
HWY_INLINE hn::Vec512<float> FastExp2Finite(hn::Full512<float> df,
                                            hn::Vec512<float> t) {
  const auto n = hn::Round(t);
  const auto p = Exp2Fraction(df, hn::Sub(t, n));
  return hn::Vec512<float>{_mm512_scalef_ps(p.raw, n.raw)};
}
#else
constexpr bool kExp2FiniteKeepsNaN = false;
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V FastExp2Finite(DF df, V t) {
  return FastExp2(df, t);
}
#endif

// e^x for x <= 88.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V FastExp(DF df, V x) {
  return FastExp2(df, hn::Mul(x, hn::Set(df, kLog2e)));
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_EXP_INL_H_
