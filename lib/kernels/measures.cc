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

// The masses, the lumped pair and (if asked) the terms over A into s;
// returns the base's lumped normaliser (NaN for a massless pair).
template <class DF, typename TB, typename TQ, class SB, class SQ>
double LumpedTerms(DF df, const TB* yb, const TQ* yq, size_t n, const SB& sb,
                   const SQ& sq, const detail::MeasureStages& st,
                   detail::PairStats* s) {
  FloatBlock<DF> blk;
  MassSums m = MassPass(df, yb, yq, n, sb, sq, &blk);
  SetLogOut(yb, yq, yb, n, m.n_out, sb, sq, sb, &m.b);
  SetLogOut(yb, yq, yq, n, m.n_out, sb, sq, sq, &m.q);
  detail::Lumped lb, lq;
  s->invalid = detail::LumpPair(m.b, m.q, m.n_out, &lb, &lq);
  if (s->invalid != 0) {
    detail::SetMassless(s);
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (st.terms) {
    const double kb = sb.off + lb.log_c, kq = sq.off + lq.log_c;
    if (st.jsd) {
      TermPass<true>(df, yb, yq, n, sb, sq, kb, kq, &blk, s);
    } else {
      TermPass<false>(df, yb, yq, n, sb, sq, kb, kq, &blk, s);
    }
    detail::AddLumpTerms(lb, lq, s);
  }
  return lb.log_c;
}

// Only the stages the mask needs run (detail::StagesFor).
template <typename TB, typename TQ, class SB, class SQ>
detail::PairStats MeasurePair(const TB* yb, const TQ* yq, size_t n,
                              size_t target, size_t top_base, const SB& sb,
                              const SQ& sq, const detail::MeasureStages& st) {
  const hn::ScalableTag<float> df;
  detail::PairStats s;
  if (st.masses) {
    const double log_c = LumpedTerms(df, yb, yq, n, sb, sq, st, &s);
    s.p_top_base = std::exp(sb.LogProbAt(yb, top_base) - log_c);
  }
  if (st.rank) {
    s.rank_base = RankOf(df, yb, n, target);
    s.rank_model = RankOf(df, yq, n, target);
  }
  if (st.top_m > 0) {
    TopOf(df, yb, n, st.top_m, &s.top_base);
    TopOf(df, yq, n, st.top_m, &s.top_model);
  }
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
                                  int32_t target, int32_t top_base,
                                  const detail::RowNorm& norm_base,
                                  const detail::RowNorm& norm_model,
                                  const detail::MeasureStages& stages) {
  const size_t n = base.n_vocab;
  const auto t = static_cast<size_t>(target);
  const auto top = static_cast<size_t>(top_base);
  const auto pair = [&](auto yb, const auto& sb) {
    return [&, yb](auto yq, const auto& sq) {
      return MeasurePair(yb, yq, n, t, top, sb, sq, stages);
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
                              int32_t target, int32_t top_base,
                              const RowNorm& norm_base,
                              const RowNorm& norm_model,
                              const MeasureStages& stages) {
  return HWY_DYNAMIC_DISPATCH(MeasurePairImpl)(
      base, model, target, top_base, norm_base, norm_model, stages);
}
}  // namespace detail
}  // namespace kldkit
#endif  // HWY_ONCE
