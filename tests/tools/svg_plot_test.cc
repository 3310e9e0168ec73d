// The rank plot and table pieces alone: the Pareto frontier and efficiency
// score on hand-worked examples, and the SVG's structure.
#include "tools/svg_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/tools/cli_test_util.h"
#include "tools/rank_table.h"

namespace kldkit {
namespace cli {
namespace {

using ::kldkit::testing::CountOf;

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
  const std::string svg = RenderSvg(points, "plot & title", "mean KLD");
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
