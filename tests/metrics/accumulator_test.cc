// Accumulator moments and report text against independent references: a
// long-double evaluation of llama.cpp's formulas, and worked examples.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/metrics.hpp"
#include "tests/fixtures.h"
#include "tests/metrics/test_tokens.h"

namespace kldkit {
namespace {

using testing::InvalidToken;
using testing::RandomTokens;
using LD = long double;

struct RefEstimate {
  LD value, unc;
};

RefEstimate RefMean(LD sum, LD sum2, LD n) {
  const LD f = sum / n;
  const LD var = sum2 / n - f * f;
  return {f, (var > 0 && n > 10) ? std::sqrt(var / (n - 1)) : 0};
}

// llama.cpp's report, evaluated in long double from the definition.
struct RefReport {
  RefEstimate ppl, ppl_base, ratio_ln, ratio, diff, kld, dp, rms, same;
  LD cor;
};

RefReport Reference(const std::vector<TokenResult>& tokens) {
  LD s[10] = {};
  LD n = 0, same = 0;
  for (const TokenResult& t : tokens) {
    const float dp = t.dp;
    const LD dp2 = static_cast<double>(dp * dp);
    const LD terms[10] = {t.nll, t.nll * t.nll, t.nll_base,
                          t.nll_base * t.nll_base, t.nll * t.nll_base,
                          t.kld, static_cast<LD>(t.kld) * t.kld, dp, dp2,
                          dp2 * dp2};
    for (int i = 0; i < 10; ++i) s[i] += terms[i];
    n += 1;
    same += t.SameTop() ? 1 : 0;
  }
  RefReport r;
  const RefEstimate q = RefMean(s[0], s[1], n), b = RefMean(s[2], s[3], n);
  const LD cov = (s[4] / n - (s[0] / n) * (s[2] / n)) / (n - 1);
  r.cor = cov / (q.unc * b.unc);
  r.ppl = {std::exp(q.value), std::exp(q.value) * q.unc};
  r.ppl_base = {std::exp(b.value), std::exp(b.value) * b.unc};
  r.ratio_ln = {q.value - b.value,
                std::sqrt(q.unc * q.unc + b.unc * b.unc - 2 * cov)};
  r.ratio = {std::exp(r.ratio_ln.value),
             std::exp(r.ratio_ln.value) * r.ratio_ln.unc};
  const LD pc = r.ppl.value * r.ppl_base.value * cov;
  r.diff = {r.ppl.value - r.ppl_base.value,
            std::sqrt(r.ppl.unc * r.ppl.unc + r.ppl_base.unc * r.ppl_base.unc -
                      2 * pc)};
  r.kld = RefMean(s[5], s[6], n);
  r.dp = RefMean(s[7], s[8], n);
  const RefEstimate mse = RefMean(s[8], s[9], n);
  r.rms = {std::sqrt(mse.value), 0.5L / std::sqrt(mse.value) * mse.unc};
  const LD p = same / n;
  r.same = {p, std::sqrt(p * (1 - p) / (n - 1))};
  return r;
}

void ExpectClose(const Estimate& got, const RefEstimate& want, const char* what) {
  EXPECT_NEAR(got.value, static_cast<double>(want.value),
              1e-10 * std::fabs(static_cast<double>(want.value)) + 1e-300)
      << what;
  EXPECT_NEAR(got.uncertainty, static_cast<double>(want.unc),
              1e-8 * std::fabs(static_cast<double>(want.unc)) + 1e-300)
      << what << " uncertainty";
}

TEST(AccumulatorTest, MatchesLongDoubleReference) {
  const std::vector<TokenResult> tokens = RandomTokens(5000, 7);
  Accumulator acc;
  acc.Add(tokens);
  const Report r = acc.MakeReport();
  const RefReport ref = Reference(tokens);
  EXPECT_EQ(r.n_tokens, 5000u);
  ExpectClose(r.ppl, ref.ppl, "ppl");
  ExpectClose(r.ppl_base, ref.ppl_base, "ppl_base");
  ExpectClose(r.ln_ppl_ratio, ref.ratio_ln, "ln ratio");
  ExpectClose(r.ppl_ratio, ref.ratio, "ratio");
  ExpectClose(r.ppl_diff, ref.diff, "diff");
  ExpectClose(r.kld, ref.kld, "kld");
  ExpectClose(r.dp, ref.dp, "dp");
  ExpectClose(r.dp_rms, ref.rms, "rms");
  ExpectClose(r.same_top, ref.same, "same top");
  EXPECT_NEAR(r.ln_ppl_correlation, static_cast<double>(ref.cor), 1e-9);
}

TEST(AccumulatorTest, SumsKeepPrecisionOverManyTokens) {
  // 2^22 tokens of KLD 0.1: the exact sum is 2^22 * 0.1 (a power of two
  // times a double), so the compensated mean must be 0.1 exactly; a plain
  // double sum drifts by ~n ulps (about 1e-11 relative here).
  Accumulator acc;
  TokenResult t;
  t.kld = 0.1;
  t.nll = t.nll_base = 1.0f;
  t.p = t.p_base = std::exp(-1.0f);
  const uint64_t n = uint64_t{1} << 22;
  double plain = 0;
  for (uint64_t i = 0; i < n; ++i) {
    acc.Add(t);
    plain += t.kld;
  }
  EXPECT_NE(plain / static_cast<double>(n), 0.1);  // the test would bite
  EXPECT_EQ(acc.MakeReport(false).kld.value, 0.1);
}

TEST(AccumulatorTest, InvalidTokensAreCountedNeverAveraged) {
  const std::vector<TokenResult> tokens = RandomTokens(300, 3);
  Accumulator clean, mixed;
  clean.Add(tokens);
  for (size_t i = 0; i < tokens.size(); ++i) {
    mixed.Add(tokens[i]);
    if (i % 50 == 0) mixed.Add(InvalidToken(kInvalidModelNaN | kInvalidBase));
  }
  mixed.Add(InvalidToken(kInvalidModelInf));
  mixed.Add(InvalidToken(kInvalidModelEmpty));
  mixed.Add(InvalidToken(kInvalidBase));
  TokenResult bad = tokens[0];
  bad.kld = std::numeric_limits<double>::infinity();
  mixed.Add(bad);  // flags say valid, but a field is not finite
  bad.kld = 1e200;  // finite, but its square would overflow the sums
  mixed.Add(bad);
  const Report a = clean.MakeReport(), b = mixed.MakeReport();
  EXPECT_EQ(b.n_tokens, 300u);
  EXPECT_EQ(b.n_skipped_model_nan, 6u);  // NaN wins over base
  EXPECT_EQ(b.n_skipped_model_inf, 1u);
  EXPECT_EQ(b.n_skipped_model_empty, 1u);
  EXPECT_EQ(b.n_skipped_base, 1u);
  EXPECT_EQ(b.n_skipped_non_finite, 2u);
  EXPECT_EQ(b.n_skipped, 11u);
  EXPECT_EQ(mixed.SkippedCount(), 11u);
  // Whatever was added, the state encodes into bytes its decoder takes.
  EXPECT_EQ(Accumulator::Deserialize(mixed.Serialize()).Serialize(),
            mixed.Serialize());
  const std::string clean_text = RenderText(a), mixed_text = RenderText(b);
  ASSERT_EQ(mixed_text.rfind(clean_text, 0), 0u);  // same blocks first
  EXPECT_EQ(mixed_text.substr(clean_text.size()),
            "Skipped tokens: 11 (model NaN 6, model +inf 1, model empty 1, "
            "base 1, non-finite 2)\n");
}

TEST(AccumulatorTest, NoFinalBlockBelowHundredTokens) {
  const std::vector<TokenResult> tokens = RandomTokens(100, 5);
  Accumulator acc;
  EXPECT_TRUE(acc.IsEmpty());
  for (size_t i = 0; i < 99; ++i) acc.Add(tokens[i]);
  EXPECT_FALSE(acc.MakeReport().has_statistics);
  EXPECT_EQ(RenderText(acc.MakeReport()), "");
  acc.Add(testing::InvalidToken(kInvalidBase));  // skipped: still reported
  EXPECT_EQ(RenderText(acc.MakeReport()),
            "Skipped tokens: 1 (model NaN 0, model +inf 0, model empty 0, "
            "base 1, non-finite 0)\n");
  acc.Add(tokens[99]);
  EXPECT_TRUE(acc.MakeReport().has_statistics);
  EXPECT_NE(RenderText(acc.MakeReport()).find("Same top p"), std::string::npos);
}

TEST(AccumulatorTest, FewTokensHaveNoUncertainty) {
  const std::vector<TokenResult> tokens = RandomTokens(10, 9);
  Accumulator acc;
  for (size_t i = 0; i < 9; ++i) acc.Add(tokens[i]);
  EXPECT_EQ(acc.MakeReport().ln_ppl_covariance, 0.0);  // needs n >= 10
  acc.Add(tokens[9]);
  const Report r = acc.MakeReport();
  EXPECT_NE(r.ln_ppl_covariance, 0.0);
  EXPECT_EQ(r.kld.uncertainty, 0.0);  // needs n > 10
  EXPECT_EQ(r.ppl.uncertainty, 0.0);
  acc.Add(tokens[0]);
  EXPECT_GT(acc.MakeReport().kld.uncertainty, 0.0);
}

// Tokens with nll = nll_base = 1, KLD k, Δp d, all same top.
std::vector<TokenResult> Constant(size_t n, double k, float d, bool same) {
  TokenResult t;
  t.nll = t.nll_base = 1.0f;
  t.kld = k;
  t.dp = d;
  t.p = t.p_base = 0.5f;
  t.flags = same ? kSameTop : 0u;
  return std::vector<TokenResult>(n, t);
}

TEST(AccumulatorTest, ChunkLinesShowRunningTotals) {
  Accumulator acc;
  acc.Add(Constant(100, 0.5, 0.01f, true));
  // Worked by hand: PPL e, ln ratio 0, KLD 0.5, RMS 1%, same top 100%.
  EXPECT_EQ(FormatChunkLine(1, acc.MakeReport(false)),
            "   1       2.7183 \u00b1    0.0000       0.00000 \u00b1    0.00000"
            "       0.50000 \u00b1    0.00000     1.000 \u00b1  0.000 %"
            "    100.000 \u00b1  0.000 %\n");
  acc.Add(Constant(100, 0.1, 0.01f, false));
  // Over both chunks: KLD mean 0.3, sd 0.2 -> 0.2/sqrt(199) = 0.01418;
  // same top 50% +- sqrt(.25/199) = 3.544%.
  EXPECT_EQ(FormatChunkLine(12, acc.MakeReport(false)),
            "  12       2.7183 \u00b1    0.0000       0.00000 \u00b1    0.00000"
            "       0.30000 \u00b1    0.01418     1.000 \u00b1  0.000 %"
            "    50.000 \u00b1  3.544 %\n");
}

TEST(AccumulatorTest, RendersWorkedExample) {
  Accumulator acc;
  acc.Add(Constant(100, 0.5, 0.01f, true));
  const std::string text = RenderText(acc.MakeReport());
  EXPECT_NE(text.find("Mean PPL(Q)                   :   2.718282 \u00b1   "
                      "0.000000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Mean    KLD:   0.500000 \u00b1   0.000000\n"),
            std::string::npos);
  EXPECT_NE(text.find("Median  KLD:   0.500000\n"), std::string::npos);
  EXPECT_NE(text.find("Maximum \u0394p:  1.000%\n"), std::string::npos);
  EXPECT_NE(text.find("Same top p: 100.000 \u00b1 0.000 %\n"),
            std::string::npos);
}

// The part of a line before ':' (the label), trimmed on the right.
std::vector<std::string> FinalLabels(const std::string& text) {
  std::vector<std::string> labels;
  std::istringstream in(text);
  std::string line;
  bool in_final = false;
  while (std::getline(in, line)) {
    if (line.rfind("======", 0) == 0) in_final = true;
    if (!in_final || line.empty()) continue;
    labels.push_back(line.substr(0, line.find(':')));
  }
  return labels;
}

TEST(AccumulatorTest, LabelsAndOrderMatchLlamaCpp) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.kld-report.txt");
  std::ifstream file(path);
  std::stringstream fixture;
  fixture << file.rdbuf();
  Accumulator acc;
  acc.Add(RandomTokens(200, 1));
  const std::vector<std::string> want = FinalLabels(fixture.str());
  ASSERT_EQ(want.size(), 37u);  // 3 headers + 6 + 12 + 16 lines
  EXPECT_EQ(FinalLabels(RenderText(acc.MakeReport())), want);
  // The chunk header line is llama.cpp's, byte for byte.
  const std::string header = ChunkHeader();
  EXPECT_NE(fixture.str().find(header), std::string::npos);
}

TEST(AccumulatorTest, JsonHasEveryField) {
  Accumulator acc;
  acc.Add(Constant(100, 0.5, 0.01f, true));
  acc.Add(InvalidToken(kInvalidBase));
  const std::string json = RenderJson(acc.MakeReport());
  for (const char* key :
       {"\"schema\": \"kldkit.report\"", "\"schema_version\": 1",
        "\"tokens\": 100", "\"skipped_base\": 1", "\"ppl_diff\"",
        "\"ln_ppl_correlation\"", "\"99.9\": 0.5", "\"75.0\": 0.0099999997764825821",
        "\"rms\": {\"value\": 0.0099999", "\"same_top\": {"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  }
  // Zero-variance correlation is NaN: JSON has no NaN, so null.
  EXPECT_NE(json.find("\"ln_ppl_correlation\": null"), std::string::npos);
}

TEST(AccumulatorTest, RejectsBadOptions) {
  AccumulatorOptions o;
  o.percentiles = PercentileMode::kSketch;
  o.sketch_relative_accuracy = 0.5;
  EXPECT_THROW(Accumulator{o}, Error);
  o.sketch_relative_accuracy = std::nan("");
  EXPECT_THROW(Accumulator{o}, Error);
  o.percentiles = static_cast<PercentileMode>(7);
  EXPECT_THROW(Accumulator{o}, Error);
}

}  // namespace
}  // namespace kldkit
