#include "lib/metrics/measure_state.h"

#include <algorithm>
#include <cmath>

#include "lib/metrics/accumulator_impl.h"
#include "lib/metrics/estimate.h"
#include "lib/metrics/percentile.h"
#include "lib/metrics/sketch_codec.h"
#include "lib/metrics/sum_codec.h"

namespace kldkit {
namespace detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// How many values of a token a state of this kind averages.
size_t ValueCount(const MeasureDescriptor& d, const TopKList& top_k) {
  switch (d.kind) {
    case MeasureKind::kMean:
    case MeasureKind::kMeanPercentiles:
      return 1;
    case MeasureKind::kPerK:
      return static_cast<size_t>(top_k.Count());
    default:
      return 0;
  }
}

MeasureStat StatOf(const MeasureState& s, uint32_t k) {
  MeasureStat stat;
  stat.measure = static_cast<uint32_t>(s.d->id);
  stat.k = k;
  std::fill(std::begin(stat.percentiles), std::end(stat.percentiles), kNaN);
  return stat;
}

MeasureStat MeanStat(const MeasureState& s, const ValueSums& v, uint32_t k) {
  MeasureStat stat = StatOf(s, k);
  stat.n = v.n;
  stat.n_skipped = v.n_skipped;
  stat.mean = MeanAndUncertainty(v.sum.Value(), v.sum2.Value(), v.n);
  stat.min = v.n > 0 ? v.min : kNaN;
  stat.max = v.n > 0 ? v.max : kNaN;
  return stat;
}

void FillPercentiles(const MeasureState& s, MeasureStat& stat) {
  const ValueSums& v = s.values[0];
  if (v.n == 0) return;
  if (s.sketch) {
    SketchPercentiles(*s.sketch, v.min, v.max, kKldPercentileFractions,
                      stat.percentiles);
  } else {
    ExactPercentiles(s.stored, kKldPercentileFractions, stat.percentiles);
  }
}

void Push(const MeasureStat& stat, Report& r) {
  if (r.n_measure_stats < kMaxMeasureStats) {
    r.measure_stats[r.n_measure_stats++] = stat;
  }
}

}  // namespace

bool ValueSums::Add(double v) {
  if (!AveragedValue(v)) {
    ++n_skipped;
    return false;
  }
  ++n;
  sum.Add(v);
  sum2.Add(v * v);
  min = std::min(min, v);
  max = std::max(max, v);
  return true;
}

void ValueSums::Merge(const ValueSums& o) {
  n += o.n;
  n_skipped += o.n_skipped;
  sum.Merge(o.sum);
  sum2.Merge(o.sum2);
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

MeasureStates::MeasureStates(const AccumulatorOptions& options)
    : options_(options) {
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((options.measures & MeasureBit(d.id)) == 0) continue;
    MeasureState s;
    s.d = &d;
    s.values.resize(ValueCount(d, options.top_k));
    if (d.kind == MeasureKind::kMeanPercentiles &&
        options.percentiles == PercentileMode::kSketch) {
      s.sketch.emplace(SketchMapping(options.sketch_relative_accuracy));
    }
    states_.push_back(std::move(s));
  }
}

void MeasureStates::Add(const TokenResult& r) {
  for (MeasureState& s : states_) {
    if ((r.measures.mask & MeasureBit(s.d->id)) == 0) continue;
    const double* v = r.measures.v + s.d->slot;
    switch (s.d->kind) {
      case MeasureKind::kMeanPercentiles:
        if (!s.values[0].Add(v[0])) break;
        if (s.sketch) {
          s.sketch->Add(v[0]);
        } else {
          s.stored.push_back(static_cast<float>(v[0]));
        }
        break;
      case MeasureKind::kMean:
      case MeasureKind::kPerK:
        for (size_t i = 0; i < s.values.size(); ++i) s.values[i].Add(v[i]);
        break;
      case MeasureKind::kTargetRank:
        ++s.n;
        for (int side = 0; side < 2; ++side) {
          for (int k = 0; k < kTargetTopKCount; ++k) {
            s.hits[side][k] += v[side] < kTargetTopK[k];
          }
        }
        break;
      case MeasureKind::kBuckets: {
        if (!(v[0] >= 0)) break;  // NaN: a massless row pair
        BucketSums& b = s.buckets[BucketOf(v[0])];
        ++b.n;
        b.same_top += r.SameTop();
        b.kld.Add(r.kld);
        b.kld2.Add(r.kld * r.kld);
        break;
      }
    }
  }
}

void MeasureStates::Merge(const MeasureStates& other) {
  for (size_t i = 0; i < states_.size(); ++i) {
    MeasureState& s = states_[i];
    const MeasureState& o = other.states_[i];
    for (size_t j = 0; j < s.values.size(); ++j) s.values[j].Merge(o.values[j]);
    s.stored.insert(s.stored.end(), o.stored.begin(), o.stored.end());
    if (s.sketch) s.sketch->Merge(*o.sketch);
    s.n += o.n;
    for (int side = 0; side < 2; ++side) {
      for (int k = 0; k < kTargetTopKCount; ++k) {
        s.hits[side][k] += o.hits[side][k];
      }
    }
    for (int b = 0; b < kBucketCount; ++b) {
      s.buckets[b].n += o.buckets[b].n;
      s.buckets[b].same_top += o.buckets[b].same_top;
      s.buckets[b].kld.Merge(o.buckets[b].kld);
      s.buckets[b].kld2.Merge(o.buckets[b].kld2);
    }
  }
}

