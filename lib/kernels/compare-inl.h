// The fused per-token comparison of a base row with a model row: one pass
// over both rows (plus an L1-resident max pass per block) gives KLD, the
// model's log-sum-exp, and both top-1 tokens.
//
// kLlamaCpp/kTail with float logits x and base codes u:
//   lp_i = scale*u_i + min_log_prob, lq_i = x_i - ref - log Z, and
//   a_i = lp_i + Lb - (x_i - ref), Lb = -(65535*scale + min_log_prob) being
//   the base row's own log-sum-exp. Then
//   KLD = sum_kept p_i a_i + (log Z - Lb) * sum_kept p_i.
// Lb makes a_i ~ lp_i - lq_i small, so float sums of p_i a_i do not cancel
// (summing p_i x_i directly would lose ~1e-6 absolute on 30-nat logits).

#if defined(KLDKIT_LIB_KERNELS_COMPARE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_COMPARE_INL_H_
#undef KLDKIT_LIB_KERNELS_COMPARE_INL_H_
#else
#define KLDKIT_LIB_KERNELS_COMPARE_INL_H_
#endif

#include <cmath>
#include <cstdint>

#include "kldkit/kernels.hpp"
#include "lib/kernels/block-inl.h"
#include "lib/kernels/exp-inl.h"
#include "lib/kernels/load-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kKldCutoff = -16.0f;  // llama.cpp adds terms with lp > -16

inline TokenResult InvalidResult(uint32_t flags) {
  TokenResult r;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  r.kld = std::numeric_limits<double>::quiet_NaN();
  r.nll = r.nll_base = r.p = r.p_base = r.dp = nan;
  r.top = r.top_base = -1;
  r.flags = flags;
  return r;
}

inline uint32_t ModelDefectFlags(const RowDefects& d) {
  return (d.nan ? kInvalidModelNaN : 0u) | (d.pos_inf ? kInvalidModelInf : 0u) |
         (d.empty ? kInvalidModelEmpty : 0u);
}

// A usable llama.cpp row header: finite, scale >= 0.
inline bool HeaderOk(const LlamaRowHeader& h) {
  return std::isfinite(h.scale) && std::isfinite(h.min_log_prob) &&
         h.scale >= 0.0f;
}

// Fills nll/p fields from the two log-probabilities of the target.
inline void FinishTarget(double lq_target, float lp_base_target,
                         TokenResult* r) {
  r->nll = static_cast<float>(-lq_target);
  r->nll_base = -lp_base_target;
  r->p = std::exp(-r->nll);
  r->p_base = std::exp(-r->nll_base);
  r->dp = r->p - r->p_base;
  if (r->top == r->top_base) r->flags |= kSameTop;
}

// Sums of one llama.cpp-base / float-model comparison.
struct LlamaSums {
  double z = 0;    // sum exp(x - ref)
  double a = 0;    // sum_kept p * a_i
  double s = 0;    // sum_kept p
  double zt = 0;   // sum over dropped tokens of exp(x - ref) (kTail)
  bool inf_kld = false;

  void Shift(double d) {  // reference moved up by d
    const double f = std::exp(-d);
    z *= f;
    zt *= f;
    a += d * s;
  }
};

template <bool kTail, class DF, typename TX>
HWY_INLINE float CompareBlockU16(DF df, const uint16_t* HWY_RESTRICT u,
                                 const TX* HWY_RESTRICT x, size_t b0,
                                 size_t b1, size_t n, const LlamaRowHeader& h,
                                 float lb, float ref, LlamaSums* sums) {
  using V = hn::Vec<DF>;
  const V vscale = hn::Set(df, h.scale), vmlp = hn::Set(df, h.min_log_prob);
  const V vlb = hn::Set(df, lb), vref = hn::Set(df, ref);
  const V vlog2e = hn::Set(df, kLog2e);
  const V vcut = hn::Set(df, kKldCutoff), vzero = hn::Zero(df);
  V az = vzero, aa = vzero, as = vzero, azt = vzero, umax = vzero;
  size_t i = b0;
  const size_t N = hn::Lanes(df);
  ForEachVector2(df, x, u, b0, b1, [&](const TX* px, const uint16_t* pu,
                                       auto valid) {
    PrefetchAhead(x, i, n);
    PrefetchAhead(u, i, n);
    i += N;
    const V xv = LoadF(df, px);
    const V uf = LoadF(df, pu);
    umax = hn::Max(umax, uf);
    const V t = hn::Sub(xv, vref);
    const V lp = hn::MulAdd(vscale, uf, vmlp);
    const auto kept =
        KeepValid(valid, kTail ? hn::Gt(uf, vzero) : hn::Gt(lp, vcut));
    // x - ref is exact near the top, where the terms of Z are large; a
    // fused x*log2e - ref*log2e would add the rounding of ref*log2e (~1e-6
    // relative) to every term. lp keeps Cody-Waite's accuracy: the tail
    // mode's 1 - sum p needs it.
    const V e = FastExp2(df, hn::Mul(t, vlog2e));
    const V pb = hn::IfThenElseZero(kept, FastExp(df, lp));
    const V ai = hn::IfThenElseZero(kept, hn::Sub(hn::Add(lp, vlb), t));
    az = hn::Add(az, e);
    as = hn::Add(as, pb);
    aa = hn::MulAdd(pb, ai, aa);
    if (kTail) azt = hn::Add(azt, hn::IfThenZeroElse(kept, e));
  });
  sums->z += ReduceSum(df, az);
  sums->a += ReduceSum(df, aa);
  sums->s += ReduceSum(df, as);
  if (kTail) sums->zt += ReduceSum(df, azt);
  return ReduceMax(df, umax);
}

