// The measures pass (docs/measures.md): the lumped distributions P~ and Q~
// that a base row and a model row stand for, over the known set A plus
// one outcome L for the rest, and the divergences and entropies on them.
// Two passes over both rows (the masses S and L first, since every term
// needs the normalisers; then the terms), plus rank and top-K scans.
//
// Each row is read through a side: raw(i) = lp(i) + off in float lanes
// (off: 0 for a llama.cpp row, log Z relative to the maximum for float
// logits), and known(i). Row constants enter the float lanes split into a
// float and its double remainder, so they add no systematic offset.

#if defined(KLDKIT_LIB_KERNELS_MEASURES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_MEASURES_INL_H_
#undef KLDKIT_LIB_KERNELS_MEASURES_INL_H_
#else
#define KLDKIT_LIB_KERNELS_MEASURES_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "kldkit/measures.hpp"
#include "lib/kernels/block-inl.h"
#include "lib/kernels/exp-inl.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/load-inl.h"
#include "lib/kernels/measures.h"
#include "lib/kernels/pack-inl.h"
#include "lib/kernels/vec_slot-inl.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A llama.cpp row: lp = scale * u + min_log_prob for known codes (above 0,
// or every code of a row of scale 0, whose logits were all equal).
template <class DF>
struct LlamaSide {
  using V = hn::Vec<DF>;
  static constexpr bool kStored = true;
  LlamaSide(DF df, const uint16_t* words)
      : h(ReadLlamaRowHeader(words)),
        keep_above(h.scale == 0.0f ? -1.0f : 0.0f),
        vscale(hn::Set(df, h.scale)),
        vmlp(hn::Set(df, h.min_log_prob)),
        vkeep(hn::Set(df, keep_above)) {}
  LlamaRowHeader h;
  float keep_above;
  VecSlot<DF> vscale, vmlp, vkeep;
  double off = 0;
  HWY_INLINE V Raw(V v) const {
    return hn::MulAdd(vscale.Get(), v, vmlp.Get());
  }
  HWY_INLINE auto Known(V v) const { return hn::Gt(v, vkeep.Get()); }
  double LogProbOf(float v) const {
    return static_cast<double>(h.scale) * v + h.min_log_prob;
  }
  template <typename T>
  double LogProbAt(const T* row, size_t i) const {
    return LogProbOf(static_cast<float>(row[i]));
  }
  template <typename T>
  bool KnownAt(const T* row, size_t i) const {
    return static_cast<float>(row[i]) > keep_above;
  }
  // A row of scale 0 (all logits were equal) has one log-prob: its masses
  // exactly, rather than float exps with one shared rounding error.
  void ExactMasses(size_t n_in, size_t n_out, detail::SideMass* m) const {
    if (h.scale != 0.0f) return;
    const double e = std::exp(static_cast<double>(h.min_log_prob));
    *m = detail::SideMass{};
    m->stored = true;
    m->small = static_cast<double>(n_in) * e;
    m->out = m->out_known = static_cast<double>(n_out) * e;
  }
};

// A float row: raw = x - ref with the comparison's reference (the row's
// maximum, so e^raw of its top and of an all-equal row is exact), and
// off = lse - ref = log Z. Every token is known.
template <class DF>
struct FloatSide {
  using V = hn::Vec<DF>;
  static constexpr bool kStored = false;
  FloatSide(DF df, const detail::RowNorm& norm)
      : ref(norm.ref),
        vref(hn::Set(df, ref)),
        off(norm.lse - static_cast<double>(ref)),
        lse_(norm.lse) {}
  float ref;
  VecSlot<DF> vref;
  double off;
  double lse_;
  HWY_INLINE V Raw(V v) const { return hn::Sub(v, vref.Get()); }
  HWY_INLINE auto Known(V v) const { return hn::Eq(v, v); }
  double LogProbOf(float v) const { return static_cast<double>(v) - lse_; }
  template <typename T>
  double LogProbAt(const T* row, size_t i) const {
    return LogProbOf(ElementAsFloat(row, i));
  }
  template <typename T>
  bool KnownAt(const T*, size_t) const { return true; }
  void ExactMasses(size_t, size_t, detail::SideMass*) const {}
};

