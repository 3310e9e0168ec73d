// Rendering of a report's measure quantities, by kind, for the text and
// JSON renderers (render_text.cc, render_json.cc).
#ifndef KLDKIT_LIB_METRICS_RENDER_MEASURES_H_
#define KLDKIT_LIB_METRICS_RENDER_MEASURES_H_

#include <string>

#include <gsl/span>

#include "kldkit/measures.hpp"
#include "kldkit/metrics.hpp"

namespace kldkit {
namespace detail {

// The quantities of measure `id` in `r` (contiguous; empty if absent).
gsl::span<const MeasureStat> StatsOf(const Report& r, Measure id);

// The block after llama.cpp's three; empty without measures.
std::string RenderMeasuresText(const Report& r);
// The "measures" member of the JSON report (with its trailing ",\n");
// empty without measures.
std::string RenderMeasuresJson(const Report& r);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_RENDER_MEASURES_H_
