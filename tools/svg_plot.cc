#include "tools/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace kldkit {
namespace cli {

std::vector<size_t> ParetoFrontier(const std::vector<PlotPoint>& points) {
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].size != points[b].size)
      return points[a].size < points[b].size;
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

}  // namespace

std::string RenderSvg(const std::vector<PlotPoint>& points,
                      const std::string& title, const std::string& kld_name) {
  double smin = INFINITY, smax = 0, kmin = INFINITY, kmax = 0;
  for (const PlotPoint& p : points) {
    smin = std::min(smin, p.size);
    smax = std::max(smax, p.size);
    if (p.kld > 0) kmin = std::min(kmin, p.kld);
    kmax = std::max(kmax, p.kld);
  }
  if (points.empty()) smin = kmin = 0, smax = kmax = 1;
  const bool log_y = kmin > 0 && std::isfinite(kmin) && kmax / kmin > 10;
  const double gib = 1073741824.0;
  Axis x{0, smax * 1.1 / gib, kLeft, kWidth - kRight, false};
  if (!(x.hi > 0)) x.hi = 1;
  Axis y{0, kmax * 1.15, kHeight - kBottom, kTop, false};
  if (log_y) y = {kmin / 1.5, kmax * 1.5, kHeight - kBottom, kTop, true};
  if (!(y.hi > y.lo)) y.hi = y.lo + 1;

  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      Num(kWidth) + "\" height=\"" + Num(kHeight) + "\" viewBox=\"0 0 " +
      Num(kWidth) + " " + Num(kHeight) +
      "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + XmlEscape(title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text class=\"title\" x=\"" + Num(kWidth / 2) +
       "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">" +
       XmlEscape(title) + "</text>\n";
  // Axes, ticks and grid.
  s += "<g class=\"axes\" stroke=\"black\">\n<line x1=\"" + Num(kLeft) +
       "\" y1=\"" + Num(kHeight - kBottom) + "\" x2=\"" + Num(kWidth - kRight) +
       "\" y2=\"" + Num(kHeight - kBottom) + "\"/>\n<line x1=\"" + Num(kLeft) +
       "\" y1=\"" + Num(kTop) + "\" x2=\"" + Num(kLeft) + "\" y2=\"" +
       Num(kHeight - kBottom) + "\"/>\n</g>\n";
  for (double t : LinearTicks(x.lo, x.hi)) {
    s += "<text class=\"tick\" x=\"" + Num(x.Map(t)) + "\" y=\"" +
         Num(kHeight - kBottom + 18) + "\" text-anchor=\"middle\">" + Short(t) +
         "</text>\n";
  }
  for (double t : log_y ? LogTicks(y.lo, y.hi) : LinearTicks(y.lo, y.hi)) {
    s += "<line class=\"grid\" stroke=\"#ddd\" x1=\"" + Num(kLeft) +
         "\" x2=\"" + Num(kWidth - kRight) + "\" y1=\"" + Num(y.Map(t)) +
         "\" y2=\"" + Num(y.Map(t)) + "\"/>\n";
    s += "<text class=\"tick\" x=\"" + Num(kLeft - 6) + "\" y=\"" +
         Num(y.Map(t) + 4) + "\" text-anchor=\"end\">" + Short(t) + "</text>\n";
  }
  s += "<text class=\"axis-label\" x=\"" + Num((kLeft + kWidth - kRight) / 2) +
       "\" y=\"" + Num(kHeight - 25) +
       "\" text-anchor=\"middle\">model size (GiB)</text>\n";
  s += "<text class=\"axis-label\" transform=\"translate(22," +
       Num((kTop + kHeight - kBottom) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + XmlEscape(kld_name) +
       (log_y ? " (nats, log scale)" : " (nats)") + "</text>\n";
  // Frontier, then the points on top of it.
  const std::vector<size_t> frontier = ParetoFrontier(points);
  std::vector<bool> on_frontier(points.size(), false);
  std::string line;
  for (size_t i : frontier) {
    on_frontier[i] = true;
    const double ky = log_y ? std::max(points[i].kld, y.lo) : points[i].kld;
    line += (line.empty() ? "" : " ") + Num(x.Map(points[i].size / gib)) + "," +
            Num(y.Map(ky));
  }
  s += "<polyline class=\"frontier\" fill=\"none\" stroke=\"#d62728\" "
       "stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"" +
       line + "\"/>\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const PlotPoint& p = points[i];
    const double ky = log_y ? std::max(p.kld, y.lo) : p.kld;
    const std::string cx = Num(x.Map(p.size / gib)), cy = Num(y.Map(ky));
    s += std::string("<circle class=\"point") +
         (on_frontier[i] ? " frontier" : "") + "\" cx=\"" + cx + "\" cy=\"" +
         cy + "\" r=\"5\" fill=\"" + (on_frontier[i] ? "#d62728" : "#1f77b4") +
         "\" data-label=\"" + XmlEscape(p.label) + "\" data-size=\"" +
         Short(p.size) + "\" data-kld=\"" + Short(p.kld) + "\"><title>" +
         XmlEscape(p.label) + ": " + Short(p.size / gib) + " GiB, " +
         Short(p.kld) + "</title></circle>\n";
    s += "<text class=\"label\" x=\"" + Num(x.Map(p.size / gib) + 8) +
         "\" y=\"" + Num(y.Map(ky) - 8) + "\">" + XmlEscape(p.label) +
         "</text>\n";
  }
  s += "<text class=\"legend\" x=\"" + Num(kWidth - kRight) + "\" y=\"" +
       Num(kTop - 8) +
       "\" text-anchor=\"end\" fill=\"#d62728\">red, dashed: Pareto frontier "
       "(no other quant is both smaller and closer)</text>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace cli
}  // namespace kldkit
