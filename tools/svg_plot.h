// An SVG scatter plot of KLD against model size (or bits per weight) with the
// Pareto frontier marked: self-contained (no script, no external style), so
// a browser opens it as it is.
#ifndef KLDKIT_TOOLS_SVG_PLOT_H_
#define KLDKIT_TOOLS_SVG_PLOT_H_

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace kldkit {
namespace cli {

struct PlotPoint {
  std::string label;
  double size = 0;               // bytes
  double kld = 0;                // nats
  double bits_per_weight = NAN;  // NaN: unknown
  // A 95% interval of the plotted KLD statistic; NaN (either end): none.
  double low = NAN, high = NAN;
};

// What the x axis shows.
enum class PlotAxis { kSize, kBitsPerWeight };

struct PlotOptions {
  std::string title;
  std::string kld_name;  // names the y axis ("mean KLD")
  PlotAxis x = PlotAxis::kSize;
};

// Labels are placed from estimated boxes (no font is at hand to measure):
// kLabelCharWidth font sizes per character wide, from kLabelAscent font
// sizes above the baseline to kLabelDescent below it. Generous on average
// for quant names in DejaVu Sans ("Q4_K_M" averages 0.66 em a character,
// "IQ4_XS" 0.59), though single wide capitals (M, 0.86 em) exceed it.
constexpr double kLabelFontSize = 11;
constexpr double kLabelCharWidth = 0.72;
constexpr double kLabelAscent = 0.95;
constexpr double kLabelDescent = 0.3;

// Indices of the points no other point beats on both axes (smaller or equal
// x and KLD, one of them strictly), by increasing x. Throws
// INVALID_ARGUMENT when x is kBitsPerWeight and a point's is not finite.
std::vector<size_t> ParetoFrontier(const std::vector<PlotPoint>& points,
                                   PlotAxis x = PlotAxis::kSize);

// The whole SVG document. Points: <circle class="point"> (plus class
// "frontier" on the frontier) with data-label, data-size, data-kld (and
// data-bpw when known); the frontier: one <polyline class="frontier">;
// a point with a finite low and high gets three <line class="errorbar">
// (the bar, then its caps at low and high); labels: <text class="label">
// (text-anchor start, y the baseline) that never overlap each other, keep
// off the markers while room allows and stay inside the plot area, joined
// to a point they had to leave by a <line class="leader">. A label with no
// free place left is left out (the point's tooltip still names it).
// The KLD axis is logarithmic when the values and intervals span more than
// a factor 10; interval ends below the axis are drawn at its minimum.
// Throws INVALID_ARGUMENT when x is kBitsPerWeight and a point's is not
// finite, or when an interval has low > high.
std::string RenderSvg(const std::vector<PlotPoint>& points,
                      const PlotOptions& options);

// Escapes &, <, >, " for XML text and attributes.
std::string XmlEscape(const std::string& text);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_SVG_PLOT_H_
