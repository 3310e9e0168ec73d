// convert --chunk-range A:B writes shards; `kldkit concat` joins them into
// the bytes `kldkit convert` writes in one piece; info, verify and export
// read a shard on its own; gaps, overlaps and other settings are refused
// with nothing left at OUT.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

class CliConcat : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  void Ok(const std::vector<std::string>& args) {
    const CliResult r = Run(args);
    ASSERT_EQ(r.status, 0) << args[0] << ": " << r.err;
  }
  TempFolder dir_;
};

TEST_F(CliConcat, PiecesJoinToTheOnePieceFile) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  Ok({"convert", base, "whole.kldz", "-q"});
  Ok({"convert", base, "a.kldz", "--chunk-range", "0:1", "-q"});
  Ok({"convert", base, "b.kldz", "--chunk-range", "1:3", "-q"});
  Ok({"convert", "whole.kldz", "c.kldz", "--chunk-range", "3:", "-q"});
  Ok({"concat", "c.kldz", "a.kldz", "b.kldz", "joined.kldz", "-q"});
  EXPECT_TRUE(SameBytes(dir_.File("joined.kldz"), dir_.File("whole.kldz")));
  // A shard on its own: info, verify, export of its chunks.
  CliResult r = Run({"verify", "b.kldz"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = Run({"info", "b.kldz"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("chunks 1:3 of 4"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("INCOMPLETE"), std::string::npos) << r.out;
  Ok({"convert", "b.kldz", "b.logits", "-q"});
  Ok({"convert", "b.logits", "b2.kldz", "-q"});
  Ok({"convert", "b2.kldz", "b2.logits", "-q"});
  EXPECT_TRUE(SameBytes(dir_.File("b.logits"), dir_.File("b2.logits")));
  // A partial join is a shard.
  Ok({"concat", "a.kldz", "b.kldz", "ab.kldz"});
  Ok({"convert", base, "ab2.kldz", "--chunk-range", "0:3", "-q"});
  EXPECT_TRUE(SameBytes(dir_.File("ab.kldz"), dir_.File("ab2.kldz")));
}

TEST_F(CliConcat, DisagreeingPiecesAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  Ok({"convert", base, "a.kldz", "--chunk-range", "0:2", "-q"});
  Ok({"convert", base, "b.kldz", "--chunk-range", "1:4", "-q"});
  Ok({"convert", base, "c.kldz", "--chunk-range", "3:4", "-q"});
  Ok({"convert", base, "d.kldz", "--chunk-range", "2:4", "--level", "3",
      "-q"});
  const std::vector<std::vector<std::string>> bad = {
      {"a.kldz", "b.kldz"}, {"a.kldz", "c.kldz"}, {"a.kldz", "d.kldz"}};
  for (const auto& parts : bad) {
    std::vector<std::string> args = {"concat"};
    args.insert(args.end(), parts.begin(), parts.end());
    args.push_back("out.kldz");
    const CliResult r = Run(args);
    EXPECT_NE(r.status, 0) << parts[1];
    EXPECT_NE(r.err.find("concat"), std::string::npos) << r.err;
    EXPECT_FALSE(std::ifstream(dir_.File("out.kldz")).good())
        << "OUT left behind";
  }
  EXPECT_NE(Run({"convert", base, "x.kldz", "--chunk-range", "2:2"}).status, 0);
  EXPECT_NE(Run({"convert", base, "x.kldz", "--chunk-range", "3:9"}).status, 0);
  EXPECT_NE(Run({"convert", base, "x.logits", "--chunk-range", "0:1"}).status,
            0);
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