void MeasureStates::Fill(bool with_percentiles, Report& r) const {
  for (const MeasureState& s : states_) {
    switch (s.d->kind) {
      case MeasureKind::kMean:
        Push(MeanStat(s, s.values[0], 0), r);
        break;
      case MeasureKind::kMeanPercentiles: {
        MeasureStat stat = MeanStat(s, s.values[0], 0);
        if (with_percentiles) FillPercentiles(s, stat);
        Push(stat, r);
        break;
      }
      case MeasureKind::kPerK:
        for (size_t i = 0; i < s.values.size(); ++i) {
          Push(MeanStat(s, s.values[i], options_.top_k.k[i]), r);
        }
        break;
      case MeasureKind::kTargetRank:
        for (int k = 0; k < kTargetTopKCount; ++k) {
          MeasureStat stat = StatOf(s, kTargetTopK[k]);
          stat.n = s.n;
          stat.mean = Rate(s.hits[0][k], s.n);
          stat.second = Rate(s.hits[1][k], s.n);
          Push(stat, r);
        }
        break;
      case MeasureKind::kBuckets:
        for (int b = 0; b < kBucketCount; ++b) {
          const BucketSums& bucket = s.buckets[b];
          MeasureStat stat = StatOf(s, static_cast<uint32_t>(b));
          stat.n = bucket.n;
          stat.mean = MeanAndUncertainty(bucket.kld.Value(),
                                         bucket.kld2.Value(), bucket.n);
          stat.second = Rate(bucket.same_top, bucket.n);
          Push(stat, r);
        }
        break;
    }
  }
}

size_t MeasureStates::MemoryBytes() const {
  size_t bytes = states_.capacity() * sizeof(MeasureState);
  for (const MeasureState& s : states_) {
    bytes += s.values.capacity() * sizeof(ValueSums) +
             s.stored.capacity() * sizeof(float);
    if (s.sketch) bytes += s.sketch->MemoryBytes();
  }
  return bytes;
}

void MeasureStates::Encode(size_t i, ByteWriter& w) const {
  const MeasureState& s = states_[i];
  w.U32(static_cast<uint32_t>(s.d->id));
  w.U32(static_cast<uint32_t>(s.values.size()));
  for (const ValueSums& v : s.values) {
    w.U64(v.n);
    w.U64(v.n_skipped);
    WriteSum(v.sum, w);
    WriteSum(v.sum2, w);
    w.F64(v.min);
    w.F64(v.max);
  }
  if (s.d->kind == MeasureKind::kMeanPercentiles) {
    if (s.sketch) {
      // Its length first: the sums after it vary in length (version 3).
      const size_t at = w.Size();
      w.U64(0);
      WriteSketch(*s.sketch, w);
      w.PatchU64(at, w.Size() - at - 8);
    } else {
      for (const float v : s.stored) w.F32(v);
    }
  }
  w.U64(s.n);
  for (const auto& side : s.hits) {
    for (const uint64_t h : side) w.U64(h);
  }
  for (const BucketSums& b : s.buckets) {
    w.U64(b.n);
    w.U64(b.same_top);
    WriteSum(b.kld, w);
    WriteSum(b.kld2, w);
  }
}

void MeasureStates::Decode(size_t i, uint64_t tokens, uint32_t version,
                           ByteReader r) {
  MeasureState& s = states_[i];
  CheckFormat(r.U32() == static_cast<uint32_t>(s.d->id),
              "measure section out of order");
  CheckFormat(r.U32() == s.values.size(), "measure value count differs");
  for (ValueSums& v : s.values) {
    v.n = r.U64();
    v.n_skipped = r.U64();
    v.sum = ReadSum(r, version, "measure sum");
    v.sum2 = ReadSum(r, version, "measure sum");
    v.min = r.F64();
    v.max = r.F64();
    CheckFormat(v.n <= tokens && v.n_skipped <= tokens - v.n,
                "measure counts exceed the token count");
    CheckFormat(v.n == 0 || (v.min <= v.max && std::isfinite(v.min) &&
                             std::isfinite(v.max)),
                "measure extremes are inconsistent");
  }
  if (s.d->kind == MeasureKind::kMeanPercentiles) {
    const uint64_t n = s.values[0].n;
    if (s.sketch && version >= kExactSumsVersion) {
      const uint64_t length = r.U64();
      CheckFormat(length <= r.Remaining(), "measure sketch exceeds its section");
      ReadSketch(r.Sub(static_cast<size_t>(length)), n, *s.sketch);
    } else if (s.sketch) {
      const size_t tail = 8 + 8 * 2 * kTargetTopKCount +
                          kBucketCount * (2 * 8 + 4 * 8);
      CheckFormat(r.Remaining() >= tail, "measure section is too short");
      ReadSketch(r.Sub(r.Remaining() - tail), n, *s.sketch);
    } else {
      CheckFormat(r.Remaining() / 4 >= n, "measure value count exceeds section");
      ReadValues(r.Sub(n * 4), n, s.stored);
    }
  }
  s.n = r.U64();
  CheckFormat(s.n <= tokens, "measure counts exceed the token count");
  for (auto& side : s.hits) {
    for (uint64_t& h : side) {
      h = r.U64();
      CheckFormat(h <= s.n, "measure hit count exceeds its tokens");
    }
  }
  uint64_t bucketed = 0;
  for (BucketSums& b : s.buckets) {
    b.n = r.U64();
    CheckFormat(b.n <= tokens - bucketed, "bucket counts exceed the tokens");
    bucketed += b.n;
    b.same_top = r.U64();
    CheckFormat(b.same_top <= b.n, "bucket same-top exceeds its tokens");
    b.kld = ReadSum(r, version, "measure sum");
    b.kld2 = ReadSum(r, version, "measure sum");
  }
  CheckFormat(r.Remaining() == 0, "measure section has trailing bytes");
}

}  // namespace detail
}  // namespace kldkit