// Adds e (lanes in A, 0 elsewhere) to `small`, except lanes with e >=
// 1/64 (at most 64 per row), whose 1 - e^lp goes to `mass` from the
// lane's log-prob in double: 1 - S of a stored row may be 1e-7, and float
// exps of a few large terms would leave it 20% uncertain.
template <class DF, class Side, class V = hn::Vec<DF>>
HWY_INLINE V AddSmall(DF df, V small, V e, V v, const Side& side,
                      detail::SideMass* mass) {
  const auto big = hn::Ge(e, hn::Set(df, 1.0f / 64));
  if (HWY_UNLIKELY(!hn::AllFalse(df, big))) {
    HWY_ALIGN float es[hn::MaxLanes(df)];
    HWY_ALIGN float vs[hn::MaxLanes(df)];
    hn::Store(e, df, es);
    hn::Store(v, df, vs);
    for (size_t k = 0; k < hn::Lanes(df); ++k) {
      if (es[k] >= 1.0f / 64) {
        ++mass->big_count;
        mass->big_one_minus -= std::expm1(side.LogProbOf(vs[k]));
      }
    }
  }
  return hn::Add(small, hn::IfThenZeroElse(big, e));
}

// Pass 1: each side's mass on A and outside it (see detail::SideMass).
struct MassSums {
  detail::SideMass b, q;
  size_t n_out = 0;  // tokens outside A
};

// A block of both rows as float lanes (codes as exact floats, logits as
// they are), padded to whole vectors. The heavy passes read blocks, so
// they are compiled once per pair of side kinds (llama.cpp or float row),
// not once per pair of element types.
template <class DF>
struct FloatBlock {
  static constexpr size_t kMax = 64 * hn::MaxLanes(DF()) + hn::MaxLanes(DF());
  HWY_ALIGN float b[kMax];
  HWY_ALIGN float q[kMax];
  size_t count = 0;
};

template <class DF, typename TB, typename TQ>
HWY_INLINE void LoadBlock(DF df, const TB* HWY_RESTRICT yb,
                          const TQ* HWY_RESTRICT yq, size_t b0, size_t b1,
                          FloatBlock<DF>* blk) {
  size_t k = 0;
  ForEachVector2(df, yb, yq, b0, b1,
                 [&](const TB* pb, const TQ* pq, auto) {
                   hn::Store(LoadF(df, pb), df, blk->b + k);
                   hn::Store(LoadF(df, pq), df, blk->q + k);
                   k += hn::Lanes(df);
                 });
  blk->count = b1 - b0;
}

// Calls fn(k, valid) for each vector of a block: `valid` is AllLanes{} for
// whole vectors, a mask of the real lanes for the last one.
template <class DF, class Fn>
HWY_INLINE void ForEachBlockVector(DF df, size_t count, const Fn& fn) {
  const size_t N = hn::Lanes(df);
  size_t k = 0;
  for (; k + N <= count; k += N) fn(k, AllLanes{});
  if (k < count) fn(k, hn::FirstN(df, count - k));
}

template <class DF, class SB, class SQ>
HWY_NOINLINE void MassBlock(DF df, const FloatBlock<DF>& blk, const SB& sb,
                            const SQ& sq, MassSums* m) {
  using V = hn::Vec<DF>;
  V s_b = hn::Zero(df), s_q = s_b, o_b = s_b, o_q = s_b, k_b = s_b,
    k_q = s_b;
  ForEachBlockVector(df, blk.count, [&](size_t k, auto valid) {
    const V vb = hn::Load(df, blk.b + k), vq = hn::Load(df, blk.q + k);
    const auto known_b = sb.Known(vb), known_q = sq.Known(vq);
    const auto in_a = KeepValid(valid, hn::And(known_b, known_q));
    const auto out = KeepValid(valid, hn::Not(hn::And(known_b, known_q)));
    const V eb = FastExp(df, sb.Raw(vb)), eq = FastExp(df, sq.Raw(vq));
    s_b = AddSmall(df, s_b, hn::IfThenElseZero(in_a, eb), vb, sb, &m->b);
    s_q = AddSmall(df, s_q, hn::IfThenElseZero(in_a, eq), vq, sq, &m->q);
    o_b = hn::Add(o_b, hn::IfThenElseZero(out, eb));
    o_q = hn::Add(o_q, hn::IfThenElseZero(out, eq));
    k_b = hn::Add(k_b, hn::IfThenElseZero(hn::And(out, known_b), eb));
    k_q = hn::Add(k_q, hn::IfThenElseZero(hn::And(out, known_q), eq));
    m->n_out += hn::CountTrue(df, out);
  });
  m->b.small += ReduceSum(df, s_b);
  m->q.small += ReduceSum(df, s_q);
  m->b.out += ReduceSum(df, o_b);
  m->q.out += ReduceSum(df, o_q);
  m->b.out_known += ReduceSum(df, k_b);
  m->q.out_known += ReduceSum(df, k_q);
}

