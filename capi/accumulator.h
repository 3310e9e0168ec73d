// The kldkit_accumulator handle and the Report <-> kldkit_report mapping,
// shared by the accumulator, report and batch C ABI files. Not installed.
#ifndef KLDKIT_CAPI_ACCUMULATOR_H_
#define KLDKIT_CAPI_ACCUMULATOR_H_

#include "kldkit.h"
#include "kldkit/metrics.hpp"

struct kldkit_accumulator {
  kldkit::Accumulator acc;
};

namespace kldkit {
namespace capi {

// Throws INVALID_ARGUMENT "fn: name is NULL" for NULL.
kldkit_accumulator& Acc(kldkit_accumulator* acc, const char* fn);
const kldkit_accumulator& Acc(const kldkit_accumulator* acc, const char* fn);

kldkit_report ToC(const Report& r);
// Throws INVALID_ARGUMENT for NULL or a report smaller than this version's.
Report FromC(const kldkit_report* c, const char* fn);

}  // namespace capi
}  // namespace kldkit

#endif  // KLDKIT_CAPI_ACCUMULATOR_H_
