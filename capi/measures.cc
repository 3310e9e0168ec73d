// C ABI: the measure descriptor table (kldkit/measures.hpp), so C and
// Python callers walk the same table the library reports from.
#include <cstddef>

#include "capi/guard.h"
#include "kldkit.h"
#include "kldkit/measures.hpp"

namespace kldkit {
namespace capi {
namespace {

static_assert(KLDKIT_MAX_TOP_K_COUNT == kMaxTopKCount &&
                  KLDKIT_MAX_TOP_K == kMaxTopK,
              "the C top-K limits mirror kldkit/measures.hpp");
static_assert(KLDKIT_MEASURE_CONFIDENCE_BUCKETS ==
                  static_cast<int>(Measure::kConfidenceBuckets),
              "the C measure ids mirror kldkit::Measure");

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

uint32_t kldkit_measure_count(void) {
  return static_cast<uint32_t>(kldkit::MeasureTable().size());
}

kldkit_status kldkit_measure_describe(kldkit_measure_info* info_out,
                                      uint32_t id) {
  constexpr const char* fn = "kldkit_measure_describe";
  return Guard(fn, [&] {
    Check(info_out != nullptr, fn, "info_out is NULL");
    Check(info_out->struct_size >= sizeof(size_t), fn,
          "info_out->struct_size is not set (KLDKIT_MEASURE_INFO_INIT)");
    const kldkit::MeasureDescriptor* d =
        kldkit::FindMeasure(static_cast<kldkit::Measure>(id));
    Check(d != nullptr, fn, "no measure has this id");
    kldkit_measure_info full = KLDKIT_MEASURE_INFO_INIT;
    full.id = id;
    full.kind = static_cast<uint32_t>(d->kind);
    full.name = d->name;
    full.label = d->label;
    full.slot = static_cast<uint32_t>(d->slot);
    full.slots = static_cast<uint32_t>(d->slots);
    kldkit::capi::CopyOut(info_out, full);
  });
}

}  // extern "C"