template <class DF, typename TB, typename TQ, class SB, class SQ>
HWY_INLINE MassSums MassPass(DF df, const TB* HWY_RESTRICT yb,
                             const TQ* HWY_RESTRICT yq, size_t n,
                             const SB& sb, const SQ& sq,
                             FloatBlock<DF>* blk) {
  MassSums m;
  m.b.stored = SB::kStored;
  m.q.stored = SQ::kStored;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    LoadBlock(df, yb, yq, b0, std::min(n, b0 + BlockSize(df)), blk);
    MassBlock(df, *blk, sb, sq, &m);
  }
  // Raw values are lp + off: e^raw = e^lp e^off (off is 0 or an ulp).
  for (auto [mass, off] : {std::pair{&m.b, sb.off}, std::pair{&m.q, sq.off}}) {
    const double f = std::exp(-off);
    mass->small *= f;
    mass->out *= f;
    mass->out_known *= f;
  }
  sb.ExactMasses(n - m.n_out, m.n_out, &m.b);
  sq.ExactMasses(n - m.n_out, m.n_out, &m.q);
  return m;
}

// log of the mass of the tokens outside A, in double: the slow path for a
// float row whose float sum underflowed. -inf if they have none.
template <typename TB, typename TQ, typename TR, class SB, class SQ, class SR>
double LogOutMass(const TB* yb, const TQ* yq, const TR* row, size_t n,
                  const SB& sb, const SQ& sq, const SR& sr) {
  return LogSumExpWhere(
      n, [&](size_t i) { return !(sb.KnownAt(yb, i) && sq.KnownAt(yq, i)); },
      [&](size_t i) { return sr.LogProbAt(row, i); });
}


// m * h(s), h(s) = s tanh s - log cosh s: a token's Jensen-Shannon term
// with m = (p + q) / 2 and s = (lp - lq) / 2. Near s = 0 the series
// s^2/2 - s^4/4 + s^6/9 - 17 s^8/360 (error < 4e-9 relative for |s| <
// 1/8) avoids the cancellation of the direct form
// (p (lp - lm) + q (lq - lm)) / 2, lm = log m, which needs a log: it is
// computed only for vectors with a lane beyond 1/8.
template <class DF, class M, class V = hn::Vec<DF>>
HWY_INLINE V JsdTerm(DF df, M valid, V p, V q, V lp, V lq, V s) {
  const V half = hn::Set(df, 0.5f);
  const V m = hn::Mul(hn::Add(p, q), half);
  const V s2 = hn::Mul(s, s);
  V series = hn::MulAdd(s2, hn::Set(df, -17.0f / 360.0f),
                        hn::Set(df, 1.0f / 9.0f));
  series = hn::MulAdd(s2, series, hn::Set(df, -0.25f));
  series = hn::MulAdd(s2, series, half);
  series = hn::Mul(m, hn::Mul(s2, series));
  const auto pos = hn::And(valid, hn::Gt(m, hn::Zero(df)));
  const auto direct = hn::And(pos, hn::Not(hn::Lt(hn::Abs(s),
                                                  hn::Set(df, 0.125f))));
  if (HWY_LIKELY(hn::AllFalse(df, direct))) {
    return hn::IfThenElseZero(pos, series);
  }
  const V lm = hn::Log(df, hn::IfThenElse(pos, m, hn::Set(df, 1.0f)));
  const V tp = hn::IfThenElseZero(hn::Gt(p, hn::Zero(df)),
                                  hn::Mul(p, hn::Sub(lp, lm)));
  const V tq = hn::IfThenElseZero(hn::Gt(q, hn::Zero(df)),
                                  hn::Mul(q, hn::Sub(lq, lm)));
  return hn::IfThenElseZero(
      pos, hn::IfThenElse(direct, hn::Mul(half, hn::Add(tp, tq)), series));
}

