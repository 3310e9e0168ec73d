// An ExactSum <-> bytes (docs/accumulator-encoding.md, "Sums").
#ifndef KLDKIT_LIB_METRICS_SUM_CODEC_H_
#define KLDKIT_LIB_METRICS_SUM_CODEC_H_

#include <cstdint>

#include "lib/common/bytes.h"
#include "lib/metrics/exact_sum.h"

namespace kldkit {
namespace detail {

// The first accumulator encoding whose sums are exact term lists.
constexpr uint32_t kExactSumsVersion = 3;

// u8 count, then count f64 terms (ExactSum::Terms()).
void WriteSum(const ExactSum& s, ByteWriter& w);
// Version 3: the term list; versions 1 and 2: (sum, compensation), whose
// exact sum it becomes. Throws FORMAT for a non-finite term or an
// over-long list, `what` naming the sum's kind.
ExactSum ReadSum(ByteReader& r, uint32_t version, const char* what);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_SUM_CODEC_H_
