// The labels of llama.cpp's percentile lines, shared by the text renderer
// and the parser of printed reports.
#ifndef KLDKIT_LIB_METRICS_TEXT_LABELS_H_
#define KLDKIT_LIB_METRICS_TEXT_LABELS_H_

#include "kldkit/metrics.hpp"

namespace kldkit {
namespace detail {

// In kKld/kDpPercentileFractions order.
inline const char* const kKldLabels[kKldPercentileCount] = {
    "99.9%   KLD", "99.0%   KLD", "95.0%   KLD", "90.0%   KLD", "Median  KLD",
    "10.0%   KLD", " 5.0%   KLD", " 1.0%   KLD", " 0.1%   KLD"};
inline const char* const kDpLabels[kDpPercentileCount] = {
    "99.9%   \u0394p", "99.0%   \u0394p", "95.0%   \u0394p", "90.0%   \u0394p",
    "75.0%   \u0394p", "Median  \u0394p", "25.0%   \u0394p", "10.0%   \u0394p",
    " 5.0%   \u0394p", " 1.0%   \u0394p", " 0.1%   \u0394p"};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_TEXT_LABELS_H_
