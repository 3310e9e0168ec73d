// The fused per-token comparison of a base row with a model row: one pass
// over both rows gives KLD, the model's log-sum-exp, and both top-1 tokens
// (kExact adds an L1-resident max pass per block).
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
#include "lib/kernels/kernels.h"
#include "lib/kernels/block-inl.h"
#include "lib/kernels/exp-inl.h"
#include "lib/kernels/lagged-inl.h"
#include "lib/kernels/load-inl.h"
#include "lib/kernels/pack-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kKldCutoff = kLlamaKldCut;  // llama.cpp adds lp > -16 only

using detail::InvalidResult;

inline uint32_t ModelDefectFlags(const RowDefects& d) {
  return (d.nan ? kInvalidModelNaN : 0u) | (d.pos_inf ? kInvalidModelInf : 0u) |
         (d.empty ? kInvalidModelEmpty : 0u);
}

// A usable llama.cpp row header of n tokens: finite, scale >= 0, and
// log-probabilities that can be ones: min_log_prob <= 0 and the top code's
// 65535 * scale + min_log_prob (the row's -log Z, rounded) in
// [-log n, 0] (1e-3 of slack for that rounding): the largest of n
// probabilities is at least 1/n. Above 0, exp(lp) could be inf and the KLD
// NaN; below -log n the row would hold no probability mass (since 0.2).
inline bool HeaderOk(const LlamaRowHeader& h, size_t n) {
  if (!std::isfinite(h.scale) || !std::isfinite(h.min_log_prob)) return false;
  const double top = 65535.0 * h.scale + h.min_log_prob;
  return h.scale >= 0.0f && h.min_log_prob <= 0.0f && top <= 1e-3 &&
         top >= -std::log(static_cast<double>(n)) - 1e-3;
}

// kTail keeps the tokens whose code is above this: code 0 is the clamped
// floor, except in a row of scale 0 (all logits equal), which is exact and
// keeps every token.
inline float TailKeepAbove(const LlamaRowHeader& h) {
  return h.scale == 0.0f ? -1.0f : 0.0f;
}

// kTail needs T_b = 1 - sum kept p_b to better than float's 6e-8 near 1:
// a peaked row's T_b may be 1e-9, and T_b log(T_b / T_q) multiplies its
// error by up to ~30. Probabilities >= 1/2 (at most two per row) are kept
// out of the float sums and contribute 1 - p = -expm1(lp) in double.
struct BigTerms {
  int count = 0;
  double one_minus = 0;  // sum of 1 - p over the big terms
  void Add(const BigTerms& o) {
    count += o.count;
    one_minus += o.one_minus;
  }
  // T_b = 1 - (sum_big p + small) = (1 - count) + sum_big (1 - p) - small.
  double TailMass(double small) const {
    return (1.0 - count) + one_minus - small;
  }
};

// Adds p to `small`, except lanes with p >= 1/2, which go to `big` with
// 1 - p from the code's exact log-prob in double (float lp would cost 3e-8).
template <class DF, class V>
HWY_INLINE V AddSmallTerms(DF df, V small, V p, V code,
                           const LlamaRowHeader& h, BigTerms* big) {
  const auto is_big = hn::Ge(p, hn::Set(df, 0.5f));
  if (HWY_UNLIKELY(!hn::AllFalse(df, is_big))) {
    HWY_ALIGN float ps[hn::MaxLanes(df)];
    HWY_ALIGN float codes[hn::MaxLanes(df)];
    hn::Store(p, df, ps);
    hn::Store(code, df, codes);
    for (size_t k = 0; k < hn::Lanes(df); ++k) {
      if (ps[k] >= 0.5f) {
        const double lp = static_cast<double>(h.scale) * codes[k] +
                          static_cast<double>(h.min_log_prob);
        ++big->count;
        big->one_minus -= std::expm1(lp);
      }
    }
  }
  return hn::Add(small, hn::IfThenZeroElse(is_big, p));
}