// Base: llama.cpp row (header + codes); model: float logits.
template <bool kTail, typename TX>
TokenResult CompareU16Float(const uint16_t* HWY_RESTRICT words,
                            const TX* HWY_RESTRICT x, size_t n,
                            int32_t target) {
  const hn::ScalableTag<float> df;
  const LlamaRowHeader h = ReadLlamaRowHeader(words);
  if (!HeaderOk(h)) return InvalidResult(kInvalidBase);
  const uint16_t* HWY_RESTRICT u = words + 4;
  const float lb = -(65535.0f * h.scale + h.min_log_prob);
  LlamaSums sums;
  RunningRef ref;
  BlockArgmax top_x, top_u;
  bool defects_checked = false;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    const BlockScan scan = ScanBlock(df, x, b0, b1);
    if (scan.suspect && !defects_checked) {
      const RowDefects d = FindDefects(df, x, n);
      if (d.nan || d.pos_inf) return InvalidResult(ModelDefectFlags(d));
      defects_checked = true;  // a benign overflow of the check sum
    }
    top_x.Update(scan.max, b0, b1);
    const double shift = ref.Raise(scan.max);
    if (shift != 0.0) sums.Shift(shift);
    const float umax =
        CompareBlockU16<kTail>(df, u, x, b0, b1, n, h, lb, ref.ref, &sums);
    top_u.Update(umax, b0, b1);
  }
  if (!(ref.max > kNegInf)) return InvalidResult(kInvalidModelEmpty);
  TokenResult r;
  const double log_z = std::log(sums.z);
  r.kld = sums.a + (log_z - lb) * sums.s;
  if (kTail) {
    const double tb = std::max(0.0, 1.0 - sums.s);
    if (tb > 0.0) r.kld += tb * std::log(tb / (sums.zt / sums.z));
  }
  r.top = static_cast<int32_t>(
      FirstIndexOf(df, x, top_x.begin, top_x.end, top_x.value));
  r.top_base = static_cast<int32_t>(
      FirstIndexOf(df, u, top_u.begin, top_u.end, top_u.value));
  const double lse = static_cast<double>(ref.ref) + log_z;
  const float lp_t = h.scale * static_cast<float>(u[target]) + h.min_log_prob;
  FinishTarget(ElementAsFloat(x, target) - lse, lp_t, &r);
  return r;
}

// Base and model both llama.cpp rows (two saved files): the model's
// log-probs are read as stored, top-1 is the first maximum code.
inline TokenResult CompareU16U16(const uint16_t* HWY_RESTRICT base,
                                 const uint16_t* HWY_RESTRICT model, size_t n,
                                 int32_t target) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const LlamaRowHeader hb = ReadLlamaRowHeader(base);
  const LlamaRowHeader hq = ReadLlamaRowHeader(model);
  if (!HeaderOk(hb)) return InvalidResult(kInvalidBase);
  if (!HeaderOk(hq)) return InvalidResult(kInvalidModelNaN);
  const uint16_t* HWY_RESTRICT ub = base + 4;
  const uint16_t* HWY_RESTRICT uq = model + 4;
  const V sb = hn::Set(df, hb.scale), mb = hn::Set(df, hb.min_log_prob);
  const V sq = hn::Set(df, hq.scale), mq = hn::Set(df, hq.min_log_prob);
  const V vcut = hn::Set(df, kKldCutoff);
  double kld = 0;
  BlockArgmax top_b, top_q;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    V acc = hn::Zero(df), maxb = hn::Zero(df), maxq = hn::Zero(df);
    ForEachVector2(df, ub, uq, b0, b1, [&](const uint16_t* pb,
                                            const uint16_t* pq, auto valid) {
      const V fb = LoadF(df, pb), fq = LoadF(df, pq);
      maxb = hn::Max(maxb, fb);
      maxq = hn::Max(maxq, fq);
      const V lp = hn::MulAdd(sb, fb, mb);
      const V lq = hn::MulAdd(sq, fq, mq);
      const auto kept = KeepValid(valid, hn::Gt(lp, vcut));
      const V p = hn::IfThenElseZero(kept, FastExp(df, lp));
      acc = hn::MulAdd(p, hn::Sub(lp, lq), acc);
    });
    kld += ReduceSum(df, acc);
    top_b.Update(ReduceMax(df, maxb), b0, b1);
    top_q.Update(ReduceMax(df, maxq), b0, b1);
  }
  TokenResult r;
  r.kld = kld;
  r.top = static_cast<int32_t>(
      FirstIndexOf(df, uq, top_q.begin, top_q.end, top_q.value));
  r.top_base = static_cast<int32_t>(
      FirstIndexOf(df, ub, top_b.begin, top_b.end, top_b.value));
  const float lq_t = hq.scale * static_cast<float>(uq[target]) + hq.min_log_prob;
  const float lp_t = hb.scale * static_cast<float>(ub[target]) + hb.min_log_prob;
  FinishTarget(lq_t, lp_t, &r);
  return r;
}

