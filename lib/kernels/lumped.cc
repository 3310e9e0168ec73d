// The lumped distributions of a row pair and outcome L's terms
// (docs/measures.md), and the measure slots a pair fills.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "lib/kernels/measures.h"

namespace kldkit {
namespace detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// L's mass before the pair's rules: a stored row's 1 - S (or nothing when
// S >= 1), a float row's mass outside A.
Lumped OwnLump(const SideMass& m) {
  Lumped l;
  if (!m.stored) {
    l.l = m.out;
    l.log_l = m.log_out;
    l.log_c = std::log(m.S() + m.out);
  } else if (const double rest = m.OneMinusS(); rest > 0.0) {
    l.l = rest;
    l.log_l = std::log(rest);
  } else {
    l.log_c = std::log(m.S());
    l.log_l = -HUGE_VAL;
  }
  return l;
}

// No outcome L (every token is in A): each side normalised on A.
Lumped WithoutL(const SideMass& m) {
  Lumped l;
  l.log_c = std::log(m.S());
  l.log_l = -HUGE_VAL;
  return l;
}

// An L of 0 facing a positive one (a stored row whose 1 - S rounded to 0
// or below): the side's stored mass on known tokens outside A; without
// any, the other side's L, as the rows cannot tell the two apart there.
void Fallback(const SideMass& m, const Lumped& other, Lumped* l) {
  double mass = m.out_known;
  if (!(mass > 0.0)) mass = other.l * m.S() / (1.0 - other.l);
  if (!(mass > 0.0) || !std::isfinite(mass)) return;
  const double log_c = std::log(m.S() + mass);
  l->log_c = log_c;
  l->log_l = std::log(mass) - log_c;
  l->l = std::exp(l->log_l);
}

// Normalises a side's L by its c.
void Normalise(Lumped* l) {
  if (l->l > 0.0) {
    l->log_l -= l->log_c;
    l->l = std::exp(l->log_l);
  }
}

double XLogXOverY(double x, double log_x, double log_y) {
  return x > 0.0 ? x * (log_x - log_y) : 0.0;
}

int Overlap(const TopList& a, const TopList& b, int k) {
  const int na = std::min(a.size, k), nb = std::min(b.size, k);
  int common = 0;
  for (int i = 0; i < na; ++i) {
    for (int j = 0; j < nb; ++j) common += a.index[i] == b.index[j];
  }
  return common;
}

int Slot(Measure id) { return FindMeasure(id)->slot; }

}  // namespace

uint32_t LumpPair(const SideMass& b, const SideMass& q, size_t n_out,
                  Lumped* lb, Lumped* lq) {
  const auto massless = [](const SideMass& m) {
    return !(m.S() + m.out > 0.0) || !std::isfinite(m.S() + m.out);
  };
  if (massless(b)) return kInvalidBase;
  if (massless(q)) return kInvalidModelNaN;
  if (n_out == 0) {
    *lb = WithoutL(b);
    *lq = WithoutL(q);
    return 0;
  }
  *lb = OwnLump(b);
  *lq = OwnLump(q);
  Normalise(lb);
  Normalise(lq);
  if (lb->l == 0.0 && lq->l > 0.0) Fallback(b, *lq, lb);
  if (lq->l == 0.0 && lb->l > 0.0) Fallback(q, *lb, lq);
  return 0;
}

void AddLumpTerms(const Lumped& b, const Lumped& q, PairStats* s) {
  s->kl += XLogXOverY(b.l, b.log_l, q.log_l);
  s->rkl += XLogXOverY(q.l, q.log_l, b.log_l);
  s->tvd = 0.5 * (s->tvd + std::fabs(b.l - q.l));
  s->h_base -= b.l > 0.0 ? b.l * b.log_l : 0.0;
  s->h_model -= q.l > 0.0 ? q.l * q.log_l : 0.0;
  const double m = 0.5 * (b.l + q.l);
  if (m > 0.0) {
    const double log_m = std::log(m);
    s->jsd += 0.5 * (XLogXOverY(b.l, b.log_l, log_m) +
                     XLogXOverY(q.l, q.log_l, log_m));
  }
}

void SetMassless(PairStats* s) {
  s->kl = s->rkl = s->jsd = s->tvd = s->h_base = s->h_model = kNaN;
}

MeasureStages StagesFor(MeasureMask mask, const TopKList& top_k,
                        bool lumped_kld) {
  const auto on = [mask](Measure id) { return (mask & MeasureBit(id)) != 0; };
  MeasureStages st;
  st.jsd = on(Measure::kJsd);
  st.terms = lumped_kld || st.jsd || on(Measure::kReverseKld) ||
             on(Measure::kTvd) || on(Measure::kEntropyBase) ||
             on(Measure::kEntropyModel);
  // The buckets need P~'s top probability: the lumped normaliser only.
  st.masses = st.terms || on(Measure::kConfidenceBuckets);
  st.rank = on(Measure::kTargetInTopK);
  if (on(Measure::kTopKOverlap)) {
    st.top_m = static_cast<int>(
        *std::max_element(std::begin(top_k.k), std::end(top_k.k)));
  }
  return st;
}

void FillMeasures(const PairStats& s, MeasureMask mask, const TopKList& top_k,
                  MeasureValues* out) {
  std::fill(std::begin(out->v), std::end(out->v), kNaN);
  out->mask = mask;
  const auto on = [mask](Measure id) { return (mask & MeasureBit(id)) != 0; };
  if (on(Measure::kReverseKld)) out->v[Slot(Measure::kReverseKld)] = s.rkl;
  if (on(Measure::kJsd)) out->v[Slot(Measure::kJsd)] = s.jsd;
  if (on(Measure::kTvd)) out->v[Slot(Measure::kTvd)] = s.tvd;
  if (on(Measure::kTopKOverlap)) {
    const int slot = Slot(Measure::kTopKOverlap);
    const int n = std::max(s.top_base.size, s.top_model.size);
    for (int i = 0; i < top_k.Count(); ++i) {
      const int k = static_cast<int>(top_k.k[i]);
      out->v[slot + i] = static_cast<double>(Overlap(s.top_base, s.top_model, k)) /
                         std::min(k, n);
    }
  }
  if (on(Measure::kTargetInTopK)) {
    const int slot = Slot(Measure::kTargetInTopK);
    out->v[slot] = static_cast<double>(s.rank_base);
    out->v[slot + 1] = static_cast<double>(s.rank_model);
  }
  if (on(Measure::kConfidenceBuckets)) {
    out->v[Slot(Measure::kConfidenceBuckets)] = s.p_top_base;
  }
  if (on(Measure::kEntropyBase)) out->v[Slot(Measure::kEntropyBase)] = s.h_base;
  if (on(Measure::kEntropyModel)) {
    out->v[Slot(Measure::kEntropyModel)] = s.h_model;
  }
}

}  // namespace detail
}  // namespace kldkit
