#include <cmath>

#include "kldkit/metrics.hpp"
#include "lib/common/error.h"
#include "lib/metrics/accumulator_impl.h"

namespace kldkit {
namespace detail {

LogarithmicMapping SketchMapping(double relative_accuracy) {
  return LogarithmicMapping(relative_accuracy, kSketchMinValue,
                            kSketchMaxValue);
}

void ValidateOptions(const AccumulatorOptions& options) {
  Require(options.percentiles == PercentileMode::kExact ||
              options.percentiles == PercentileMode::kSketch,
          "unknown percentile mode");
  const double a = options.sketch_relative_accuracy;
  Require(std::isfinite(a) && a >= 1e-6 && a <= 0.1,
          "sketch relative accuracy must lie in [1e-6, 0.1]");
  ValidateMeasures(options.measures, options.top_k);
}

bool SameOptions(const AccumulatorOptions& a, const AccumulatorOptions& b) {
  if (a.percentiles != b.percentiles || a.measures != b.measures) return false;
  if ((a.measures & MeasureBit(Measure::kTopKOverlap)) != 0 &&
      !(a.top_k == b.top_k)) {
    return false;
  }
  return a.percentiles == PercentileMode::kExact ||
         a.sketch_relative_accuracy == b.sketch_relative_accuracy;
}

}  // namespace detail

Accumulator::Impl::Impl(const AccumulatorOptions& opts) : options(opts) {
  detail::ValidateOptions(opts);
  measures = detail::MeasureStates(opts);
  if (opts.percentiles == PercentileMode::kSketch) {
    const detail::LogarithmicMapping mapping =
        detail::SketchMapping(opts.sketch_relative_accuracy);
    kld_sketch.emplace(mapping);
    dp_sketch.emplace(mapping);
  }
}

Accumulator::Accumulator(const AccumulatorOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
Accumulator::~Accumulator() = default;
Accumulator::Accumulator(const Accumulator& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
Accumulator& Accumulator::operator=(const Accumulator& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Accumulator::Accumulator(Accumulator&& other) noexcept = default;
Accumulator& Accumulator::operator=(Accumulator&& other) noexcept = default;

const AccumulatorOptions& Accumulator::Options() const {
  return impl_->options;
}

void Accumulator::Add(const TokenResult& result) {
  Impl& s = *impl_;
  if (!s.moments.Add(result)) return;
  if (!s.measures.Empty()) s.measures.Add(result);
  const float kld = static_cast<float>(result.kld);
  if (s.kld_sketch) {
    s.kld_sketch->Add(kld);
    s.dp_sketch->Add(result.dp);
  } else {
    s.kld_values.push_back(kld);
    s.dp_values.push_back(result.dp);
  }
}

void Accumulator::Add(gsl::span<const TokenResult> results) {
  for (const TokenResult& r : results) Add(r);
}

void Accumulator::Merge(const Accumulator& other) {
  if (&other == this) {  // the vectors would be appended to themselves
    const Accumulator copy(other);
    Merge(copy);
    return;
  }
  if (!detail::SameOptions(Options(), other.Options())) {
    detail::Throw(KLDKIT_ERROR_INCOMPATIBLE,
                  "cannot merge accumulators with different percentile "
                  "mode, sketch accuracy or measures");
  }
  Impl& s = *impl_;
  const Impl& o = *other.impl_;
  // Every counter is at most the token total, so no merged count wraps.
  uint64_t mine = 0, theirs = 0;
  if (!s.moments.TokenTotal(&mine) || !o.moments.TokenTotal(&theirs) ||
      theirs > UINT64_MAX - mine) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "merged accumulator would count more than 2^64 - 1 tokens");
  }
  s.moments.Merge(o.moments);
  s.measures.Merge(o.measures);
  if (s.kld_sketch) {
    s.kld_sketch->Merge(*o.kld_sketch);
    s.dp_sketch->Merge(*o.dp_sketch);
  } else {
    s.kld_values.insert(s.kld_values.end(), o.kld_values.begin(),
                        o.kld_values.end());
    s.dp_values.insert(s.dp_values.end(), o.dp_values.begin(),
                       o.dp_values.end());
  }
}

bool Accumulator::IsEmpty() const {
  return Count() == 0 && SkippedCount() == 0;
}
uint64_t Accumulator::Count() const { return impl_->moments.n; }
uint64_t Accumulator::SkippedCount() const {
  return impl_->moments.SkippedTotal();
}

size_t Accumulator::MemoryBytes() const {
  const Impl& s = *impl_;
  size_t bytes = (s.kld_values.capacity() + s.dp_values.capacity()) *
                 sizeof(float);
  if (s.kld_sketch) {
    bytes += s.kld_sketch->MemoryBytes() + s.dp_sketch->MemoryBytes();
  }
  return bytes + s.measures.MemoryBytes();
}

size_t Accumulator::SketchMemoryCap(double relative_accuracy) {
  AccumulatorOptions options;
  options.percentiles = PercentileMode::kSketch;
  options.sketch_relative_accuracy = relative_accuracy;
  detail::ValidateOptions(options);
  const detail::QuantileSketch sketch(detail::SketchMapping(relative_accuracy));
  return 2 * sketch.MemoryCapBytes();
}

size_t Accumulator::SketchMemoryCap(double relative_accuracy,
                                    MeasureMask measures) {
  size_t sketches = 0;
  for (const MeasureDescriptor& d : MeasureTable()) {
    sketches += (measures & MeasureBit(d.id)) != 0 &&
                d.kind == MeasureKind::kMeanPercentiles;
  }
  const size_t per_sketch = SketchMemoryCap(relative_accuracy) / 2;
  return (2 + sketches) * per_sketch + (size_t{16} << 10);
}

}  // namespace kldkit
