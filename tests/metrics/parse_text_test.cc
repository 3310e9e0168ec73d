// Printed reports read back (ParsePrintedReport): llama.cpp's and
// ik_llama.cpp's real output and kldkit's own, checked by rendering what
// was read with RenderText (written independently of the parser): the
// statistics blocks come back byte for byte, so every printed digit was
// read.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "kldkit/metrics.hpp"
#include "tests/fixtures.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The three statistics blocks of a printed report, as RenderText prints
// them: from "====== Perplexity statistics" through the "Same top p" line.
std::string Blocks(const std::string& text) {
  const size_t a = text.find("====== Perplexity statistics");
  const size_t top = text.find("Same top p", a);
  if (a == std::string::npos || top == std::string::npos) return "";
  return text.substr(a, text.find('\n', top) + 1 - a);
}

void ExpectEveryDigitRead(const std::string& path) {
  const std::string text = ReadAll(path);
  const Report r = ParsePrintedReport(text, path);
  ASSERT_FALSE(Blocks(text).empty()) << path;
  EXPECT_EQ(RenderText(r), Blocks(text)) << path;
}

TEST(ParsePrintedReport, LlamaCppOutputToEveryPrintedDigit) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.kld-report.txt");
  ExpectEveryDigitRead(path);
  const Report r = ParsePrintedReport(ReadAll(path), path);
  // A fixed worked example, as printed by llama.cpp.
  EXPECT_EQ(r.kld.value, 0.000167);
  EXPECT_EQ(r.kld.uncertainty, 0.000005);
  EXPECT_EQ(r.kld_percentiles[0], 0.000460);  // 99.9%
  EXPECT_EQ(r.ppl_ratio.value, 0.999814);
  EXPECT_DOUBLE_EQ(r.same_top.value, 0.99603);
  EXPECT_DOUBLE_EQ(r.dp_max, 0.00615);
  EXPECT_TRUE(std::isnan(r.ln_ppl.value)) << "not printed";
}

TEST(ParsePrintedReport, IkLlamaOutputToEveryPrintedDigit) {
  KLDKIT_REQUIRE_FIXTURE_IN(path, "ik_llama", "v32k-c128x4-q8_0.kld-report.txt");
  ExpectEveryDigitRead(path);
  EXPECT_EQ(ParsePrintedReport(ReadAll(path), path).kld_percentiles[0],
            0.000616);
}

TEST(ParsePrintedReport, KldkitOwnTextRoundTrips) {
  Accumulator acc;
  for (const TokenResult& t : testing::RandomTokens(3000, 5)) acc.Add(t);
  const std::string text = RenderText(acc.MakeReport());
  EXPECT_EQ(RenderText(ParsePrintedReport(text, "kldkit")), text);
}

TEST(ParsePrintedReport, LogPrefixesAndCarriageReturnsAreSkipped) {
  Accumulator acc;
  for (const TokenResult& t : testing::RandomTokens(500, 6)) acc.Add(t);
  const std::string text = RenderText(acc.MakeReport());
  std::string prefixed;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    prefixed += "0.01.234.567 I " + line + "\r\n";
  }
  EXPECT_EQ(RenderText(ParsePrintedReport(prefixed, "log")), text);
}

TEST(ParsePrintedReport, OlderOutputWithoutSomePercentiles) {
  Accumulator acc;
  for (const TokenResult& t : testing::RandomTokens(500, 7)) acc.Add(t);
  std::string text = RenderText(acc.MakeReport());
  const size_t line = text.find("99.9%   KLD");
  text.erase(line, text.find('\n', line) + 1 - line);
  const Report r = ParsePrintedReport(text, "old");
  EXPECT_TRUE(std::isnan(r.kld_percentiles[0]));
  EXPECT_FALSE(std::isnan(r.kld_percentiles[1]));
  EXPECT_FALSE(std::isnan(r.kld.value));
}

TEST(ParsePrintedReport, NoBlockOrTwoBlocksIsAFormatErrorNamingTheInput) {
  Accumulator acc;
  for (const TokenResult& t : testing::RandomTokens(500, 8)) acc.Add(t);
  const std::string text = RenderText(acc.MakeReport());
  for (const std::string& bad :
       {std::string("llama_perf_context_print: load time = 1 ms\n"),
        text + "\n" + text, std::string()}) {
    try {
      ParsePrintedReport(bad, "q4.log");
      ADD_FAILURE() << "accepted: " << bad.substr(0, 40);
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_FORMAT);
      EXPECT_NE(std::string(e.what()).find("q4.log"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace kldkit
