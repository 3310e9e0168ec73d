// Per-target instantiation and dispatch of the measures pass.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/kernels/measures.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <limits>

#include "hwy/highway.h"
#include "lib/kernels/measures-inl.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/measures.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {

// A float side whose mass outside A underflowed in float gets it exactly.
template <typename TB, typename TQ, typename TR, class SB, class SQ, class SR>
void SetLogOut(const TB* yb, const TQ* yq, const TR* row, size_t n,
               size_t n_out, const SB& sb, const SQ& sq, const SR& side,
               detail::SideMass* mass) {
  if (mass->stored) return;
  if (mass->out > 0.0 || n_out == 0) {
    mass->log_out = std::log(mass->out);
  } else {
    mass->log_out = LogOutMass(yb, yq, row, n, sb, sq, side);
    mass->out = std::exp(mass->log_out);
  }
}

// P~'s largest token probability.
template <class Side>
double TopProbability(const Side& side, const detail::TopList& top,
                      const detail::Lumped& lumped) {
  return std::exp(side.LogProbOf(top.value[0]) - lumped.log_c);
}

template <typename TB, typename TQ, class SB, class SQ>
detail::PairStats MeasurePair(const TB* yb, const TQ* yq, size_t n,
                              size_t target, const SB& sb, const SQ& sq,
                              int top_m) {
  const hn::ScalableTag<float> df;
  FloatBlock<hn::ScalableTag<float>> blk;
  MassSums m = MassPass(df, yb, yq, n, sb, sq, &blk);
  SetLogOut(yb, yq, yb, n, m.n_out, sb, sq, sb, &m.b);
  SetLogOut(yb, yq, yq, n, m.n_out, sb, sq, sq, &m.q);
  detail::Lumped lb, lq;
  detail::PairStats s;
  s.invalid = detail::LumpPair(m.b, m.q, m.n_out, &lb, &lq);
  if (s.invalid == 0) {
    TermPass(df, yb, yq, n, sb, sq, sb.off + lb.log_c, sq.off + lq.log_c,
             &blk, &s);
    detail::AddLumpTerms(lb, lq, &s);
  } else {
    detail::SetMassless(&s);
    lb.log_c = std::numeric_limits<double>::quiet_NaN();
  }
  s.rank_base = RankOf(df, yb, n, target);
  s.rank_model = RankOf(df, yq, n, target);
  TopOf(df, yb, n, std::max(top_m, 1), &s.top_base);
  if (top_m > 0) TopOf(df, yq, n, top_m, &s.top_model);
  s.p_top_base = TopProbability(sb, s.top_base, lb);
  return s;
}

// Calls fn(pointer, side) for a row: a llama.cpp row's codes, or float
// logits of the given normalisation.
template <class Fn>
detail::PairStats WithSide(const RowView& row, const detail::RowNorm& norm,
                           const Fn& fn) {
  const hn::ScalableTag<float> df;
  if (!row.IsFloat()) {
    const auto* words = static_cast<const uint16_t*>(row.data);
    return fn(words + 4, LlamaSide<decltype(df)>(df, words));
  }
  return WithFloatType(row.data, row.type, [&](auto x) {
    return fn(x, FloatSide<decltype(df)>(df, norm));
  });
}

// The pairs CompareRow takes: a llama.cpp base with any model, two float
// rows (so a float base is never instantiated with a llama.cpp model).
detail::PairStats MeasurePairImpl(const RowView& base, const RowView& model,
                                  int32_t target,
                                  const detail::RowNorm& norm_base,
                                  const detail::RowNorm& norm_model,
                                  int top_m) {
  const size_t n = base.n_vocab;
  const auto t = static_cast<size_t>(target);
  const auto pair = [&](auto yb, const auto& sb) {
    return [&, yb](auto yq, const auto& sq) {
      return MeasurePair(yb, yq, n, t, sb, sq, top_m);
    };
  };
  const hn::ScalableTag<float> df;
  if (!base.IsFloat()) {
    const auto* words = static_cast<const uint16_t*>(base.data);
    const LlamaSide<decltype(df)> sb(df, words);
    return WithSide(model, norm_model, pair(words + 4, sb));
  }
  return WithFloatType(base.data, base.type, [&](auto yb) {
    const FloatSide<decltype(df)> sb(df, norm_base);
    return WithFloatType(model.data, model.type, [&](auto yq) {
      return pair(yb, sb)(yq, FloatSide<decltype(df)>(df, norm_model));
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
namespace {
HWY_EXPORT(MeasurePairImpl);
}  // namespace

namespace detail {
PairStats DispatchMeasurePair(const RowView& base, const RowView& model,
                              int32_t target, const RowNorm& norm_base,
                              const RowNorm& norm_model, int top_m) {
  return HWY_DYNAMIC_DISPATCH(MeasurePairImpl)(base, model, target, norm_base,
                                               norm_model, top_m);
}
}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
