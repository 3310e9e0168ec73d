#include "tools/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "kldkit/error.hpp"

namespace kldkit {
namespace cli {

namespace {

double XOf(const PlotPoint& p, PlotAxis x) {
  return x == PlotAxis::kSize ? p.size : p.bits_per_weight;
}

// A NaN x would break the frontier's sort (no strict weak order) and place
// the point nowhere, so an unknown bits per weight is the caller's error.
void CheckXKnown(const std::vector<PlotPoint>& points, PlotAxis x) {
  if (x != PlotAxis::kBitsPerWeight) return;
  for (const PlotPoint& p : points) {
    if (!std::isfinite(p.bits_per_weight)) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "bits per weight of '" + p.label + "' is unknown");
    }
  }
}

bool HasInterval(const PlotPoint& p) {
  return std::isfinite(p.low) && std::isfinite(p.high);
}

void CheckIntervals(const std::vector<PlotPoint>& points) {
  for (const PlotPoint& p : points) {
    if (HasInterval(p) && p.low > p.high) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "interval of '" + p.label + "' has low above high");
    }
  }
}

}  // namespace

std::vector<size_t> ParetoFrontier(const std::vector<PlotPoint>& points,
                                   PlotAxis x) {
  CheckXKnown(points, x);
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (XOf(points[a], x) != XOf(points[b], x))
      return XOf(points[a], x) < XOf(points[b], x);
    return points[a].kld < points[b].kld;
  });
  std::vector<size_t> frontier;
  double best = INFINITY;
  for (size_t i : order) {
    if (points[i].kld < best) {
      frontier.push_back(i);
      best = points[i].kld;
    }
  }
  return frontier;
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr double kWidth = 800, kHeight = 520;
constexpr double kLeft = 90, kRight = 30, kTop = 50, kBottom = 70;
constexpr double kRadius = 5;
constexpr double kGib = 1073741824.0;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string Short(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

// Maps [lo, hi] (linear or log10) onto [a, b] pixels.
struct Axis {
  double lo, hi, a, b;
  bool log;
  double Map(double v) const {
    const double x = log ? std::log10(v) : v;
    const double l = log ? std::log10(lo) : lo;
    const double h = log ? std::log10(hi) : hi;
    return h == l ? (a + b) / 2 : a + (x - l) / (h - l) * (b - a);
  }
};

// Where the points go: x in GiB or bits per weight, y in nats.
struct Frame {
  PlotAxis x_kind;
  Axis x, y;
  double X(const PlotPoint& p) const {
    return x.Map(x_kind == PlotAxis::kSize ? p.size / kGib : p.bits_per_weight);
  }
  // Values below a log axis (zero KLD, an interval reaching zero) sit on
  // its minimum rather than at -infinity.
  double Y(double kld) const { return y.Map(std::max(kld, y.lo)); }
};

Frame MakeFrame(const std::vector<PlotPoint>& points, PlotAxis x_kind) {
  double xmax = 0, kmin = INFINITY, kmax = 0;
  auto include_y = [&](double v) {
    if (v > 0) kmin = std::min(kmin, v);
    kmax = std::max(kmax, v);
  };
  for (const PlotPoint& p : points) {
    xmax = std::max(
        xmax, x_kind == PlotAxis::kSize ? p.size / kGib : p.bits_per_weight);
    include_y(p.kld);
    // The bars are part of the data: an axis that cut them would hide
    // exactly the uncertainty they are there to show.
    if (HasInterval(p)) include_y(p.low), include_y(p.high);
  }
  const bool log_y = std::isfinite(kmin) && kmax / kmin > 10;
  Frame f{x_kind,
          {0, xmax * 1.1, kLeft, kWidth - kRight, false},
          {0, kmax * 1.15, kHeight - kBottom, kTop, false}};
  if (!(f.x.hi > 0)) f.x.hi = 1;
  if (log_y) f.y = {kmin / 1.5, kmax * 1.5, kHeight - kBottom, kTop, true};
  if (!(f.y.hi > f.y.lo)) f.y.hi = f.y.lo + 1;
  return f;
}

// About five round tick values in [lo, hi].
std::vector<double> LinearTicks(double lo, double hi) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 2   ? 2 * mag
                      : raw / mag < 5 ? 5 * mag
                                      : 10 * mag;
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * span;
       t += step) {
    ticks.push_back(t);
  }
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi) {
  std::vector<double> ticks;
  for (double e = std::floor(std::log10(lo)); e <= std::ceil(std::log10(hi));
       ++e) {
    const double t = std::pow(10.0, e);
    if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push_back(t);
  }
  return ticks;
}

std::string Line(const std::string& cls, double x1, double y1, double x2,
                 double y2) {
  return "<line class=\"" + cls + "\" x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) +
         "\" x2=\"" + Num(x2) + "\" y2=\"" + Num(y2) + "\"/>\n";
}

