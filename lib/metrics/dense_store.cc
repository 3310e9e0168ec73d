#include "lib/metrics/dense_store.h"

#include <algorithm>

namespace kldkit {
namespace detail {

void DenseStore::Extend(int32_t index) {
  const int64_t begin = offset_;
  const int64_t end = begin + int64_t(counts_.size());
  if (!counts_.empty() && index >= begin && index < end) return;
  // Reallocate to the exact new size (never vector's doubling), so memory
  // stays within the index span plus 2 * kGrowth buckets.
  int64_t new_begin = begin, new_end = end;
  if (counts_.empty()) {
    new_begin = int64_t{index} - kGrowth / 2;
    new_end = new_begin + kGrowth;
  } else if (index < begin) {
    new_begin = int64_t{index} - kGrowth;
  } else {
    new_end = int64_t{index} + kGrowth;
  }
  std::vector<uint64_t> grown(static_cast<size_t>(new_end - new_begin), 0);
  if (!counts_.empty()) {
    std::copy(counts_.begin(), counts_.end(), grown.begin() + (begin - new_begin));
  }
  counts_.swap(grown);
  offset_ = static_cast<int32_t>(new_begin);
}

void DenseStore::Add(int32_t index, uint64_t count) {
  if (count == 0) return;
  Extend(index);
  counts_[static_cast<size_t>(index - offset_)] += count;
  if (total_ == 0) {
    min_seen_ = max_seen_ = index;
  } else {
    min_seen_ = std::min(min_seen_, index);
    max_seen_ = std::max(max_seen_, index);
  }
  total_ += count;
}

void DenseStore::Merge(const DenseStore& other) {
  if (other.IsEmpty()) return;
  for (int32_t i = other.min_seen_; i <= other.max_seen_; ++i) {
    Add(i, other.CountAt(i));
  }
}

uint64_t DenseStore::CountAt(int32_t index) const {
  const int64_t k = int64_t{index} - offset_;
  if (k < 0 || k >= int64_t(counts_.size())) return 0;
  return counts_[static_cast<size_t>(k)];
}

int32_t DenseStore::IndexAtRank(uint64_t rank, bool ascending) const {
  uint64_t seen = 0;
  if (ascending) {
    for (int32_t i = min_seen_; i < max_seen_; ++i) {
      seen += CountAt(i);
      if (seen > rank) return i;
    }
    return max_seen_;
  }
  for (int32_t i = max_seen_; i > min_seen_; --i) {
    seen += CountAt(i);
    if (seen > rank) return i;
  }
  return min_seen_;
}

bool DenseStore::operator==(const DenseStore& o) const {
  if (total_ != o.total_) return false;
  if (total_ == 0) return true;
  if (min_seen_ != o.min_seen_ || max_seen_ != o.max_seen_) return false;
  for (int32_t i = min_seen_; i <= max_seen_; ++i) {
    if (CountAt(i) != o.CountAt(i)) return false;
  }
  return true;
}

}  // namespace detail
}  // namespace kldkit
