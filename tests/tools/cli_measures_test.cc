// kldkit compare --measures end to end on the llama.cpp fixture: the
// fourth block after llama.cpp's three (which stay byte-identical), the
// JSON "measures" member, name and K errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

class CliMeasuresTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  static bool Has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  TempFolder dir_;
};

TEST_F(CliMeasuresTest, AFourthBlockFollowsLlamaCppsUnchangedBlocks) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  const CliResult plain = Run({"compare", base, npy, "-q"});
  const CliResult more = Run({"compare", base, npy, "-q", "--measures", "all"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(more.status, 0) << more.err;
  ASSERT_GT(more.out.size(), plain.out.size());
  EXPECT_EQ(more.out.substr(0, plain.out.size()), plain.out);
  const std::string block = more.out.substr(plain.out.size());
  EXPECT_TRUE(Has(block, "====== More measures")) << block;
  EXPECT_TRUE(Has(block, "Reverse KL divergence")) << block;
  EXPECT_TRUE(Has(block, "Top-K overlap (K = 10)")) << block;
  EXPECT_TRUE(Has(block, "[0.95, 1.00]")) << block;
}

TEST_F(CliMeasuresTest, JsonGainsAMeasuresMemberOnly) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  const CliResult plain = Run({"compare", base, npy, "-q", "--json"});
  const CliResult some = Run({"compare", base, npy, "-q", "--json",
                              "--measures", "jsd,top_k_overlap",
                              "--top-k", "3"});
  ASSERT_EQ(some.status, 0) << some.err;
  EXPECT_FALSE(Has(plain.out, "\"measures\""));
  EXPECT_TRUE(Has(some.out, "\"measures\": {")) << some.out;
  EXPECT_TRUE(Has(some.out, "\"jsd\": {\"tokens\": 252")) << some.out;
  EXPECT_TRUE(Has(some.out, "\"top_k_overlap\": {\"3\": {")) << some.out;
  EXPECT_FALSE(Has(some.out, "\"reverse_kld\"")) << some.out;
}

TEST_F(CliMeasuresTest, UnknownNamesAndBadKAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  CliResult r = Run({"compare", base, npy, "--measures", "jsd,kl2"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Has(r.err, "'kl2'")) << r.err;
  r = Run({"compare", base, npy, "--measures", "top_k_overlap", "--top-k",
           "40"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Has(r.err, "32")) << r.err;
}

// rank sorts and plots by a measure's mean, computing it for the occasion.
TEST_F(CliMeasuresTest, RankSortsAndPlotsByAMeasure) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(stored, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  const CliResult json = Run({"rank", base, stored, npy, "-q", "--json",
                              "--sort", "tvd"});
  ASSERT_EQ(json.status, 0) << json.err;
  // The first quant in the JSON has the smaller TVD.
  const size_t first = json.out.find("\"tvd\": ");
  const size_t second = json.out.find("\"tvd\": ", first + 1);
  ASSERT_NE(second, std::string::npos) << json.out;
  EXPECT_LE(std::stod(json.out.substr(first + 7)),
            std::stod(json.out.substr(second + 7)));
  const CliResult table = Run({"rank", base, stored, npy, "-q", "--sort",
                               "jsd", "--kld", "reverse_kld", "--size",
                               "1G,2G", "--svg", "plot.svg"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_TRUE(Has(table.out.substr(0, table.out.find('\n')), "jsd"))
      << table.out;
  EXPECT_TRUE(Has(ReadFileText(dir_.File("plot.svg")), "Reverse KL divergence"));
  const int status = Run({"rank", base, npy, "--sort", "top_k_overlap"}).status;
  EXPECT_TRUE(status >= 100 && status <= 127)
      << status << ": only mean measures sort (a command-line error)";
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
