// The measures pass's plain-C++ side: the lumped distributions built from
// the pass's masses, the outcome L's terms, and the slots each measure
// fills (docs/measures.md).
#ifndef KLDKIT_LIB_KERNELS_MEASURES_H_
#define KLDKIT_LIB_KERNELS_MEASURES_H_

#include <cstddef>
#include <cstdint>

#include "kldkit/measures.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace detail {

// The best entries of a row, best first (ties: lower id).
struct TopList {
  int size = 0;
  float value[kMaxTopK] = {};
  uint32_t index[kMaxTopK] = {};
};

// One side's masses from the first pass. Terms with e^lp >= 1/64 (at most
// 64) are kept apart as 1 - e^lp in double, so 1 - S keeps its digits
// when S is within 1e-7 of 1.
struct SideMass {
  bool stored = false;     // a llama.cpp row (else float logits)
  double small = 0;        // sum over A of the terms below 1/2
  int big_count = 0;       // terms at or above 1/64
  double big_one_minus = 0;  // their sum of 1 - e^lp
  double out = 0;          // mass outside A (stored rows: code 0 at its
                           // floor value)
  double out_known = 0;    // the part of it on known tokens
  double log_out = 0;      // float rows: log of the exact mass outside A
  double S() const { return small + big_count - big_one_minus; }
  double OneMinusS() const {
    return (1.0 - big_count) + big_one_minus - small;
  }
};

// A side's lumped distribution: p~_i = e^(lp_i - log_c) on A, and p~_L.
struct Lumped {
  double log_c = 0;
  double l = 0;       // p~_L
  double log_l = 0;   // log p~_L, -inf when it is 0
};

// The lumped pair by the rules of docs/measures.md (float rows: L is the
// mass outside A; stored rows: max(0, 1 - S); an L of 0 facing a positive
// one takes the side's stored mass on known tokens outside A, or else the
// other side's L).
// 0, or, when a side has no probability mass at all (a hostile row whose
// codes sit far below its header's top), the kInvalid* flag of that side
// (kInvalidBase, or kInvalidModelNaN: a bad model row): the pair has no
// lumped distributions.
uint32_t LumpPair(const SideMass& b, const SideMass& q, size_t n_out,
                  Lumped* lb, Lumped* lq);

// Everything a pair of rows gives the measures.
struct PairStats {
  double kl = 0, rkl = 0, jsd = 0, tvd = 0;  // TVD: sum |p~ - q~| until
                                             // AddLumpTerms halves it
  double h_base = 0, h_model = 0;            // entropies
  double p_top_base = 0;  // P~'s largest token probability
  int64_t rank_base = 0, rank_model = 0;  // the target's, 0-based
  uint32_t invalid = 0;  // LumpPair's flags: every sum is then NaN
  TopList top_base, top_model;
};

// Adds outcome L's terms to the sums over A.
void AddLumpTerms(const Lumped& b, const Lumped& q, PairStats* s);
// A pair without lumped distributions: every sum NaN.
void SetMassless(PairStats* s);

// Writes the slots of the measures in `mask`; sets out->mask.
void FillMeasures(const PairStats& s, MeasureMask mask, const TopKList& top_k,
                  MeasureValues* out);

// The stages of the measures pass a mask needs, so that a measure costs
// only its own work: the masses pass (the lumped normalisers), the terms
// pass over A (with or without JSD, whose logs are the dearest part), the
// target's rank, and the top-m lists of both rows.
struct MeasureStages {
  bool masses = false;
  bool terms = false;
  bool jsd = false;
  bool rank = false;
  int top_m = 0;  // best entries of each row to find (0 to kMaxTopK)
};

// lumped_kld: the comparison's KLD is the lumped one (kTail with a stored
// model), which needs the masses and the terms.
MeasureStages StagesFor(MeasureMask mask, const TopKList& top_k,
                        bool lumped_kld);

struct RowNorm;  // kernels.h

// The measures pass over two validated rows whose comparison was valid,
// with the normalisations that comparison found (of float rows; ignored
// for llama.cpp rows) and the base's top token it found.
PairStats DispatchMeasurePair(const RowView& base, const RowView& model,
                              int32_t target, int32_t top_base,
                              const RowNorm& norm_base,
                              const RowNorm& norm_model,
                              const MeasureStages& stages);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_KERNELS_MEASURES_H_
