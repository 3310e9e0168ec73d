// Measures beyond llama.cpp's statistics: reverse KL, Jensen-Shannon, total
// variation, top-K agreement, the target's rank, confidence buckets,
// entropies. Definitions (and the lumped distributions a stored llama.cpp
// row stands for): docs/measures.md.
//
// One table describes every measure: its name, how it is accumulated and
// reported (its kind), and where a token's values sit (its slots in
// MeasureValues). The kernels fill the slots, the accumulator folds each
// measure by its kind, and the renderers, the C API and Python walk the
// table, so a new measure of an existing kind is a row here plus its
// computation in the kernel.
#ifndef KLDKIT_MEASURES_HPP_
#define KLDKIT_MEASURES_HPP_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <gsl/span>

namespace kldkit {

// Measure ids: bit positions of a MeasureMask. Values are pinned.
enum class Measure : uint32_t {
  kReverseKld = 0,          // KL(Q || P)
  kJsd = 1,                 // Jensen-Shannon divergence, <= ln 2
  kTvd = 2,                 // total variation distance, <= 1
  kTopKOverlap = 3,         // |topK(P) & topK(Q)| / K for each chosen K
  kTargetInTopK = 4,        // target's rank < K under P and under Q
  kConfidenceBuckets = 5,   // KLD and same-top by P's top-1 probability
  kEntropyBase = 6,         // H(P)
  kEntropyModel = 7,        // H(Q)
};

// Bit (1 << id) per measure. Since 0.2.
using MeasureMask = uint32_t;
constexpr MeasureMask MeasureBit(Measure m) {
  return MeasureMask{1} << static_cast<uint32_t>(m);
}

// How a measure is accumulated and reported. Values are pinned.
enum class MeasureKind : uint32_t {
  kMean = 0,             // mean +- uncertainty, min, max
  kMeanPercentiles = 1,  // kMean and llama.cpp's KLD percentile set
  kPerK = 2,             // a kMean per chosen K (slot i: TopKList::k[i])
  kTargetRank = 3,       // rates of rank < K, K in kTargetTopK; slot 0
                         // the rank under P, slot 1 under Q (0-based)
  kBuckets = 4,          // per bucket of P's top-1 probability (the slot):
                         // tokens, mean KLD, same-top fraction
};

// Per-token values of every measure, by slot. NaN where not computed.
inline constexpr int kMeasureSlots = 16;
struct MeasureValues {
  MeasureMask mask = 0;  // the measures these values hold
  double v[kMeasureSlots] = {};
};

// Top-K overlap: up to kMaxTopKCount values of K, each in [1, kMaxTopK];
// 0 ends the list. The default is K = 5 and 10.
inline constexpr int kMaxTopKCount = 4;
inline constexpr int kMaxTopK = 32;
struct TopKList {
  uint32_t k[kMaxTopKCount] = {5, 10, 0, 0};
  int Count() const;
  bool operator==(const TopKList& o) const;
};

// Target-in-top-K is reported for these K.
inline constexpr int kTargetTopKCount = 3;
inline constexpr uint32_t kTargetTopK[kTargetTopKCount] = {1, 5, 10};

// Confidence buckets by P's top-1 probability: [e_i, e_i+1), the last
// closed.
inline constexpr int kBucketCount = 5;
inline constexpr double kBucketEdges[kBucketCount + 1] = {0.0,  0.25, 0.5,
                                                          0.75, 0.95, 1.0};
int BucketOf(double p_top);

struct MeasureDescriptor {
  Measure id;
  const char* name;   // JSON key, CLI name: "reverse_kld"
  const char* label;  // text report label: "Reverse KL divergence"
  MeasureKind kind;
  int slot;           // first slot in MeasureValues::v
  int slots;          // slots used
};

// Every measure, in id order. Since 0.2.
gsl::span<const MeasureDescriptor> MeasureTable();
// The descriptor of `id`, or nullptr.
const MeasureDescriptor* FindMeasure(Measure id);
// By name; nullptr if no measure has it.
const MeasureDescriptor* FindMeasure(std::string_view name);
// Every measure's bit.
MeasureMask AllMeasures();
// Values CompareRow writes to its `extras` span for `mask`: the slots of
// each measure asked for.
size_t MeasureValueCount(MeasureMask mask);
// Throws INVALID_ARGUMENT for unknown bits or a bad K list.
void ValidateMeasures(MeasureMask mask, const TopKList& top_k);

}  // namespace kldkit

#endif  // KLDKIT_MEASURES_HPP_