// KLD's tail term T_b log(T_b / T_q); T_q = exp(log_tq()), evaluated only
// when the float estimate `tail_q` is 0 (the dropped tokens lie over 87
// nats below the top, or none is dropped), then exactly in double. With nothing dropped
// (any_dropped() false), T_b is only the stored row's rounding: no tail
// term (not a spurious +inf).
template <class AnyDropped, class LogTq>
double TailTermChecked(double tb, double tail_q, const AnyDropped& any_dropped,
                       const LogTq& log_tq) {
  if (!(tb > 0.0)) return 0.0;
  if (tail_q > 0.0) return tb * std::log(tb / tail_q);
  if (!any_dropped()) return 0.0;
  return tb * (std::log(tb) - log_tq());
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
  BigTerms big;    // kTail: kept terms with p >= 1/2, not in s

  void Shift(double d) {  // reference moved up by d
    const double f = std::exp(-d);
    z = Rescaled(z, f);
    zt = Rescaled(zt, f);
    // Every kept term's a_i grows by d: kTail's big terms too (0.1 left
    // them out: a top token of p >= 1/2 before a small raise of the
    // reference gave a KLD of -0.38).
    a += d * (s + (big.count - big.one_minus));
  }
  void Add(const LlamaSums& o) {
    z += o.z;
    a += o.a;
    s += o.s;
    zt += o.zt;
    big.Add(o.big);
  }
};

// One block's sums and the block's maxima.
struct LlamaBlock {
  LlamaSums sums;
  float xmax;
  float umax;       // largest kept code (0 if the block keeps none)
  size_t kept = 0;  // kept tokens
  bool suspect;     // NaN or +-inf in the model row (or a benign overflow)
};

// The smallest code a comparison keeps: kTail keeps codes > TailKeepAbove;
// kLlamaCpp keeps lp = scale * code + min_log_prob > -16, found with the
// same vector arithmetic as the kernel (lp grows with the code), so the
// per-token test is one compare of codes. 65536 if no code is kept.
template <bool kTail, class DF>
HWY_INLINE float FirstKeptCode(DF df, const LlamaRowHeader& h) {
  if (kTail) return TailKeepAbove(h) + 1.0f;
  const auto lp = [&](uint32_t code) {
    return hn::GetLane(hn::MulAdd(hn::Set(df, h.scale),
                                  hn::Set(df, static_cast<float>(code)),
                                  hn::Set(df, h.min_log_prob)));
  };
  uint32_t lo = 0, hi = 65536;  // the answer is in [lo, hi]
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (lp(mid) > kKldCutoff) hi = mid; else lo = mid + 1;
  }
  return static_cast<float>(lo);
}

#if HWY_TARGET == HWY_AVX3_DL
// The fused pass's codes 2N at a time as uint16 (see pack-inl.h):
// vector(x, valid, kept) handles one float vector and its kept lanes;
// the kept codes are packed into `codes` at *count.
template <class DF, typename TX, class Vector>
HWY_INLINE void PackPairsU16(DF df, const uint16_t* HWY_RESTRICT u,
                             const TX* HWY_RESTRICT x, size_t b0, size_t b1,
                             float first_kept, uint16_t* HWY_RESTRICT codes,
                             const size_t* count, const Vector& vector) {
  const hn::Repartition<uint16_t, DF> du16;
  const size_t N = hn::Lanes(df);
  const bool keeps = first_kept <= 65535.0f;  // else no code is kept
  const auto vfirst = hn::Set(du16, keeps ? static_cast<uint16_t>(first_kept)
                                          : uint16_t{0});
  const auto pair = [&](const TX* px, const uint16_t* pu, size_t rest) {
    const auto c = hn::LoadU(du16, pu);
    const auto kept = hn::AndNot(hn::Gt(vfirst, c),
                                 hn::FirstN(du16, keeps ? rest : 0));
    hn::StoreU(hn::Compress(c, kept), du16, codes + *count);
    if (rest == 2 * N) {
      vector(LoadF(df, px), AllLanes{}, LowerHalfMask(kept));
      vector(LoadF(df, px + N), AllLanes{}, UpperHalfMask(kept));
    } else {
      vector(LoadF(df, px), hn::FirstN(df, rest), LowerHalfMask(kept));
      vector(LoadF(df, px + N), hn::FirstN(df, rest > N ? rest - N : 0),
             UpperHalfMask(kept));
    }
  };
  size_t i = b0;
  for (; i + 2 * N <= b1; i += 2 * N) pair(x + i, u + i, 2 * N);
  if (i == b1) return;
  HWY_ALIGN TX pad_x[2 * hn::MaxLanes(df)];
  HWY_ALIGN uint16_t pad_u[2 * hn::MaxLanes(df)];
  const size_t rest = b1 - i;
  for (size_t k = 0; k < 2 * N; ++k) {
    pad_x[k] = k < rest ? x[i + k] : NeutralPad<TX>();
    pad_u[k] = k < rest ? u[i + k] : uint16_t{0};
  }
  pair(pad_x, pad_u, rest);
}
#endif

