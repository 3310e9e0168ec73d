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

struct Box {
  double left, top, right, bottom;
  bool Overlaps(const Box& o) const {
    return left < o.right && o.left < right && top < o.bottom && o.top < bottom;
  }
  bool Inside(const Box& o) const {
    return left >= o.left && right <= o.right && top >= o.top &&
           bottom <= o.bottom;
  }
  Box Grown(double by) const {
    return {left - by, top - by, right + by, bottom + by};
  }
  // Distance from (x, y) to the nearest point of the box: a leader's length.
  double Gap(double x, double y) const {
    const double dx = std::max({left - x, 0.0, x - right});
    const double dy = std::max({top - y, 0.0, y - bottom});
    return std::hypot(dx, dy);
  }
};

// Characters, not bytes: a UTF-8 label is as wide as its code points.
size_t CharCount(const std::string& text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(),
      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct LabelSize {
  double width, height;
};

LabelSize SizeOf(const std::string& label) {
  return {
      static_cast<double>(CharCount(label)) * kLabelCharWidth * kLabelFontSize,
      (kLabelAscent + kLabelDescent) * kLabelFontSize};
}

// The first places tried, right beside the point (no leader needed): the
// old fixed spot up and to the right first, then around the marker.
std::vector<Box> BesideCandidates(double px, double py, LabelSize l) {
  constexpr double kGap = 8;
  const double w = l.width, h = l.height;
  return {{px + kGap, py - 3 - h, px + kGap + w, py - 3},
          {px + kGap, py - h / 2, px + kGap + w, py + h / 2},
          {px + kGap, py + 3, px + kGap + w, py + 3 + h},
          {px - kGap - w, py - 3 - h, px - kGap, py - 3},
          {px - kGap - w, py - h / 2, px - kGap, py + h / 2},
          {px - kGap - w, py + 3, px - kGap, py + 3 + h},
          {px - w / 2, py - kGap - h, px + w / 2, py - kGap},
          {px - w / 2, py + kGap, px + w / 2, py + kGap + h}};
}

// Every place in the plot area on a 4-pixel grid, nearest to the point
// first (ties in grid order, so the result is deterministic).
std::vector<Box> FarCandidates(double px, double py, LabelSize l,
                               const Box& area) {
  constexpr double kStep = 4;
  std::vector<std::pair<double, Box>> found;
  for (double top = area.top; top + l.height <= area.bottom; top += kStep) {
    for (double left = area.left; left + l.width <= area.right; left += kStep) {
      const Box b{left, top, left + l.width, top + l.height};
      found.push_back({b.Gap(px, py), b});
    }
  }
  std::stable_sort(
      found.begin(), found.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Box> boxes;
  for (const auto& f : found) boxes.push_back(f.second);
  return boxes;
}

struct Placed {
  bool shown = false;
  Box box{};
};

// Labels keep 1 pixel clear of each other (2 between two), which also
// absorbs the 0.1-pixel rounding of the coordinates written.
bool Free(const Box& b, const std::vector<Placed>& placed,
          const std::vector<Box>& markers) {
  for (const Placed& p : placed) {
    if (p.shown && b.Grown(1).Overlaps(p.box.Grown(1))) return false;
  }
  for (const Box& m : markers) {
    if (b.Overlaps(m)) return false;
  }
  return true;
}

// The first candidate inside the area and free, or null.
const Box* FirstFree(const std::vector<Box>& candidates, const Box& area,
                     const std::vector<Placed>& placed,
                     const std::vector<Box>& markers) {
  for (const Box& b : candidates) {
    if (b.Inside(area) && Free(b, placed, markers)) return &b;
  }
  return nullptr;
}

// With a pixel's margin, so a label never touches a marker's outline.
std::vector<Box> MarkerBoxes(const std::vector<PlotPoint>& points,
                             const Frame& f) {
  std::vector<Box> markers;
  for (const PlotPoint& p : points) {
    const double x = f.X(p), y = f.Y(p.kld), r = kRadius + 1;
    markers.push_back({x - r, y - r, x + r, y + r});
  }
  return markers;
}

// Greedy, in `order`: each label takes the first free candidate, first
// keeping clear of every marker, then (a crowd leaves no such room) of its
// own marker only. Frontier labels go first so the crowd displaces the
// others.
std::vector<Placed> PlaceLabels(const std::vector<PlotPoint>& points,
                                const Frame& f,
                                const std::vector<size_t>& order) {
  const Box area{kLeft + 2, kTop + 2, kWidth - kRight - 2,
                 kHeight - kBottom - 2};
  const std::vector<Box> markers = MarkerBoxes(points, f);
  std::vector<Placed> placed(points.size());
  for (size_t i : order) {
    const double px = f.X(points[i]), py = f.Y(points[i].kld);
    const LabelSize size = SizeOf(points[i].label);
    const std::vector<Box> beside = BesideCandidates(px, py, size);
    std::vector<Box> far;  // some 16,000 boxes: made only when needed
    const std::vector<Box> own = {markers[i]};
    for (const std::vector<Box>* avoid : {&markers, &own}) {
      const Box* b = FirstFree(beside, area, placed, *avoid);
      if (b == nullptr) {
        if (far.empty()) far = FarCandidates(px, py, size, area);
        b = FirstFree(far, area, placed, *avoid);
      }
      if (b != nullptr) {
        placed[i] = {true, *b};
        break;
      }
    }
  }
  return placed;
}

// A line from the marker's edge to the nearest point of a label that had
// to move away from it.
std::string LeadersSvg(const std::vector<PlotPoint>& points, const Frame& f,
                       const std::vector<Placed>& placed) {
  constexpr double kLeaderFrom = 10;  // gap in pixels that needs a leader
  std::string s =
      "<g class=\"leaders\" stroke=\"#888\" stroke-width=\"0.8\">\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const Box& b = placed[i].box;
    const double px = f.X(points[i]), py = f.Y(points[i].kld);
    if (!placed[i].shown || b.Gap(px, py) <= kLeaderFrom) continue;
    const double tx = std::clamp(px, b.left, b.right);
    const double ty = std::clamp(py, b.top, b.bottom);
    const double len = std::hypot(tx - px, ty - py);
    s += Line("leader", px + (tx - px) / len * kRadius,
              py + (ty - py) / len * kRadius, tx, ty);
  }
  return s + "</g>\n";
}

// With a white halo so labels read across grid lines and bars.
std::string LabelsSvg(const std::vector<PlotPoint>& points,
                      const std::vector<Placed>& placed) {
  std::string s = "<g class=\"labels\" font-size=\"" + Num(kLabelFontSize) +
                  "\" paint-order=\"stroke\" stroke=\"white\" "
                  "stroke-width=\"3\" stroke-linejoin=\"round\">\n";
  for (size_t i = 0; i < points.size(); ++i) {
    if (!placed[i].shown) continue;
    const Box& b = placed[i].box;
    s += "<text class=\"label\" x=\"" + Num(b.left) + "\" y=\"" +
         Num(b.bottom - kLabelDescent * kLabelFontSize) + "\">" +
         XmlEscape(points[i].label) + "</text>\n";
  }
  return s + "</g>\n";
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
  std::vector<size_t> order = frontier;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!on_frontier[i]) order.push_back(i);
  }
  const std::vector<Placed> placed = PlaceLabels(points, f, order);
  // Leaders under the points, labels over everything.
  s += LeadersSvg(points, f, placed);
  for (size_t i = 0; i < points.size(); ++i) {
    s += PointSvg(points[i], f, on_frontier[i]);
  }
  s += LabelsSvg(points, placed);
  s += LegendSvg(std::any_of(points.begin(), points.end(), HasInterval));
  s += "</svg>\n";
  return s;
}

}  // namespace cli
}  // namespace kldkit
