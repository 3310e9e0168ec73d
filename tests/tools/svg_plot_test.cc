// The rank plot and table pieces alone: the Pareto frontier and efficiency
// score on hand-worked examples, the SVG's structure and geometry (read back
// from the document's attributes), and the document in a real renderer.
#include "tools/svg_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "tests/tools/cli_test_util.h"
#include "tools/rank_table.h"

namespace kldkit {
namespace cli {
namespace {

using ::kldkit::testing::CountOf;
using ::kldkit::testing::Quote;
using ::kldkit::testing::ReadFileText;
using ::kldkit::testing::TempFolder;

// One element read back from the SVG: its attributes and, for <text>, its
// text (entities left escaped).
struct Element {
  std::map<std::string, std::string> attr;
  std::string text;
  double Num(const std::string& name) const {
    const auto it = attr.find(name);
    return it == attr.end() ? NAN : std::stod(it->second);
  }
};

// Every element whose start tag begins with `start` (e.g. `<text
// class="label"`), in document order.
std::vector<Element> Elements(const std::string& svg,
                              const std::string& start) {
  std::vector<Element> found;
  for (size_t at = svg.find(start); at != std::string::npos;
       at = svg.find(start, at + 1)) {
    const size_t end = svg.find('>', at);
    Element e;
    for (size_t eq = svg.find("=\"", at); eq < end;
         eq = svg.find("=\"", eq + 1)) {
      const size_t name_at = svg.rfind(' ', eq) + 1;
      const size_t value_end = svg.find('"', eq + 2);
      e.attr[svg.substr(name_at, eq - name_at)] =
          svg.substr(eq + 2, value_end - eq - 2);
      eq = value_end;
    }
    e.text = svg.substr(end + 1, svg.find('<', end) - end - 1);
    found.push_back(e);
  }
  return found;
}

Element Root(const std::string& svg) { return Elements(svg, "<svg ").at(0); }

// The circle of the point labelled `label`.
Element PointOf(const std::string& svg, const std::string& label) {
  for (const Element& e : Elements(svg, "<circle class=\"point")) {
    if (e.attr.at("data-label") == label) return e;
  }
  ADD_FAILURE() << "no point " << label;
  return {};
}

std::vector<std::string> FrontierLabels(const std::string& svg) {
  std::vector<std::string> labels;
  for (const Element& e : Elements(svg, "<circle class=\"point frontier\"")) {
    labels.push_back(e.attr.at("data-label"));
  }
  return labels;
}

// The box a label is documented to cover (svg_plot.h), from its start x,
// its baseline y, its font size and its characters.
struct Box {
  double left, top, right, bottom;
};

// Characters as drawn: an entity (&amp;) is one; labels here are ASCII.
size_t DrawnChars(const std::string& escaped) {
  size_t n = 0;
  for (size_t i = 0; i < escaped.size(); ++i, ++n) {
    if (escaped[i] == '&') i = escaped.find(';', i);
  }
  return n;
}

Box LabelBox(const Element& label, double font_size) {
  const double x = label.Num("x"), y = label.Num("y");
  const double w =
      static_cast<double>(DrawnChars(label.text)) * kLabelCharWidth;
  return {x, y - kLabelAscent * font_size, x + w * font_size,
          y + kLabelDescent * font_size};
}

bool Overlap(const Box& a, const Box& b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom &&
         b.top < a.bottom;
}

// The points' y pixel as a + b * v (v the KLD, or its log10 on a log axis),
// solved from the circles of two points: what the bars must follow.
struct YMapping {
  double a, b;
  bool log;
  double Y(double v) const { return a + b * (log ? std::log10(v) : v); }
};

YMapping MappingFrom(const std::string& svg, const PlotPoint& p,
                     const PlotPoint& q, bool log) {
  const double vp = log ? std::log10(p.kld) : p.kld;
  const double vq = log ? std::log10(q.kld) : q.kld;
  const double yp = PointOf(svg, p.label).Num("cy");
  const double yq = PointOf(svg, q.label).Num("cy");
  const double b = (yq - yp) / (vq - vp);
  return {yp - b * vp, b, log};
}

TEST(ParetoFrontier, KeepsPointsNoOtherBeatsOnBothAxes) {
  // (size, kld): A(1, 0.5) B(2, 0.2) C(3, 0.3: beaten by B) D(4, 0.1)
  // E(2, 0.4: same size as B, worse). Frontier by size: A, B, D.
  const std::vector<PlotPoint> points = {{"C", 3, 0.3},
                                         {"A", 1, 0.5},
                                         {"D", 4, 0.1},
                                         {"E", 2, 0.4},
                                         {"B", 2, 0.2}};
  const std::vector<size_t> f = ParetoFrontier(points);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(points[f[0]].label, "A");
  EXPECT_EQ(points[f[1]].label, "B");
  EXPECT_EQ(points[f[2]].label, "D");
  EXPECT_TRUE(ParetoFrontier({}).empty());
}

TEST(RenderSvg, MarksPointsFrontierAndLabels) {
  const std::vector<PlotPoint> points = {{"Q8_0", 9.5e9, 0.002},
                                         {"Q4_K<M>", 5.4e9, 0.02},
                                         {"bad", 6e9, 0.05},
                                         {"Q2_K", 3.3e9, 0.1}};
  const std::string svg = RenderSvg(points, {"plot & title", "mean KLD"});
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(CountOf(svg, "<circle class=\"point"), 4u);
  EXPECT_EQ(CountOf(svg, "<circle class=\"point frontier\""), 3u);
  EXPECT_EQ(CountOf(svg, "<text class=\"label\""), 4u);
  EXPECT_NE(svg.find(">Q4_K&lt;M&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>plot &amp; title</title>"), std::string::npos);
  EXPECT_NE(svg.find("data-label=\"bad\""), std::string::npos);
  // The KLDs span a factor 50: log axis.
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  // The frontier polyline has 3 vertices, by increasing x.
  const size_t at = svg.find("<polyline class=\"frontier\"");
  ASSERT_NE(at, std::string::npos);
  const size_t p = svg.find("points=\"", at) + 8;
  const std::string coords = svg.substr(p, svg.find('"', p) - p);
  EXPECT_EQ(CountOf(coords, ","), 3u) << coords;
  EXPECT_EQ(CountOf(svg, "<"), CountOf(svg, ">"));
}

// Sizes and bits per weight in different orders (B is a bigger model at
// fewer bits per weight): (GB, bpw, KLD) A(4, 5, 0.05) B(5, 4, 0.08)
// C(6, 6, 0.02). By size B is beaten by A; by bpw B is the leftmost point.
std::vector<PlotPoint> OrdersDiffer() {
  std::vector<PlotPoint> points = {
      {"A", 4e9, 0.05}, {"B", 5e9, 0.08}, {"C", 6e9, 0.02}};
  points[0].bits_per_weight = 5;
  points[1].bits_per_weight = 4;
  points[2].bits_per_weight = 6;
  return points;
}

TEST(ParetoFrontier, FollowsTheChosenX) {
  const std::vector<PlotPoint> points = OrdersDiffer();
  const std::vector<size_t> by_size = ParetoFrontier(points);
  ASSERT_EQ(by_size.size(), 2u);
  EXPECT_EQ(points[by_size[0]].label, "A");
  EXPECT_EQ(points[by_size[1]].label, "C");
  const std::vector<size_t> by_bpw =
      ParetoFrontier(points, PlotAxis::kBitsPerWeight);
  ASSERT_EQ(by_bpw.size(), 3u);
  EXPECT_EQ(points[by_bpw[0]].label, "B");
  EXPECT_EQ(points[by_bpw[1]].label, "A");
  EXPECT_EQ(points[by_bpw[2]].label, "C");
}

TEST(RenderSvg, BitsPerWeightAxis) {
  const std::vector<PlotPoint> points = OrdersDiffer();
  const std::string by_size = RenderSvg(points, {"t", "mean KLD"});
  const std::string by_bpw =
      RenderSvg(points, {"t", "mean KLD", PlotAxis::kBitsPerWeight});
  EXPECT_EQ(FrontierLabels(by_size), (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ(FrontierLabels(by_bpw), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_NE(by_size.find(">model size (GiB)</text>"), std::string::npos);
  EXPECT_EQ(by_bpw.find("GiB"), std::string::npos);
  EXPECT_NE(by_bpw.find(">bits per weight</text>"), std::string::npos);
  EXPECT_NE(by_bpw.find("data-bpw=\"4\""), std::string::npos);
  // Points sit over their plain-number ticks: C (6 bpw) over tick "6", and
  // the frontier polyline starts at B (4 bpw) over tick "4".
  std::map<std::string, double> tick_x;
  for (const Element& t : Elements(by_bpw, "<text class=\"tick\"")) {
    if (t.attr.at("text-anchor") == "middle") tick_x[t.text] = t.Num("x");
  }
  ASSERT_EQ(tick_x.count("6"), 1u);
  ASSERT_EQ(tick_x.count("4"), 1u);
  EXPECT_NEAR(PointOf(by_bpw, "C").Num("cx"), tick_x["6"], 0.11);
  EXPECT_NEAR(PointOf(by_bpw, "B").Num("cx"), tick_x["4"], 0.11);
  const std::string poly =
      Elements(by_bpw, "<polyline class=\"frontier\"").at(0).attr.at("points");
  EXPECT_NEAR(std::stod(poly), tick_x["4"], 0.11) << poly;
}

TEST(RenderSvg, RefusesUnknownBitsPerWeightAndReversedIntervals) {
  std::vector<PlotPoint> points = OrdersDiffer();
  points[1].bits_per_weight = NAN;
  // The size axis does not need it.
  EXPECT_EQ(CountOf(RenderSvg(points, {"t", "k"}), "<circle"), 3u);
  try {
    RenderSvg(points, {"t", "k", PlotAxis::kBitsPerWeight});
    ADD_FAILURE() << "no error for B's unknown bits per weight";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("'B'"), std::string::npos);
  }
  points = OrdersDiffer();
  points[2].low = 0.03;
  points[2].high = 0.01;
  try {
    RenderSvg(points, {"t", "k"});
    ADD_FAILURE() << "no error for C's interval with low above high";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
  }
}

// The bars of `svg` in threes (bar, cap at low, cap at high), checked
// against the points' own axis mapping and the plot's vertical extent.
void ExpectBars(const std::string& svg, const std::vector<PlotPoint>& points,
                const YMapping& m) {
  const std::vector<Element> lines = Elements(svg, "<line class=\"errorbar\"");
  const Element y_axis = Elements(svg, "<line class=\"axis\"").at(1);
  size_t n = 0;
  for (const PlotPoint& p : points) {
    if (!std::isfinite(p.low) || !std::isfinite(p.high)) continue;
    ASSERT_LE(3 * n + 3, lines.size());
    const Element& bar = lines[3 * n];
    const double x = PointOf(svg, p.label).Num("cx");
    EXPECT_EQ(bar.Num("x1"), x) << p.label;
    EXPECT_EQ(bar.Num("x2"), x) << p.label;
    // A low at or below zero on a log axis sits on the axis minimum.
    const double low_y = m.log && p.low <= 0 ? y_axis.Num("y2") : m.Y(p.low);
    EXPECT_NEAR(bar.Num("y1"), low_y, 0.25) << p.label;
    EXPECT_NEAR(bar.Num("y2"), m.Y(p.high), 0.25) << p.label;
    for (int end = 1; end <= 2; ++end) {
      const Element& cap = lines[3 * n + static_cast<size_t>(end)];
      EXPECT_EQ(cap.Num("y1"), cap.Num("y2")) << p.label;
      EXPECT_EQ(cap.Num("y1"), bar.Num(end == 1 ? "y1" : "y2")) << p.label;
      EXPECT_NEAR(cap.Num("x1") + cap.Num("x2"), 2 * x, 0.11) << p.label;
      EXPECT_GT(cap.Num("x2") - cap.Num("x1"), 2) << p.label;
      EXPECT_LT(cap.Num("x2") - cap.Num("x1"), 12) << p.label;
    }
    // The axis range takes the bars in: none leaves the plot.
    for (const char* y : {"y1", "y2"}) {
      EXPECT_GE(bar.Num(y), y_axis.Num("y1")) << p.label;
      EXPECT_LE(bar.Num(y), y_axis.Num("y2")) << p.label;
    }
    ++n;
  }
  EXPECT_EQ(lines.size(), 3 * n);
}

TEST(RenderSvg, ErrorBarsOnALinearAxis) {
  // KLDs and intervals within a factor 10: linear. D's high (0.2) is twice
  // the largest KLD, so an axis fitted to the points alone would cut it.
  std::vector<PlotPoint> points = {
      {"A", 4e9, 0.05}, {"B", 5e9, 0.08}, {"C", 6e9, 0.03}, {"D", 7e9, 0.1}};
  points[0].low = 0.04, points[0].high = 0.065;
  points[2].low = 0.025, points[2].high = 0.035;
  points[3].low = 0.09, points[3].high = 0.2;
  points[1].low = 0.07;  // no high: no bar
  const std::string svg = RenderSvg(points, {"t", "mean KLD"});
  EXPECT_EQ(svg.find("log scale"), std::string::npos);
  EXPECT_EQ(CountOf(svg, "<line class=\"errorbar\""), 9u);
  ExpectBars(svg, points, MappingFrom(svg, points[0], points[3], false));
  EXPECT_NE(svg.find("bars: 95% intervals"), std::string::npos);
  EXPECT_EQ(RenderSvg(OrdersDiffer(), {"t", "k"}).find("95%"),
            std::string::npos);
}

TEST(RenderSvg, ErrorBarsOnALogAxis) {
  // KLDs span a factor 100: log axis. A's low is zero (clamped to the axis
  // minimum); C's low (0.0005) is below every KLD and sets that minimum.
  std::vector<PlotPoint> points = {
      {"A", 4e9, 0.002}, {"B", 5e9, 0.2}, {"C", 6e9, 0.02}};
  points[0].low = 0, points[0].high = 0.004;
  points[1].low = 0.1, points[1].high = 0.3;
  points[2].low = 0.0005, points[2].high = 0.03;
  const std::string svg = RenderSvg(points, {"t", "mean KLD"});
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  ExpectBars(svg, points, MappingFrom(svg, points[0], points[1], true));
  // C's low is inside the axis, strictly above A's clamped one.
  const std::vector<Element> lines = Elements(svg, "<line class=\"errorbar\"");
  EXPECT_LT(lines[6].Num("y1"), lines[0].Num("y1"));
}

// Twelve quants of almost the same size and KLD: one blob of markers.
std::vector<PlotPoint> Crowd() {
  std::vector<PlotPoint> points;
  for (int i = 0; i < 12; ++i) {
    PlotPoint p{"IQ4_XS-mix" + std::to_string(i), 4.2e9 + i * 2e6,
                0.031 + i * 2e-5};
    p.bits_per_weight = 4.25 + i * 0.002;
    p.low = p.kld * 0.9, p.high = p.kld * 1.1;
    points.push_back(p);
  }
  return points;
}

void ExpectReadableLabels(const std::string& svg, size_t count) {
  const Element root = Root(svg);
  const double width = root.Num("width"), height = root.Num("height");
  const double font =
      Elements(svg, "<g class=\"labels\"").at(0).Num("font-size");
  EXPECT_GE(font, 8);
  const std::vector<Element> labels = Elements(svg, "<text class=\"label\"");
  ASSERT_EQ(labels.size(), count);
  std::vector<Box> boxes;
  for (const Element& l : labels) boxes.push_back(LabelBox(l, font));
  std::vector<Box> markers;
  for (const Element& c : Elements(svg, "<circle class=\"point")) {
    const double x = c.Num("cx"), y = c.Num("cy"), r = c.Num("r");
    markers.push_back({x - r, y - r, x + r, y + r});
  }
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    EXPECT_GE(b.left, 0) << labels[i].text;
    EXPECT_GE(b.top, 0) << labels[i].text;
    EXPECT_LE(b.right, width) << labels[i].text;
    EXPECT_LE(b.bottom, height) << labels[i].text;
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      EXPECT_FALSE(Overlap(b, boxes[j]))
          << labels[i].text << " and " << labels[j].text;
    }
    for (const Box& m : markers) {
      EXPECT_FALSE(Overlap(b, m)) << labels[i].text << " covers a marker";
    }
  }
  // Each leader runs from a marker's edge to the edge of a label's box.
  for (const Element& leader : Elements(svg, "<line class=\"leader\"")) {
    bool from_marker = false, to_label = false;
    for (const Element& c : Elements(svg, "<circle class=\"point")) {
      from_marker |= std::abs(std::hypot(leader.Num("x1") - c.Num("cx"),
                                         leader.Num("y1") - c.Num("cy")) -
                              c.Num("r")) < 0.2;
    }
    for (const Element& l : labels) {
      // The leader ends on an edge of some label's documented box.
      const Box b = LabelBox(l, font);
      const double x = leader.Num("x2"), y = leader.Num("y2");
      to_label |= x >= b.left - 0.2 && x <= b.right + 0.2 && y >= b.top - 0.2 &&
                  y <= b.bottom + 0.2 &&
                  (std::abs(x - b.left) < 0.2 || std::abs(x - b.right) < 0.2 ||
                   std::abs(y - b.top) < 0.2 || std::abs(y - b.bottom) < 0.2);
    }
    EXPECT_TRUE(from_marker)
        << leader.attr.at("x1") << "," << leader.attr.at("y1");
    EXPECT_TRUE(to_label) << leader.attr.at("x2") << ","
                          << leader.attr.at("y2");
  }
}

TEST(RenderSvg, CrowdedLabelsDoNotOverlap) {
  const std::vector<PlotPoint> points = Crowd();
  for (PlotAxis x : {PlotAxis::kSize, PlotAxis::kBitsPerWeight}) {
    const std::string svg = RenderSvg(points, {"crowd", "mean KLD", x});
    ExpectReadableLabels(svg, points.size());
    // Twelve labels do not all fit beside one marker: some had to move.
    EXPECT_GE(CountOf(svg, "<line class=\"leader\""), 1u);
    // The same input draws the same picture.
    EXPECT_EQ(svg, RenderSvg(points, {"crowd", "mean KLD", x}));
  }
}

TEST(RenderSvg, LabelsBesideLonePointsNeedNoLeader) {
  // Far apart, including one at the right edge whose label must go left
  // and one at the top: every label fits beside its point.
  const std::vector<PlotPoint> points = {{"Q8_0", 9.5e9, 0.2},
                                         {"Q4_K_M-long-name", 10e9, 0.01},
                                         {"Q2_K", 3.3e9, 0.1}};
  const std::string svg = RenderSvg(points, {"t", "mean KLD"});
  ExpectReadableLabels(svg, points.size());
  EXPECT_EQ(CountOf(svg, "<line class=\"leader\""), 0u);
  // Q2_K's label keeps the old place, up and to the right.
  const Element q2 = PointOf(svg, "Q2_K");
  for (const Element& l : Elements(svg, "<text class=\"label\"")) {
    if (l.text != "Q2_K") continue;
    EXPECT_NEAR(l.Num("x"), q2.Num("cx") + 8, 0.11);
    EXPECT_LT(l.Num("y"), q2.Num("cy"));
  }
}

TEST(RenderSvg, LabelsKeepOffOtherMarkers) {
  // C fixes the scale (about 16.2 MB and 0.00029 nats a pixel); B's marker
  // sits 20 px right of and 10 px above A, where A's label would go first.
  const std::vector<PlotPoint> points = {
      {"A", 5e9, 0.05}, {"B", 5.3235e9, 0.052875}, {"C", 10e9, 0.1}};
  const std::string svg = RenderSvg(points, {"t", "mean KLD"});
  const Element a = PointOf(svg, "A"), b = PointOf(svg, "B");
  ASSERT_NEAR(b.Num("cx") - a.Num("cx"), 20, 1);
  ASSERT_NEAR(a.Num("cy") - b.Num("cy"), 10, 1);
  ExpectReadableLabels(svg, points.size());
}

// The PNG's width and height, from its IHDR chunk (bytes 16-23, big-endian
// after the 8-byte signature and the chunk's length and type).
bool PngSize(const std::string& png, uint32_t* width, uint32_t* height) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      png.compare(12, 4, "IHDR") != 0) {
    return false;
  }
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      v = v << 8 | static_cast<unsigned char>(png[at + i]);
    }
    return v;
  };
  *width = be32(16);
  *height = be32(20);
  return true;
}