// A block's model side from its fused pass: the exp sums (kTail: the sum
// over dropped tokens, azt), the maximum, whether it may hold NaN or +inf.
template <bool kTail, class DF, class ExpSum>
HWY_INLINE void SetExpSums(DF df, const ExpSum& exp_sum, hn::Vec<DF> azt,
                           LlamaBlock* b) {
  b->sums.z = exp_sum.Z(df);
  if (kTail) b->sums.zt = ReduceSum(df, azt);
  b->xmax = exp_sum.Max(df);
  b->suspect = exp_sum.Suspect(df, b->sums.z, b->xmax);
}

// The fused pass over one block, relative to the reference `ref`: the
// model's exp sum (and kTail's sum over dropped tokens), the model maximum,
// and the kept tokens packed into `kept_out` (see BlockExpSum for kSafe).
template <bool kTail, bool kSafe, class DF, typename TX>
HWY_INLINE LlamaBlock FusedPassU16(DF df, const uint16_t* HWY_RESTRICT u,
                                   const TX* HWY_RESTRICT x, size_t b0,
                                   size_t b1, float first_kept, float ref,
                                   KeptLanes<DF>* kept_out) {
  using V = hn::Vec<DF>;
  BlockExpSum<kSafe, DF> exp_sum(df, ref);
  V azt = hn::Zero(df);
  size_t count = 0;
  // One vector of logits: its exp terms; its kept lanes' logits packed.
  const auto vector = [&](V xv, auto valid, auto kept) {
    const V e = exp_sum.Add(df, xv, valid);
    if (kTail) azt = hn::Add(azt, hn::IfThenZeroElse(kept, e));
    hn::StoreU(PackLanes(df, xv, kept), df, kept_out->x + count);
    count += hn::CountTrue(df, kept);
  };
#if HWY_TARGET == HWY_AVX3_DL
  PackPairsU16(df, u, x, b0, b1, first_kept, kept_out->code, &count, vector);
#else
  const V vfirst = hn::Set(df, first_kept);
  ForEachVector2(df, x, u, b0, b1, [&](const TX* px, const uint16_t* pu,
                                       auto valid) {
    const V uf = LoadF(df, pu);
    const auto kept = KeepValid(valid, hn::Ge(uf, vfirst));
    hn::StoreU(PackLanes(df, uf, kept), df, kept_out->code + count);
    vector(LoadF(df, px), valid, kept);
  });
#endif
  kept_out->count = count;
  LlamaBlock b;
  b.kept = count;
  SetExpSums<kTail>(df, exp_sum, azt, &b);
  return b;
}

// The base side over a block's kept tokens: p_b, the KLD terms p_b a_i,
// sum p_b and the largest kept code.
template <bool kTail, class DF, class Kept>
HWY_INLINE void KeptPass(DF df, const Kept& kept,
                         const LlamaRowHeader& h, float lb, float ref,
                         LlamaBlock* b) {
  using V = hn::Vec<DF>;
  const V vscale = hn::Set(df, h.scale), vmlp = hn::Set(df, h.min_log_prob);
  const V vlb = hn::Set(df, lb), vlog2e = hn::Set(df, kLog2e);
  const V vref = hn::Set(df, ref);
  const V vzero = hn::Zero(df);
  V aa = vzero, as = vzero, umax = vzero;
  BigTerms big;
  const size_t N = hn::Lanes(df);
  const auto term = [&](V uf, V x, auto valid) {
    umax = hn::Max(umax, uf);
    const V t = hn::Sub(x, vref);
    const V lp = hn::MulAdd(vscale, uf, vmlp);
    // lp is finite (HeaderOk), so the clamp-free exp is safe here.
    const V pb = ZeroInvalid(valid, FastExp2Finite(df, hn::Mul(lp, vlog2e)));
    // Masked on p_b > 0: a kept term whose p_b underflows (kTail) would
    // give 0 * inf = NaN where the model logit is -inf.
    const V ai = hn::IfThenElseZero(hn::Gt(pb, vzero),
                                    hn::Sub(hn::Add(lp, vlb), t));
    as = kTail ? AddSmallTerms(df, as, pb, uf, h, &big) : hn::Add(as, pb);
    aa = hn::MulAdd(pb, ai, aa);
  };
  size_t k = 0;
  for (; k + N <= kept.count; k += N) {
    term(LoadKeptCodes(df, kept.code + k), hn::Load(df, kept.x + k),
         AllLanes{});
  }
  if (k < kept.count) {
    const auto valid = hn::FirstN(df, kept.count - k);
    term(LoadKeptCodes(df, kept.code + k, kept.count - k),
         hn::MaskedLoad(valid, df, kept.x + k), valid);
  }
  b->sums.big = big;
  b->sums.a = ReduceSum(df, aa);
  b->sums.s = ReduceSum(df, as);
  b->umax = ReduceMax(df, umax);
}

