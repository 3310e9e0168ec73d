// Formatting primitives shared by the report renderers: printf into a
// string (text), and JSON numbers (%.17g, round-trip exact; NaN and inf,
// which JSON lacks, as null).
#ifndef KLDKIT_LIB_METRICS_FORMAT_H_
#define KLDKIT_LIB_METRICS_FORMAT_H_

#include <cstdint>
#include <string>

#include "kldkit/metrics.hpp"

namespace kldkit {
namespace detail {

// printf into `out` (lines of at most 511 bytes).
void Append(std::string& out, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

std::string JsonNumber(double v);
// "99.9" .. "0.1": the percent a fraction stands for, one decimal.
std::string JsonPercentKey(float fraction);
// {"99.9": v, ...} for values at `fractions`.
std::string JsonPercentiles(const double* values, const float* fractions,
                            int count);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_FORMAT_H_