// Sums of an exact comparison: w = exp(y - ref_b), e = exp(x - ref_q),
// d = (y - ref_b) - (x - ref_q); KLD = B/Zb - log Zb + log Zq.
struct ExactSums {
  double zb = 0, zq = 0, b = 0;
  void ShiftBase(double d) {  // ref_b moved by d: every d_i moves by -d
    const double f = std::exp(-d);
    b = f * (b - d * zb);
    zb *= f;
  }
  void ShiftModel(double d) {  // ref_q moved by d: every d_i moves by +d
    const double f = std::exp(-d);
    b += d * zb;
    zq *= f;
  }
};

template <class DF, typename TB, typename TX>
HWY_INLINE void ExactBlock(DF df, const TB* HWY_RESTRICT y,
                           const TX* HWY_RESTRICT x, size_t b0, size_t b1,
                           size_t n, float ref_b, float ref_q,
                           ExactSums* sums) {
  using V = hn::Vec<DF>;
  const V rb = hn::Set(df, ref_b), rq = hn::Set(df, ref_q);
  const V vlog2e = hn::Set(df, kLog2e);
  const V ninf = hn::Set(df, kNegInf);
  V azb = hn::Zero(df), azq = hn::Zero(df), ab = hn::Zero(df);
  size_t i = b0;
  const size_t N = hn::Lanes(df);
  ForEachVector2(df, y, x, b0, b1, [&](const TB* py, const TX* px, auto) {
    PrefetchAhead(y, i, n);
    PrefetchAhead(x, i, n);
    i += N;
    const V ty = hn::Sub(LoadF(df, py), rb);
    const V tx = hn::Sub(LoadF(df, px), rq);
    const V w = FastExp2(df, hn::Mul(ty, vlog2e));
    azb = hn::Add(azb, w);
    azq = hn::Add(azq, FastExp2(df, hn::Mul(tx, vlog2e)));
    // Tokens the base gives probability 0 add nothing (0 * inf is not 0).
    const V d = hn::IfThenElseZero(hn::Gt(ty, ninf), hn::Sub(ty, tx));
    ab = hn::MulAdd(w, d, ab);
  });
  sums->zb += ReduceSum(df, azb);
  sums->zq += ReduceSum(df, azq);
  sums->b += ReduceSum(df, ab);
}

// Base and model both float rows, each normalised over the full vocabulary.
template <typename TB, typename TX>
TokenResult CompareFloatFloat(const TB* HWY_RESTRICT y,
                              const TX* HWY_RESTRICT x, size_t n,
                              int32_t target) {
  const hn::ScalableTag<float> df;
  ExactSums sums;
  RunningRef ref_b, ref_q;
  BlockArgmax top_b, top_q;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    const size_t b1 = std::min(n, b0 + BlockSize(df));
    const BlockScan sb = ScanBlock(df, y, b0, b1);
    const BlockScan sq = ScanBlock(df, x, b0, b1);
    if (sb.suspect) {
      const RowDefects d = FindDefects(df, y, n);
      if (d.nan || d.pos_inf) return InvalidResult(kInvalidBase);
    }
    if (sq.suspect) {
      const RowDefects d = FindDefects(df, x, n);
      if (d.nan || d.pos_inf) return InvalidResult(ModelDefectFlags(d));
    }
    top_b.Update(sb.max, b0, b1);
    top_q.Update(sq.max, b0, b1);
    const double db = ref_b.Raise(sb.max);
    if (db != 0.0) sums.ShiftBase(db);
    const double dq = ref_q.Raise(sq.max);
    if (dq != 0.0) sums.ShiftModel(dq);
    ExactBlock(df, y, x, b0, b1, n, ref_b.ref, ref_q.ref, &sums);
  }
  if (!(ref_b.max > kNegInf)) return InvalidResult(kInvalidBase);
  if (!(ref_q.max > kNegInf)) return InvalidResult(kInvalidModelEmpty);
  TokenResult r;
  const double log_zb = std::log(sums.zb), log_zq = std::log(sums.zq);
  r.kld = sums.b / sums.zb - log_zb + log_zq;
  r.top = static_cast<int32_t>(
      FirstIndexOf(df, x, top_q.begin, top_q.end, top_q.value));
  r.top_base = static_cast<int32_t>(
      FirstIndexOf(df, y, top_b.begin, top_b.end, top_b.value));
  const double lse_q = static_cast<double>(ref_q.ref) + log_zq;
  const double lse_b = static_cast<double>(ref_b.ref) + log_zb;
  FinishTarget(ElementAsFloat(x, target) - lse_q,
               static_cast<float>(ElementAsFloat(y, target) - lse_b), &r);
  return r;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_COMPARE_INL_H_