// Both passes over one block.
template <bool kTail, bool kSafe, class DF, typename TX>
HWY_INLINE LlamaBlock CompareBlockU16(DF df, const uint16_t* HWY_RESTRICT u,
                                      const TX* HWY_RESTRICT x, size_t b0,
                                      size_t b1, const LlamaRowHeader& h,
                                      float lb, float first_kept, float ref,
                                      KeptLanes<DF>* kept) {
  LlamaBlock b =
      FusedPassU16<kTail, kSafe>(df, u, x, b0, b1, first_kept, ref, kept);
  KeptPass<kTail>(df, *kept, h, lb, ref, &b);
  return b;
}

// Index of the first largest code of a row (the rare path of a row that
// keeps no token, where the kept pass saw none of the codes).
template <class DF>
HWY_NOINLINE size_t FirstMaxCode(DF df, const uint16_t* HWY_RESTRICT u,
                                 size_t n) {
  auto vmax = hn::Zero(df);
  ForEachVector(df, u, 0, n,
                [&](const uint16_t* p, auto) { vmax = hn::Max(vmax, LoadF(df, p)); });
  return FirstIndexOf(df, u, 0, n, ReduceMax(df, vmax));
}

// The result of a llama.cpp-base / float-model comparison from its sums:
// shared by the dense and the sparse base rows. code_target is the base's
// code of the target token; any_dropped() and dropped(i) tell kTail's slow
// path which tokens the base drops.
template <bool kTail, typename TX, class AnyDropped, class Dropped>
TokenResult FinishU16Float(const LlamaSums& sums, const RunningRef& ref,
                           const LlamaRowHeader& h, float lb,
                           const TX* HWY_RESTRICT x, size_t n, int32_t target,
                           uint16_t code_target, size_t top, size_t top_base,
                           const AnyDropped& any_dropped,
                           const Dropped& dropped, detail::RowNorm* norm_model) {
  TokenResult r;
  const double log_z = std::log(sums.z);
  if (kTail) {
    // s holds only the small kept terms; the big ones are in big.
    const double kept_mass = sums.s + (sums.big.count - sums.big.one_minus);
    r.kld = sums.a + (log_z - lb) * kept_mass +
            TailTermChecked(sums.big.TailMass(sums.s), sums.zt / sums.z,
                            any_dropped, [&] {
                              const double lse = ref.ref + log_z;
                              return LogSumExpWhere(n, dropped, [&](size_t i) {
                                return ElementAsFloat(x, i) - lse;
                              });
                            });
  } else {
    r.kld = sums.a + (log_z - lb) * sums.s;
  }
  r.top = static_cast<int32_t>(top);
  r.top_base = static_cast<int32_t>(top_base);
  const double lse = static_cast<double>(ref.ref) + log_z;
  *norm_model = {ref.ref, lse};
  const float lp_t = h.scale * static_cast<float>(code_target) + h.min_log_prob;
  FinishTarget(ElementAsFloat(x, target) - lse, lp_t, &r);
  return r;
}

// Base: llama.cpp row (header + codes); model: float logits.
template <bool kTail, typename TX>
TokenResult CompareU16Float(const uint16_t* HWY_RESTRICT words,
                            const TX* HWY_RESTRICT x, size_t n,
                            int32_t target, detail::RowNorm* norm_model) {
  const hn::ScalableTag<float> df;
  const LlamaRowHeader h = ReadLlamaRowHeader(words);
  if (!HeaderOk(h, n)) return InvalidResult(kInvalidBase);
  const uint16_t* HWY_RESTRICT u = words + 4;
  const float lb = -(65535.0f * h.scale + h.min_log_prob);
  const float first_kept = FirstKeptCode<kTail>(df, h);
  KeptLanes<hn::ScalableTag<float>> kept;
  LlamaSums sums;
  RunningRef ref;
  BlockArgmax top_x, top_u;
  size_t kept_total = 0;
  const RowDefects d = LaggedBlocks(
      df, x, n, &ref, &sums,
      [&](bool safe, size_t b0, size_t b1, float r) {
        return safe ? CompareBlockU16<kTail, true>(df, u, x, b0, b1, h, lb,
                                                   first_kept, r, &kept)
                    : CompareBlockU16<kTail, false>(df, u, x, b0, b1, h, lb,
                                                    first_kept, r, &kept);
      },
      [&](const LlamaBlock& blk, size_t b0, size_t b1) {
        top_x.Update(blk.xmax, b0, b1);
        top_u.Update(blk.umax, b0, b1);
        kept_total += blk.kept;
      });
  if (d.nan || d.pos_inf) return InvalidResult(ModelDefectFlags(d));
  if (!(ref.max > kNegInf)) return InvalidResult(kInvalidModelEmpty);
  const float keep_above = TailKeepAbove(h);
  const auto dropped = [&](size_t i) {
    return !(static_cast<float>(u[i]) > keep_above);
  };
  const size_t top_base =
      kept_total == 0
          ? FirstMaxCode(df, u, n)
          : FirstIndexOf(df, u, top_u.begin, top_u.end, top_u.value);
  return FinishU16Float<kTail>(
      sums, ref, h, lb, x, n, target, u[target],
      FirstIndexOf(df, x, top_x.begin, top_x.end, top_x.value), top_base,
      [&] {
        for (size_t i = 0; i < n; ++i) {
          if (dropped(i)) return true;
        }
        return false;
      },
      dropped, norm_model);
}

