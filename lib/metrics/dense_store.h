// Bucket index -> count, dense between the lowest and highest index seen.
#ifndef KLDKIT_LIB_METRICS_DENSE_STORE_H_
#define KLDKIT_LIB_METRICS_DENSE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kldkit {
namespace detail {

// Memory is 8 bytes per index between the extremes seen (plus a growth
// margin of kGrowth buckets), so it is bounded by the mapping's index range
// whatever the number of values. Not thread-safe.
class DenseStore {
 public:
  static constexpr int32_t kGrowth = 64;

  void Add(int32_t index, uint64_t count);
  void Merge(const DenseStore& other);

  bool IsEmpty() const { return total_ == 0; }
  uint64_t TotalCount() const { return total_; }
  // Lowest/highest index with a non-zero count; only when !IsEmpty().
  int32_t MinIndex() const { return min_seen_; }
  int32_t MaxIndex() const { return max_seen_; }
  uint64_t CountAt(int32_t index) const;
  size_t MemoryBytes() const { return counts_.capacity() * sizeof(uint64_t); }

  // Index of the bucket holding the rank-th value (0-based), counting from
  // the lowest index (ascending) or from the highest (descending).
  // rank < TotalCount().
  int32_t IndexAtRank(uint64_t rank, bool ascending) const;

  bool operator==(const DenseStore& o) const;

 private:
  void Extend(int32_t index);

  std::vector<uint64_t> counts_;
  int32_t offset_ = 0;  // index of counts_[0]
  int32_t min_seen_ = 0;
  int32_t max_seen_ = 0;
  uint64_t total_ = 0;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_DENSE_STORE_H_
