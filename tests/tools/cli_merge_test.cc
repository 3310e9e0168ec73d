// Shards on the command line: compare/rank --chunk-range A:B --save-state,
// then `kldkit merge`, print byte for byte what one run prints (text and
// JSON, exact and sketch percentiles); gaps, overlaps, other evaluations
// and damaged states are refused with the exit status of their error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr char kModel[] = "v32k-c128x4-q8_0.logits";
constexpr char kNpy[] = "v32k-c128x4-q8_0.f32.npy";

class CliMerge : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  // compare over `range`, its state written to `state`.
  void Shard(const std::string& base, const std::string& model,
             const std::string& range, const std::string& state,
             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"compare", base, model, "-q",
                                     "--chunk-range", range, "--save-state",
                                     dir_.File(state)};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = Run(args);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  TempFolder dir_;
};

TEST_F(CliMerge, MergedShardsPrintTheWholeRunsReport) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  for (const std::string percentiles : {"exact", "sketch"}) {
    const std::vector<std::string> p = {"--percentiles", percentiles};
    for (const bool json : {false, true}) {
      std::vector<std::string> whole = {"compare", base, model, "-q"};
      whole.insert(whole.end(), p.begin(), p.end());
      if (json) whole.push_back("--json");
      const CliResult one = Run(whole);
      ASSERT_EQ(one.status, 0) << one.err;
      Shard(base, model, "2:", "c.klds", p);
      Shard(base, model, "0:1", "a.klds", p);
      Shard(base, model, "1:2", "b.klds", p);
      std::vector<std::string> merge = {"merge", dir_.File("c.klds"),
                                        dir_.File("a.klds"),
                                        dir_.File("b.klds"), "-q"};
      if (json) merge.push_back("--json");
      const CliResult merged = Run(merge);
      ASSERT_EQ(merged.status, 0) << merged.err;
      EXPECT_EQ(merged.out, one.out) << percentiles << (json ? " json" : "");
    }
  }
}

TEST_F(CliMerge, RankStatesMergePerModel) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  for (const std::string range : {"0:3", "3:4"}) {
    const CliResult r = Run({"rank", base, model, npy, "-q", "--chunk-range",
                             range, "--save-state",
                             dir_.File(range.substr(0, 1) + ".klds")});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const CliResult merged =
      Run({"merge", dir_.File("0.klds"), dir_.File("3.klds"), "-q"});
  ASSERT_EQ(merged.status, 0) << merged.err;
  const CliResult npy_run = Run({"compare", base, npy, "-q"});
  const CliResult model_run = Run({"compare", base, model, "-q"});
  EXPECT_EQ(merged.out, "== v32k-c128x4-q8_0.logits\n" + model_run.out +
                            "\n== v32k-c128x4-q8_0.f32.npy\n" + npy_run.out);
  // rank --states: the one-pass ranking (paired, names and sizes as usual)
  // without the per-token bootstrap, which states cannot give.
  for (const std::string format : {"json", "csv"}) {
    const CliResult one = Run({"rank", base, model, npy, "-q", "--format",
                               format, "--size", "10,20", "--resamples", "0"});
    const CliResult states =
        Run({"rank", "--states", dir_.File("3.klds"), dir_.File("0.klds"),
             "-q", "--format", format, "--size", "10,20"});
    ASSERT_EQ(states.status, 0) << states.err;
    EXPECT_EQ(states.out, one.out) << format;
  }
  const CliResult part = Run({"rank", "--states", dir_.File("0.klds")});
  EXPECT_NE(part.status, 0);
  EXPECT_NE(part.err.find("give every range"), std::string::npos) << part.err;
  const CliResult both = Run({"rank", base, model, "--states",
                              dir_.File("0.klds")});
  EXPECT_NE(both.err.find("one of them"), std::string::npos) << both.err;
}

TEST_F(CliMerge, GapsOverlapsMismatchesAndDamageAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  Shard(base, model, "0:2", "a.klds");
  Shard(base, model, "1:4", "b.klds");
  Shard(base, model, "3:4", "c.klds");
  Shard(base, npy, "2:4", "npy.klds");
  const auto refused = [&](const std::vector<std::string>& states,
                           const std::string& says) {
    std::vector<std::string> args = {"merge"};
    for (const std::string& s : states) args.push_back(dir_.File(s));
    const CliResult r = Run(args);
    EXPECT_NE(r.status, 0) << says;
    EXPECT_TRUE(r.out.empty()) << "nothing printed as a result";
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  };
  refused({"a.klds", "b.klds"}, "chunks 0:2 and 1:4 overlap");
  refused({"a.klds", "c.klds"}, "leave a gap");
  refused({"a.klds", "npy.klds"}, "model files");
  refused({"c.klds"}, "cover chunks 3:4 of 4");
  const CliResult part = Run({"merge", dir_.File("c.klds"), "--partial", "-q"});
  EXPECT_EQ(part.status, 0) << part.err;
  const CliResult range = Run({"compare", base, model, "-q", "--chunk-range",
                               "3:4"});
  EXPECT_EQ(part.out, range.out);
  {
    std::fstream f(dir_.File("c.klds"),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  refused({"a.klds", "c.klds"}, "checksum");
  const CliResult bad = Run({"compare", base, model, "--chunk-range", "3"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("A:B"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