// Base and model both llama.cpp rows (two saved files), kLlamaCpp: the
// model's log-probs are read as stored, top-1 is the first maximum code.
// (kTail's KLD for this pair is the lumped one of the measures pass.)
inline TokenResult CompareU16U16(const uint16_t* HWY_RESTRICT base,
                                 const uint16_t* HWY_RESTRICT model, size_t n,
                                 int32_t target) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const LlamaRowHeader hb = ReadLlamaRowHeader(base);
  const LlamaRowHeader hq = ReadLlamaRowHeader(model);
  if (!HeaderOk(hb, n)) return InvalidResult(kInvalidBase);
  if (!HeaderOk(hq, n)) return InvalidResult(kInvalidModelNaN);  // malformed
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
    if (zb == 0.0) return;  // every w was 0, so b is 0 too
    const double f = std::exp(-d);
    b = f * (b - d * zb);
    zb *= f;
  }
  void ShiftModel(double d) {  // ref_q moved by d: every d_i moves by +d
    b += d * zb;
    zq = Rescaled(zq, std::exp(-d));
  }
};

template <class DF, typename TB, typename TX>
HWY_INLINE void ExactBlock(DF df, const TB* HWY_RESTRICT y,
                           const TX* HWY_RESTRICT x, size_t b0, size_t b1,
                           float ref_b, float ref_q, ExactSums* sums) {
  using V = hn::Vec<DF>;
  const V rb = hn::Set(df, ref_b), rq = hn::Set(df, ref_q);
  const V vlog2e = hn::Set(df, kLog2e);
  CompensatedSum<DF> azb(df), azq(df);
  V ab = hn::Zero(df);
  ForEachVector2(df, y, x, b0, b1, [&](const TB* py, const TX* px, auto) {
    const V ty = hn::Sub(LoadF(df, py), rb);
    const V tx = hn::Sub(LoadF(df, px), rq);
    const V w = FastExp2(df, hn::Mul(ty, vlog2e));
    azb.Add(w);
    azq.Add(FastExp2(df, hn::Mul(tx, vlog2e)));
    // Tokens the base gives probability 0 add nothing (0 * inf is not 0).
    // Tokens with w = 0 (y = -inf, or underflow) add nothing: 0 * inf is NaN
    // where x - ref overflowed to -inf (logits spread beyond FLT_MAX).
    const V d = hn::IfThenElseZero(hn::Gt(w, hn::Zero(df)), hn::Sub(ty, tx));
    ab = hn::MulAdd(w, d, ab);
  });
  sums->zb += azb.Reduce(df);
  sums->zq += azq.Reduce(df);
  sums->b += ReduceSum(df, ab);
}

// Base and model both float rows, each normalised over the full vocabulary.
template <typename TB, typename TX>
TokenResult CompareFloatFloat(const TB* HWY_RESTRICT y,
                              const TX* HWY_RESTRICT x, size_t n,
                              int32_t target, detail::RowNorm* norm_base,
                              detail::RowNorm* norm_model) {
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
    ExactBlock(df, y, x, b0, b1, ref_b.ref, ref_q.ref, &sums);
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
  *norm_base = {ref_b.ref, lse_b};
  *norm_model = {ref_q.ref, lse_q};
  FinishTarget(ElementAsFloat(x, target) - lse_q,
               static_cast<float>(ElementAsFloat(y, target) - lse_b), &r);
  return r;
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_COMPARE_INL_H_
