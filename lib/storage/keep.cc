// Row floors and the kKld storage profile (include/kldkit/keep.hpp).
#include "kldkit/keep.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "lib/common/error.h"

namespace kldkit {
namespace {

// Spans closer than this (nats) count as equal: a clamped row's span is
// the floor within the float rounding of max - floor, ~2e-6 for logits
// below 100 and still below 1e-4 up to ~1,600.
constexpr double kSpanTolerance = 1e-4;
// Rows that must share a whole-nat span before it counts as a second floor.
constexpr uint64_t kMinFloorGroup = 8;

bool UsableHeader(const LlamaRowHeader& h) {
  return std::isfinite(h.scale) && std::isfinite(h.min_log_prob) &&
         h.scale >= 0.0f;
}

// The smallest code kKld keeps for its log-probability: scale * code +
// min_log_prob > kLlamaKldCut - 4 * scale, in double. 65536 if none.
uint32_t FirstKeptCode(const LlamaRowHeader& h) {
  const double s = h.scale, m = h.min_log_prob;
  const double cut = static_cast<double>(kLlamaKldCut) - 4.0 * s;
  const auto kept = [&](double code) { return s * code + m > cut; };
  if (s == 0.0) return kept(0) ? 0 : 65536;
  double k = std::floor((cut - m) / s) + 1.0;  // estimate; fixed up below
  k = std::min(std::max(k, 0.0), 65536.0);
  while (k > 0 && kept(k - 1)) --k;
  while (k <= 65535 && !kept(k)) ++k;
  return static_cast<uint32_t>(k);
}

}  // namespace

const char* KeepProfileName(KeepProfile profile) {
  return profile == KeepProfile::kKld ? "kld" : "all";
}

KeepProfile ParseKeepProfile(const char* name) {
  const std::string n = name == nullptr ? "" : name;
  if (n == "all") return KeepProfile::kAll;
  if (n == "kld") return KeepProfile::kKld;
  detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                "unknown keep profile '" + n + "' (all, kld)");
}

size_t ApplyKeepKld(gsl::span<uint16_t> row, size_t n_vocab, int32_t target) {
  detail::Require(n_vocab >= 1 && row.size() == LlamaRowWords(n_vocab),
                  "a llama.cpp row of LlamaRowWords(n_vocab) words is needed");
  if (target < 0 || static_cast<size_t>(target) >= n_vocab) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "target token " + std::to_string(target) +
                      " is outside the vocabulary of " +
                      std::to_string(n_vocab));
  }
  const LlamaRowHeader h = ReadLlamaRowHeader(row.data());
  if (!UsableHeader(h)) return 0;
  const uint32_t first = FirstKeptCode(h);
  if (first == 0) return 0;
  uint16_t* codes = row.data() + 4;
  const uint16_t top = *std::max_element(codes, codes + n_vocab);
  const auto keep = static_cast<size_t>(target);
  size_t zeroed = 0;
  for (size_t i = 0; i < n_vocab; ++i) {
    const uint16_t c = codes[i];
    const bool drop = c != 0 && c < first && c != top && i != keep;
    zeroed += drop;
    codes[i] = drop ? uint16_t{0} : c;
  }
  return zeroed;
}

void RowFloorScan::Add(const LlamaRowHeader& head) {
  if (!UsableHeader(head)) return;
  const double span = 65535.0 * static_cast<double>(head.scale);
  if (rows_++ == 0 || span > max_ + kSpanTolerance) {
    max_ = span;
    at_max_ = 1;
  } else if (span >= max_ - kSpanTolerance) {
    ++at_max_;
    max_ = std::max(max_, span);
  }
  const double whole = std::round(span);
  if (span < 1e6 && std::fabs(span - whole) <= kSpanTolerance) {
    ++whole_[static_cast<int64_t>(whole)];
  }
}

RowFloor RowFloorScan::Result() const {
  RowFloor f;
  const double whole = std::round(max_);
  f.nats = std::fabs(max_ - whole) <= kSpanTolerance ? whole : max_;
  f.rows = rows_;
  f.at_floor = at_max_;
  uint64_t best = 0;
  for (const auto& kv : whole_) {
    const double span = static_cast<double>(kv.first);
    if (span <= max_ - 1.0 + kSpanTolerance && kv.second >= kMinFloorGroup &&
        kv.second > best) {
      best = kv.second;
      f.disagree = true;
      f.other = span;
    }
  }
  return f;
}

}  // namespace kldkit
