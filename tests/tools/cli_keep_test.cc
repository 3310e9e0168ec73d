// kldkit convert --keep kld, info's floor and profile lines, and compare's
// refusals and floor warning, end to end on the llama.cpp and ik_llama.cpp
// fixtures.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

class CliKeepTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  bool Has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  // The reports of `base` and of its --keep kld container against `model`,
  // text with per-chunk lines and JSON, on 1 and 2 threads, are equal.
  void ExpectSameReports(const std::string& base, const std::string& model) {
    ASSERT_EQ(Run({"convert", base, "kept.kldz", "--keep", "kld", "-q"}).status,
              0);
    for (const char* threads : {"1", "2"}) {
      for (const char* format : {"--json", "--chunks"}) {
        const CliResult want =
            Run({"compare", base, model, format, "-q", "-t", threads});
        const CliResult got = Run({"compare", dir_.File("kept.kldz"), model,
                                   format, "-q", "-t", threads});
        ASSERT_EQ(want.status, 0) << want.err;
        ASSERT_EQ(got.status, 0) << got.err;
        EXPECT_EQ(want.out, got.out) << model << " " << format << " -t "
                                     << threads;
      }
    }
  }
  TempFolder dir_;
};

TEST_F(CliKeepTest, LlamaCppReportsAreIdenticalFromAKeepKldBase) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  ExpectSameReports(base, npy);
  ExpectSameReports(base, quant);
}

TEST_F(CliKeepTest, IkLlamaReportsAreIdenticalFromAKeepKldBase) {
  KLDKIT_REQUIRE_FIXTURE_IN(base, "ik_llama", "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE_IN(quant, "ik_llama", "v32k-c128x4-q8_0.logits");
  ExpectSameReports(base, quant);
  // info names the profile and the floor, recorded and measured.
  const CliResult info = Run({"info", "kept.kldz"});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_TRUE(Has(info.out, "keep:         kld")) << info.out;
  EXPECT_TRUE(Has(info.out, "floor:        24 nats (recorded)")) << info.out;
  EXPECT_TRUE(Has(info.out, "row floor:    24 nats (236 of 252 rows")) << info.out;
  const CliResult raw = Run({"info", base});
  EXPECT_TRUE(Has(raw.out, "floor:        24 nats")) << raw.out;
  // Exported, it is a valid llama.cpp file, with a warning.
  const CliResult exported = Run({"convert", "kept.kldz", "kept.logits"});
  ASSERT_EQ(exported.status, 0) << exported.err;
  EXPECT_TRUE(Has(exported.err, "warning")) << exported.err;
  EXPECT_EQ(Run({"info", "kept.logits"}).status, 0);
  // Re-encoded, it stays keep-kld (its dropped codes cannot come back).
  ASSERT_EQ(Run({"convert", "kept.kldz", "again.kldz", "--level", "3", "-q"})
                .status,
            0);
  EXPECT_TRUE(Has(Run({"info", "again.kldz"}).out, "keep:         kld"));
}

TEST_F(CliKeepTest, UsesThatNeedTheDroppedCodesAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  ASSERT_EQ(Run({"convert", base, "kept.kldz", "--keep", "kld", "-q"}).status,
            0);
  CliResult r = Run({"compare", "kept.kldz", quant, "--mode", "tail"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Has(r.err, "--keep kld")) << r.err;
  EXPECT_TRUE(Has(r.err, "tail")) << r.err;
  r = Run({"compare", quant, "kept.kldz"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Has(r.err, "as a model")) << r.err;
  r = Run({"compare", "kept.kldz", quant, "--measures", "jsd"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(Has(r.err, "measures")) << r.err;
  r = Run({"rank", base, quant, "kept.kldz"});  // one model of several
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "as a model")) << r.err;
  // Only a .kldz can hold the profile; the default stays lossless.
  r = Run({"convert", base, "x.logits", "--keep", "kld"});
  EXPECT_EQ(r.status, 2);
  ASSERT_EQ(Run({"convert", base, "all.kldz", "-q"}).status, 0);
  ASSERT_EQ(Run({"convert", "all.kldz", "all.logits", "-q"}).status, 0);
  EXPECT_TRUE(SameBytes(base, dir_.File("all.logits")));
  EXPECT_TRUE(Has(Run({"info", "all.kldz"}).out, "keep:         all"));
}

TEST_F(CliKeepTest, DifferentFloorsAreNamed) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE_IN(ik, "ik_llama", "v32k-c128x4-q8_0.logits");
  const CliResult r = Run({"compare", base, ik, "--force"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "floor of 24 nats, the base's with 16")) << r.err;
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  EXPECT_FALSE(Has(Run({"compare", base, quant}).err, "floor"));
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
