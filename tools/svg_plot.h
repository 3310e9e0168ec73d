// An SVG scatter plot of KLD against model size with the Pareto frontier
// marked: self-contained (no script, no external style), so a browser opens
// it as it is.
#ifndef KLDKIT_TOOLS_SVG_PLOT_H_
#define KLDKIT_TOOLS_SVG_PLOT_H_

#include <cstddef>
#include <string>
#include <vector>

namespace kldkit {
namespace cli {

struct PlotPoint {
  std::string label;
  double size = 0;  // bytes
  double kld = 0;   // nats
};

// Indices of the points no other point beats on both axes (smaller or equal
// size and KLD, one of them strictly), by increasing size.
std::vector<size_t> ParetoFrontier(const std::vector<PlotPoint>& points);

// The whole SVG document. Points: <circle class="point"> (plus class
// "frontier" on the frontier) with data-label, data-size, data-kld; the
// frontier: one <polyline class="frontier">; labels: <text class="label">.
// The KLD axis is logarithmic when the values span more than a factor 10.
std::string RenderSvg(const std::vector<PlotPoint>& points,
                      const std::string& title, const std::string& kld_name);

// Escapes &, <, >, " for XML text and attributes.
std::string XmlEscape(const std::string& text);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_SVG_PLOT_H_
