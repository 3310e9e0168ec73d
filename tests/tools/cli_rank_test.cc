// kldkit rank with stated confidence, end to end on the fixtures: the Q8_0
// float logits against noisy copies of themselves, ranked from the rows and
// from token files (compare --save-tokens), which must agree; the paired
// intervals separate a 10x worse copy and not two copies of equal noise.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kldkit/npy.hpp"
#include "tests/fixtures.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace {

using testing::LlamaFixture;
using testing::RunCli;
using testing::TempFolder;

// The float logits plus seeded Gaussian noise of `sigma` on every logit.
void WriteNoisyCopy(const std::string& from, const std::string& to,
                    double sigma, uint64_t seed) {
  const NpyReader in(from);
  NpyF32Writer out(to, in.Rows(), in.Cols());
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(sigma));
  std::vector<float> row(in.Cols());
  for (uint64_t r = 0; r < in.Rows(); ++r) {
    in.ReadRow(r, row);
    for (float& x : row) x += noise(rng);
    out.AppendRow(row);
  }
  out.Close();
}

// CSV rows keyed by quant name, each a map from column key to cell.
std::map<std::string, std::map<std::string, std::string>> ParseCsv(
    const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::vector<std::string> keys;
  std::map<std::string, std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::istringstream cells_in(line);
    for (std::string c; std::getline(cells_in, c, ',');) cells.push_back(c);
    if (line.back() == ',') cells.push_back("");
    if (keys.empty()) {
      keys = cells;
      continue;
    }
    std::map<std::string, std::string>& row = rows[cells.at(1)];
    for (size_t i = 0; i < keys.size() && i < cells.size(); ++i) {
      row[keys[i]] = cells[i];
    }
  }
  return rows;
}

class RankConfidence : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = LlamaFixture("v32k-c128x4-f16.logits");
    q8_ = LlamaFixture("v32k-c128x4-q8_0.f32.npy");
    if (base_.empty() || q8_.empty()) {
      GTEST_SKIP() << "fixtures absent (set KLDKIT_FIXTURES)";
    }
    // Copies far worse than Q8_0 (mean KLD ~10x), of equal noise.
    WriteNoisyCopy(q8_, dir_.File("noisy_a.npy"), 0.06, 1);
    WriteNoisyCopy(q8_, dir_.File("noisy_b.npy"), 0.06, 2);
    models_ = {q8_, dir_.File("noisy_a.npy"), dir_.File("noisy_b.npy")};
  }

  TempFolder dir_;
  std::string base_, q8_;
  std::vector<std::string> models_;
};

TEST_F(RankConfidence, SeparatesAWorseCopyAndNotTwoEqualOnes) {
  std::vector<std::string> args = {"rank", base_};
  args.insert(args.end(), models_.begin(), models_.end());
  args.insert(args.end(), {"--format", "csv", "-q"});
  const testing::CliResult r = RunCli(dir_, args);
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  const auto& best = rows["v32k-c128x4-q8_0.f32"];
  ASSERT_EQ(best.at("rank"), "1") << r.out;
  const double q8_kld = std::stod(best.at("mean_kld"));
  const double noisy_kld = std::stod(rows["noisy_a"].at("mean_kld"));
  EXPECT_GT(noisy_kld, 8 * q8_kld);
  EXPECT_LT(noisy_kld, 14 * q8_kld);
  EXPECT_GT(std::stod(best.at("diff_low")), 0) << r.out;  // separated
  EXPECT_EQ(std::stod(best.at("p_order")), 1.0);
  // The second of the noisy copies: its pair with the third spans zero.
  for (const auto& [name, row] : rows) {
    if (row.at("rank") != "2") continue;
    EXPECT_LE(std::stod(row.at("diff_low")), 0) << r.out;
    EXPECT_GE(std::stod(row.at("diff_high")), 0) << r.out;
    EXPECT_LT(std::stod(row.at("p_order")), 1.0) << r.out;
  }
  EXPECT_EQ(rows.count("noisy_b"), 1u);
}

TEST_F(RankConfidence, TokenFilesRankAsTheRowsDo) {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < models_.size(); ++i) {
    tokens.push_back(dir_.File("m" + std::to_string(i) + ".kldt"));
    const testing::CliResult c =
        RunCli(dir_, {"compare", base_, models_[i], "--save-tokens",
                      tokens.back(), "-q", "--measures", "jsd"});
    ASSERT_EQ(c.status, 0) << c.err;
  }
  for (const char* format : {"json", "text", "markdown"}) {
    std::vector<std::string> from_rows = {"rank", base_};
    from_rows.insert(from_rows.end(), models_.begin(), models_.end());
    from_rows.insert(from_rows.end(), {"--format", format, "-q", "--sort",
                                       "jsd", "--threads", "2"});
    std::vector<std::string> from_tokens = {"rank"};
    from_tokens.insert(from_tokens.end(), tokens.begin(), tokens.end());
    from_tokens.insert(from_tokens.end(),
                       {"--format", format, "-q", "--sort", "jsd"});
    const testing::CliResult a = RunCli(dir_, from_rows);
    const testing::CliResult b = RunCli(dir_, from_tokens);
    ASSERT_EQ(a.status, 0) << a.err;
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(a.out, b.out) << format;  // report, pairs and intervals
    if (std::string(format) == "json") {
      EXPECT_NE(a.out.find("\"pairs\": ["), std::string::npos);
      EXPECT_NE(a.out.find("\"statistic\": \"jsd\""), std::string::npos);
    }
  }
  // Another seed moves the intervals, not the table's numbers.
  std::vector<std::string> reseeded = {"rank"};
  reseeded.insert(reseeded.end(), tokens.begin(), tokens.end());
  reseeded.insert(reseeded.end(), {"--json", "-q", "--seed", "7"});
  const testing::CliResult s7 = RunCli(dir_, reseeded);
  reseeded.back() = "1";
  const testing::CliResult s1 = RunCli(dir_, reseeded);
  EXPECT_NE(s7.out, s1.out);
  EXPECT_EQ(s7.out.substr(0, s7.out.find("\"kld_low\"")),
            s1.out.substr(0, s1.out.find("\"kld_low\"")));
}

TEST_F(RankConfidence, TokenFilesOfAnotherEvaluationAreRefused) {
  const std::string llama = dir_.File("llama.kldt");
  const std::string tail = dir_.File("tail.kldt");
  const std::string part = dir_.File("part.kldt");
  ASSERT_EQ(RunCli(dir_, {"compare", base_, q8_, "--save-tokens", llama, "-q"})
                .status, 0);
  ASSERT_EQ(RunCli(dir_, {"compare", base_, q8_, "--save-tokens", tail,
                          "--mode", "tail", "-q"}).status, 0);
  ASSERT_EQ(RunCli(dir_, {"compare", base_, q8_, "--save-tokens", part,
                          "--chunk-range", "0:2", "-q"}).status, 0);
  for (const std::string& other : {tail, part}) {
    const testing::CliResult r = RunCli(dir_, {"rank", llama, other});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("another base, mode or chunk range"),
              std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // Mixed kinds: a token file where a row file is expected.
  const testing::CliResult mixed = RunCli(dir_, {"rank", base_, llama});
  EXPECT_NE(mixed.status, 0);
  // Ranking by a measure the files were saved without.
  const testing::CliResult missing =
      RunCli(dir_, {"rank", llama, llama, "--sort", "jsd"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("saved without"), std::string::npos);
}

}  // namespace
}  // namespace kldkit
