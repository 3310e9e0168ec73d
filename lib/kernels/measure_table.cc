// The measure descriptor table (include/kldkit/measures.hpp): one row per
// measure. Slots are where a token's values sit in MeasureValues::v.
#include <algorithm>
#include <array>
#include <string_view>

#include "kldkit/measures.hpp"
#include "lib/common/error.h"

namespace kldkit {
namespace {

using K = MeasureKind;

constexpr MeasureDescriptor kTable[] = {
    {Measure::kReverseKld, "reverse_kld", "Reverse KL divergence",
     K::kMeanPercentiles, 0, 1},
    {Measure::kJsd, "jsd", "Jensen-Shannon divergence", K::kMeanPercentiles,
     1, 1},
    {Measure::kTvd, "tvd", "Total variation distance", K::kMean, 2, 1},
    {Measure::kTopKOverlap, "top_k_overlap", "Top-K overlap", K::kPerK, 3,
     kMaxTopKCount},
    {Measure::kTargetInTopK, "target_in_top_k", "Target in top-K",
     K::kTargetRank, 7, 2},
    {Measure::kConfidenceBuckets, "confidence_buckets",
     "KLD by base top-1 probability", K::kBuckets, 9, 1},
    {Measure::kEntropyBase, "entropy_base", "Entropy of the base", K::kMean,
     10, 1},
    {Measure::kEntropyModel, "entropy_model", "Entropy of the model",
     K::kMean, 11, 1},
};

// Rows in id order, slots inside MeasureValues: checked when compiled.
constexpr bool TableIsOrdered() {
  for (size_t i = 0; i < std::size(kTable); ++i) {
    if (static_cast<size_t>(kTable[i].id) != i) return false;
    if (kTable[i].slot + kTable[i].slots > kMeasureSlots) return false;
  }
  return std::size(kTable) <= 32;
}
static_assert(TableIsOrdered(), "measure table out of order or too wide");

}  // namespace

int TopKList::Count() const {
  int n = 0;
  while (n < kMaxTopKCount && k[n] != 0) ++n;
  return n;
}

bool TopKList::operator==(const TopKList& o) const {
  return std::equal(std::begin(k), std::end(k), std::begin(o.k));
}

int BucketOf(double p_top) {
  for (int b = 1; b < kBucketCount; ++b) {
    if (p_top < kBucketEdges[b]) return b - 1;
  }
  return kBucketCount - 1;
}

gsl::span<const MeasureDescriptor> MeasureTable() { return kTable; }

const MeasureDescriptor* FindMeasure(Measure id) {
  const auto i = static_cast<size_t>(id);
  return i < std::size(kTable) ? &kTable[i] : nullptr;
}

const MeasureDescriptor* FindMeasure(std::string_view name) {
  for (const MeasureDescriptor& d : kTable) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

MeasureMask AllMeasures() {
  MeasureMask mask = 0;
  for (const MeasureDescriptor& d : kTable) mask |= MeasureBit(d.id);
  return mask;
}

size_t MeasureValueCount(MeasureMask mask) {
  size_t n = 0;
  for (const MeasureDescriptor& d : kTable) {
    if ((mask & MeasureBit(d.id)) != 0) n += static_cast<size_t>(d.slots);
  }
  return n;
}

void ValidateMeasures(MeasureMask mask, const TopKList& top_k) {
  detail::Require((mask & ~AllMeasures()) == 0, "unknown measure bit");
  const int n = top_k.Count();
  for (int i = n; i < kMaxTopKCount; ++i) {
    detail::Require(top_k.k[i] == 0, "top-K list: values after a 0");
  }
  if ((mask & MeasureBit(Measure::kTopKOverlap)) == 0) return;
  detail::Require(n > 0, "top-K overlap needs at least one K");
  for (int i = 0; i < n; ++i) {
    detail::Require(top_k.k[i] <= static_cast<uint32_t>(kMaxTopK),
                    "top-K overlap: K must lie in [1, 32]");
    for (int j = 0; j < i; ++j) {
      detail::Require(top_k.k[i] != top_k.k[j], "top-K list: K repeated");
    }
  }
}

}  // namespace kldkit
