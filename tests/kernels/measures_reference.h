// Long-double reference of the measures (docs/measures.md), written from
// the definitions: the lumped distributions P~ and Q~ over the known set A
// plus the outcome L, then each measure by its textbook formula. Test code
// only.
#ifndef KLDKIT_TESTS_KERNELS_MEASURES_REFERENCE_H_
#define KLDKIT_TESTS_KERNELS_MEASURES_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kldkit {
namespace testing {

// One row as the measures read it: log-probabilities, which are known,
// and the values that rank tokens (codes, or logits).
struct RefSide {
  bool stored = false;
  std::vector<long double> lp;
  std::vector<bool> known;
  std::vector<long double> value;
};
RefSide RefLlamaSide(const uint16_t* row, size_t n);
RefSide RefFloatSide(const float* logits, size_t n);

// A lumped distribution: probabilities on A (in token order, 0 outside A)
// and on L.
struct RefLumped {
  std::vector<long double> p;
  long double l = 0;
  long double c = 1;  // p_i = e^lp_i / c on A
};
void RefLump(const RefSide& b, const RefSide& q, RefLumped* pb,
             RefLumped* pq);

struct RefMeasures {
  long double kl = 0, rkl = 0, jsd = 0, tvd = 0;
  long double entropy_base = 0, entropy_model = 0;
  long double p_top_base = 0;
  int64_t rank_base = 0, rank_model = 0;
  std::vector<long double> overlap;  // one per K of `ks`
};

// Divergences and entropies of two distributions over the same outcomes.
RefMeasures RefDivergences(const std::vector<long double>& p,
                           const std::vector<long double>& q);

RefMeasures RefMeasurePair(const RefSide& b, const RefSide& q, int32_t target,
                           const std::vector<int>& ks);

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_KERNELS_MEASURES_REFERENCE_H_