// A double row constant as a float and the float of its remainder: c - v
// as (c - hi) - lo keeps the digits a float constant would round away
// (up to 5e-7 of a 12-nat log Z: a systematic error in every lane).
template <class DF>
struct SplitConstant {
  SplitConstant(DF df, double c)
      : hi(hn::Set(df, static_cast<float>(c))),
        lo(hn::Set(df, static_cast<float>(c - static_cast<float>(c)))) {}
  VecSlot<DF> hi, lo;
  HWY_INLINE hn::Vec<DF> SubFrom(hn::Vec<DF> v) const {
    return hn::Sub(hn::Sub(v, hi.Get()), lo.Get());
  }
  HWY_INLINE hn::Vec<DF> AddTo(hn::Vec<DF> v) const {
    return hn::Add(hn::Add(v, hi.Get()), lo.Get());
  }
};

// A block's raw values on A, packed to the front (L1-resident), so the
// terms' exponentials and logs run only over A: b, q hold raw_b, raw_q.
template <class DF>
using PackedA = FloatBlock<DF>;

template <class DF, class SB, class SQ>
HWY_INLINE void PackA(DF df, const FloatBlock<DF>& blk, const SB& sb,
                      const SQ& sq, PackedA<DF>* a) {
  a->count = 0;
  ForEachBlockVector(df, blk.count, [&](size_t k, auto valid) {
    const auto vb = hn::Load(df, blk.b + k), vq = hn::Load(df, blk.q + k);
    const auto in_a = KeepValid(valid, hn::And(sb.Known(vb), sq.Known(vq)));
    hn::StoreU(PackLanes(df, sb.Raw(vb), in_a), df, a->b + a->count);
    hn::StoreU(PackLanes(df, sq.Raw(vq), in_a), df, a->q + a->count);
    a->count += hn::CountTrue(df, in_a);
  });
}

// The row constants of pass 2: kb, kq are the log of each side's
// normaliser plus its off, so that lp~ = raw - kb; the per-token
// difference lp~ - lq~ is formed as (raw_b - raw_q) + (kq - kb).
template <class DF>
struct TermConstants {
  TermConstants(DF df, double kb, double kq)
      : ckb(df, kb), ckq(df, kq), cdk(df, kq - kb) {}
  SplitConstant<DF> ckb, ckq, cdk;
};

// Pass 2 over one block: the sums over A of the normalised p~, q~ into s
// (see docs/measures.md); JSD's terms only with kJsd.
template <bool kJsd, class DF, class SB, class SQ>
HWY_NOINLINE void TermBlock(DF df, const FloatBlock<DF>& blk, const SB& sb,
                            const SQ& sq, const TermConstants<DF>& c,
                            PackedA<DF>* a, detail::PairStats* s) {
  using V = hn::Vec<DF>;
  const V zero = hn::Zero(df), half = hn::Set(df, 0.5f);
  const size_t N = hn::Lanes(df);
  PackA(df, blk, sb, sq, a);
  V kl = zero, rkl = zero, jsd = zero, tvd = zero, hb = zero, hq = zero;
  for (size_t k = 0; k < a->count; k += N) {
    const auto valid = hn::FirstN(df, a->count - k);
    const V rb = hn::Load(df, a->b + k), rq = hn::Load(df, a->q + k);
    const V lp = c.ckb.SubFrom(rb), lq = c.ckq.SubFrom(rq);
    const V d = c.cdk.AddTo(hn::Sub(rb, rq));  // lp~ - lq~
    const V p = hn::IfThenElseZero(valid, FastExp(df, lp));
    const V q = hn::IfThenElseZero(valid, FastExp(df, lq));
    kl = hn::Add(kl, hn::IfThenElseZero(hn::Gt(p, zero), hn::Mul(p, d)));
    rkl = hn::Sub(rkl, hn::IfThenElseZero(hn::Gt(q, zero), hn::Mul(q, d)));
    tvd = hn::Add(tvd, hn::Abs(hn::Sub(p, q)));
    hb = hn::Sub(hb, hn::IfThenElseZero(hn::Gt(p, zero), hn::Mul(p, lp)));
    hq = hn::Sub(hq, hn::IfThenElseZero(hn::Gt(q, zero), hn::Mul(q, lq)));
    if (kJsd) {
      jsd = hn::Add(jsd, JsdTerm(df, valid, p, q, lp, lq, hn::Mul(d, half)));
    }
  }
  s->kl += ReduceSum(df, kl);
  s->rkl += ReduceSum(df, rkl);
  s->jsd += ReduceSum(df, jsd);
  s->tvd += ReduceSum(df, tvd);
  s->h_base += ReduceSum(df, hb);
  s->h_model += ReduceSum(df, hq);
}