// Our own attribute checks can't tell whether a browser accepts the
// document; librsvg (what GNOME and many converters use) can.
TEST(RenderSvg, RsvgConvertRendersIt) {
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0') {
      FAIL() << "rsvg-convert is missing, and CI must not skip this test: "
                ".ci/setup installs librsvg2-bin";
    }
    GTEST_SKIP() << "rsvg-convert not found (Debian: apt-get install "
                    "librsvg2-bin)";
  }
  // Bars, the bpw axis, a log axis (a factor 1000) and a crowd of labels.
  std::vector<PlotPoint> points = Crowd();
  PlotPoint far{"Q2_K & <odd> \"name\"", 2.8e9, 0.4};
  far.bits_per_weight = 2.6, far.low = 0.3, far.high = 0.55;
  points.push_back(far);
  PlotPoint near{"Q8_0", 8.5e9, 0.0004};
  near.bits_per_weight = 8.5, near.low = 0, near.high = 0.0007;
  points.push_back(near);
  const std::string svg =
      RenderSvg(points, {"rsvg check", "mean KLD", PlotAxis::kBitsPerWeight});
  ASSERT_NE(svg.find("log scale"), std::string::npos);
  ExpectReadableLabels(svg, points.size());
  TempFolder dir;
  ASSERT_FALSE(dir.Path().empty());
  {
    std::ofstream out(dir.File("plot.svg"), std::ios::binary);
    out << svg;
  }
  const std::string cmd =
      "rsvg-convert --format=png -o " + Quote(dir.File("plot.png")) + " " +
      Quote(dir.File("plot.svg")) + " 2> " + Quote(dir.File("err.txt"));
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFileText(dir.File("err.txt"));
  uint32_t width = 0, height = 0;
  ASSERT_TRUE(PngSize(ReadFileText(dir.File("plot.png")), &width, &height));
  const Element root = Root(svg);
  EXPECT_EQ(width, static_cast<uint32_t>(root.Num("width")));
  EXPECT_EQ(height, static_cast<uint32_t>(root.Num("height")));
}