std::string AxesSvg(const Frame& f, const PlotOptions& o) {
  std::string s = "<g class=\"axes\" stroke=\"black\">\n" +
                  Line("axis", kLeft, kHeight - kBottom, kWidth - kRight,
                       kHeight - kBottom) +
                  Line("axis", kLeft, kTop, kLeft, kHeight - kBottom) +
                  "</g>\n";
  for (double t : LinearTicks(f.x.lo, f.x.hi)) {
    s += "<text class=\"tick\" x=\"" + Num(f.x.Map(t)) + "\" y=\"" +
         Num(kHeight - kBottom + 18) + "\" text-anchor=\"middle\">" + Short(t) +
         "</text>\n";
  }
  for (double t :
       f.y.log ? LogTicks(f.y.lo, f.y.hi) : LinearTicks(f.y.lo, f.y.hi)) {
    s += "<line class=\"grid\" stroke=\"#ddd\" x1=\"" + Num(kLeft) +
         "\" x2=\"" + Num(kWidth - kRight) + "\" y1=\"" + Num(f.y.Map(t)) +
         "\" y2=\"" + Num(f.y.Map(t)) + "\"/>\n";
    s += "<text class=\"tick\" x=\"" + Num(kLeft - 6) + "\" y=\"" +
         Num(f.y.Map(t) + 4) + "\" text-anchor=\"end\">" + Short(t) +
         "</text>\n";
  }
  s += "<text class=\"axis-label\" x=\"" + Num((kLeft + kWidth - kRight) / 2) +
       "\" y=\"" + Num(kHeight - 25) + "\" text-anchor=\"middle\">" +
       (f.x_kind == PlotAxis::kSize ? "model size (GiB)" : "bits per weight") +
       "</text>\n";
  s += "<text class=\"axis-label\" transform=\"translate(22," +
       Num((kTop + kHeight - kBottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + XmlEscape(o.kld_name) +
       (f.y.log ? " (nats, log scale)" : " (nats)") + "</text>\n";
  return s;
}

// Each bar, then its caps at low and high: three plain lines, so a reader
// of the file finds the interval's ends as y1 and y2 of the first.
std::string ErrorBarsSvg(const std::vector<PlotPoint>& points, const Frame& f) {
  constexpr double kCap = 4;  // half-width in pixels
  std::string s =
      "<g class=\"errorbars\" stroke=\"#555\" stroke-width=\"1\">\n";
  for (const PlotPoint& p : points) {
    if (!HasInterval(p)) continue;
    const double x = f.X(p), lo = f.Y(p.low), hi = f.Y(p.high);
    s += Line("errorbar", x, lo, x, hi) +
         Line("errorbar", x - kCap, lo, x + kCap, lo) +
         Line("errorbar", x - kCap, hi, x + kCap, hi);
  }
  return s + "</g>\n";
}

// Up and to the right of each point; crowded labels may overlap.
std::string LabelsSvg(const std::vector<PlotPoint>& points, const Frame& f) {
  std::string s;
  for (const PlotPoint& p : points) {
    s += "<text class=\"label\" x=\"" + Num(f.X(p) + 8) + "\" y=\"" +
         Num(f.Y(p.kld) - 8) + "\">" + XmlEscape(p.label) + "</text>\n";
  }
  return s;
}

std::string PointSvg(const PlotPoint& p, const Frame& f, bool on_frontier) {
  const std::string x_text = f.x_kind == PlotAxis::kSize
                                 ? Short(p.size / kGib) + " GiB"
                                 : Short(p.bits_per_weight) + " bpw";
  const std::string interval =
      HasInterval(p) ? " [" + Short(p.low) + ", " + Short(p.high) + "]" : "";
  return std::string("<circle class=\"point") +
         (on_frontier ? " frontier" : "") + "\" cx=\"" + Num(f.X(p)) +
         "\" cy=\"" + Num(f.Y(p.kld)) + "\" r=\"" + Num(kRadius) +
         "\" fill=\"" + (on_frontier ? "#d62728" : "#1f77b4") +
         "\" data-label=\"" + XmlEscape(p.label) + "\" data-size=\"" +
         Short(p.size) + "\" data-kld=\"" + Short(p.kld) + "\"" +
         (std::isfinite(p.bits_per_weight)
              ? " data-bpw=\"" + Short(p.bits_per_weight) + "\""
              : "") +
         "><title>" + XmlEscape(p.label) + ": " + x_text + ", " + Short(p.kld) +
         interval + "</title></circle>\n";
}

std::string LegendSvg(bool has_bars) {
  std::string s = "<text class=\"legend\" x=\"" + Num(kWidth - kRight) +
                  "\" y=\"" + Num(kTop - 8) +
                  "\" text-anchor=\"end\" fill=\"#d62728\">red, dashed: "
                  "Pareto frontier (no other quant is both smaller and "
                  "closer)</text>\n";
  if (has_bars) {
    s += "<text class=\"legend\" x=\"" + Num(kLeft) + "\" y=\"" +
         Num(kTop - 8) + "\">bars: 95% intervals</text>\n";
  }
  return s;
}

}  // namespace

std::string RenderSvg(const std::vector<PlotPoint>& points,
                      const PlotOptions& options) {
  CheckXKnown(points, options.x);
  CheckIntervals(points);
  const Frame f = MakeFrame(points, options.x);
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      Num(kWidth) + "\" height=\"" + Num(kHeight) + "\" viewBox=\"0 0 " +
      Num(kWidth) + " " + Num(kHeight) +
      "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + XmlEscape(options.title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text class=\"title\" x=\"" + Num(kWidth / 2) +
       "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">" +
       XmlEscape(options.title) + "</text>\n";
  s += AxesSvg(f, options);
  // Frontier and bars, then the points on top of them.
  const std::vector<size_t> frontier = ParetoFrontier(points, options.x);
  std::vector<bool> on_frontier(points.size(), false);
  std::string line;
  for (size_t i : frontier) {
    on_frontier[i] = true;
    line += (line.empty() ? "" : " ") + Num(f.X(points[i])) + "," +
            Num(f.Y(points[i].kld));
  }
  s += "<polyline class=\"frontier\" fill=\"none\" stroke=\"#d62728\" "
       "stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"" +
       line + "\"/>\n";
  s += ErrorBarsSvg(points, f);
  for (size_t i = 0; i < points.size(); ++i) {
    s += PointSvg(points[i], f, on_frontier[i]);
  }
  s += LabelsSvg(points, f);
  s += LegendSvg(std::any_of(points.begin(), points.end(), HasInterval));
  s += "</svg>\n";
  return s;
}

}  // namespace cli
}  // namespace kldkit