template <bool kJsd, class DF, typename TB, typename TQ, class SB, class SQ>
HWY_INLINE void TermPass(DF df, const TB* HWY_RESTRICT yb,
                         const TQ* HWY_RESTRICT yq, size_t n, const SB& sb,
                         const SQ& sq, double kb, double kq,
                         FloatBlock<DF>* blk, detail::PairStats* s) {
  const TermConstants<DF> c(df, kb, kq);
  PackedA<DF> a;
  for (size_t b0 = 0; b0 < n; b0 += BlockSize(df)) {
    LoadBlock(df, yb, yq, b0, std::min(n, b0 + BlockSize(df)), blk);
    TermBlock<kJsd>(df, *blk, sb, sq, c, &a, s);
  }
}

// 0-based rank of row[target]: tokens above it, and equal ones with a
// lower id.
template <class DF, typename T>
HWY_INLINE int64_t RankOf(DF df, const T* HWY_RESTRICT row, size_t n,
                          size_t target) {
  const auto vt = hn::Set(df, ElementAsFloat(row, target));
  size_t count = 0;
  ForEachVector(df, row, 0, target, [&](const T* p, auto valid) {
    count += hn::CountTrue(df, KeepValid(valid, hn::Ge(LoadF(df, p), vt)));
  });
  ForEachVector(df, row, target + 1, n, [&](const T* p, auto valid) {
    count += hn::CountTrue(df, KeepValid(valid, hn::Gt(LoadF(df, p), vt)));
  });
  return static_cast<int64_t>(count);
}

// The m largest entries of a row, ties to the lower id, best first: the
// first m entries seed the list; after that only lanes above the m-th
// value are looked at one by one.
template <class DF, typename T>
HWY_INLINE void TopOf(DF df, const T* HWY_RESTRICT row, size_t n, int m,
                      detail::TopList* top) {
  const size_t seed = std::min(n, static_cast<size_t>(m));
  top->size = 0;
  const auto insert = [&](float v, uint32_t i) {
    int at = top->size;
    while (at > 0 && top->value[at - 1] < v) --at;
    const int last = std::min(top->size, m - 1);
    for (int k = last; k > at; --k) {
      top->value[k] = top->value[k - 1];
      top->index[k] = top->index[k - 1];
    }
    top->value[at] = v;
    top->index[at] = i;
    top->size = std::min(top->size + 1, m);
  };
  for (size_t i = 0; i < seed; ++i) {
    insert(ElementAsFloat(row, i), static_cast<uint32_t>(i));
  }
  if (seed < static_cast<size_t>(m)) return;
  HWY_ALIGN float lanes[hn::MaxLanes(df)];
  size_t base = seed;
  ForEachVector(df, row, seed, n, [&](const T* p, auto valid) {
    const auto v = LoadF(df, p);
    const auto above =
        KeepValid(valid, hn::Gt(v, hn::Set(df, top->value[m - 1])));
    if (!hn::AllFalse(df, above)) {
      hn::Store(v, df, lanes);
      const size_t lanes_n = std::min(hn::Lanes(df), n - base);
      for (size_t k = 0; k < lanes_n; ++k) {
        if (lanes[k] > top->value[m - 1]) {
          insert(lanes[k], static_cast<uint32_t>(base + k));
        }
      }
    }
    base += hn::Lanes(df);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_MEASURES_INL_H_