TEST(Efficiency, DistanceAfterDividingByTheLargest) {
  std::vector<RankEntry> e(3);
  e[0].name = "big";
  e[0].size = 10;
  e[0].report.kld.value = 0.01;
  e[1].name = "mid";
  e[1].size = 5;
  e[1].report.kld.value = 0.02;
  e[2].name = "small";
  e[2].size = 2;
  e[2].report.kld.value = 0.08;
  ComputeEfficiency(e, "mean");
  // By hand: big sqrt(1 + 0.125^2), mid sqrt(0.25 + 0.25^2),
  // small sqrt(0.04 + 1).
  EXPECT_NEAR(e[0].efficiency, std::sqrt(1 + 0.015625), 1e-12);
  EXPECT_NEAR(e[1].efficiency, std::sqrt(0.25 + 0.0625), 1e-12);
  EXPECT_NEAR(e[2].efficiency, std::sqrt(1.04), 1e-12);
  SortEntries(e, "efficiency", "mean");
  EXPECT_EQ(e[0].name, "mid");
  EXPECT_EQ(e[1].name, "big");    // 1.0078
  EXPECT_EQ(e[2].name, "small");  // 1.0198
  SortEntries(e, "mean-kld", "mean");
  EXPECT_EQ(e[0].name, "big");
  // Without every size there is no score.
  e[1].size = 0;
  ComputeEfficiency(e, "mean");
  EXPECT_TRUE(std::isnan(e[0].efficiency));
}

}  // namespace
}  // namespace cli
}  // namespace kldkit
