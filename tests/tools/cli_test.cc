// End-to-end tests of the kldkit binary on the real llama.cpp fixtures: the
// printed report against llama-perplexity's own output, byte-exact convert
// round trips, verify/recover on damaged files, refusals, rank and its SVG.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/fixtures.h"
#include "tests/gguf_writer.h"
#include "tests/tools/cli_test_util.h"

namespace kldkit {
namespace testing {
namespace {

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr char kQuant[] = "v32k-c128x4-q8_0.logits";
constexpr char kQuantNpy[] = "v32k-c128x4-q8_0.f32.npy";
constexpr char kReport[] = "v32k-c128x4-q8_0.kld-report.txt";

// The report part of llama-perplexity's output: from the per-chunk header
// to "Same top p".
std::string ReportSection(const std::string& text, const std::string& first) {
  const size_t begin = text.find(first);
  const size_t end = text.find('\n', text.rfind("Same top p"));
  if (begin == std::string::npos || end == std::string::npos) return "";
  return text.substr(begin, end - begin + 1);
}

struct Token {
  bool number;
  std::string text;
};

// Splits text into numbers and the words between them (whitespace dropped).
std::vector<Token> Tokenize(const std::string& text) {
  static const std::regex kNumber(R"(-?[0-9]+(\.[0-9]+)?)");
  std::vector<Token> out;
  auto add_words = [&](const std::string& s) {
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back({false, w});
  };
  size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kNumber);
       it != std::sregex_iterator(); ++it) {
    add_words(text.substr(last, it->position() - last));
    out.push_back({true, it->str()});
    last = it->position() + it->length();
  }
  add_words(text.substr(last));
  return out;
}

// One unit of the last printed digit of `number`.
double LastDigitUnit(const std::string& number) {
  const size_t dot = number.find('.');
  if (dot == std::string::npos) return 1;
  return std::pow(10.0, -static_cast<double>(number.size() - dot - 1));
}

// Value of the first number after the ':' of the line labelled `label`.
std::map<std::string, std::string> FinalBlockValues(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line;
  static const std::regex kLine(R"(^([^:]+?)\s*:\s*(-?[0-9]+\.[0-9]+))");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kLine)) values[m[1]] = m[2];
  }
  return values;
}

class CliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunCli(dir_, args);
  }
  TempFolder dir_;
};

TEST_F(CliTest, NpyQuantReproducesLlamaPerplexityReport) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  KLDKIT_REQUIRE_FIXTURE(report, kReport);
  const CliResult r = Run({"compare", base, npy, "--chunks", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string want = ReportSection(ReadFileText(report), "chunk ");
  const std::string got = ReportSection(r.out, "chunk ");
  ASSERT_FALSE(want.empty());
  const std::vector<Token> w = Tokenize(want), g = Tokenize(got);
  ASSERT_EQ(w.size(), g.size()) << got;
  size_t numbers = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    ASSERT_EQ(w[i].number, g[i].number) << w[i].text << " vs " << g[i].text;
    if (!w[i].number) {
      EXPECT_EQ(w[i].text, g[i].text);
      continue;
    }
    ++numbers;
    // Same printed digits, within +-1 in the last one (SIMD exp vs expf).
    EXPECT_EQ(LastDigitUnit(w[i].text), LastDigitUnit(g[i].text)) << g[i].text;
    const double unit = LastDigitUnit(w[i].text);
    EXPECT_LE(std::fabs(std::stod(w[i].text) - std::stod(g[i].text)),
              unit * 1.001)
        << "token " << i << ": llama.cpp " << w[i].text << ", kldkit "
        << g[i].text;
  }
  // 4 chunk lines of 11 numbers, 61 in the final block (labels included).
  EXPECT_EQ(numbers, 105u);
}

TEST_F(CliTest, StoredQuantWithinFixtureTolerances) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(report, kReport);
  const CliResult r = Run({"compare", base, quant, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string block = "====== Perplexity statistics";
  const auto want =
      FinalBlockValues(ReportSection(ReadFileText(report), block));
  const auto got = FinalBlockValues(ReportSection(r.out, block));
  // The fixtures README's table, in printed units (percent for Δp and
  // same-top), plus one unit of the last printed digit for rounding.
  auto tolerance = [](const std::string& label, double value) {
    if (label == "Mean PPL(Q)" || label == "Mean PPL(base)" ||
        label == "Mean PPL(Q)/PPL(base)") {
      return 1e-5 * std::fabs(value);
    }
    if (label == "Mean ln(PPL(Q)/PPL(base))") return 5e-6;
    if (label == "Mean PPL(Q)-PPL(base)") return 5e-5;
    if (label == "Mean    KLD") return 3e-6;
    if (label.find("KLD") != std::string::npos) return 3e-5;
    if (label == "Mean    Δp" || label == "RMS Δp") return 0.002;
    if (label.find("Δp") != std::string::npos) return 0.02;
    if (label == "Same top p") return 0.0011;
    return 0.0;  // the correlation: printed digits
  };
  ASSERT_EQ(want.size(), got.size());
  EXPECT_EQ(want.size(), 34u);  // every labelled line of the final block
  for (const auto& [label, text] : want) {
    ASSERT_EQ(got.count(label), 1u) << label;
    const double w = std::stod(text), g = std::stod(got.at(label));
    EXPECT_LE(std::fabs(w - g), tolerance(label, w) + LastDigitUnit(text))
        << label << ": llama.cpp " << text << ", kldkit " << got.at(label);
  }
}

TEST_F(CliTest, ReportDoesNotDependOnThreadsOrSource) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  const CliResult one = Run({"compare", base, npy, "--json", "-q"});
  const CliResult two = Run({"compare", base, npy, "--json", "-q", "-t", "2"});
  ASSERT_EQ(one.status, 0) << one.err;
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  EXPECT_NE(one.out.find("\"schema\": \"kldkit.report\""), std::string::npos);
  // The base read from a container gives the same report, on any number
  // of threads (decoding 1, 2 or 3 of its 4 blocks ahead).
  ASSERT_EQ(Run({"convert", base, "base.kldz", "-q"}).status, 0);
  for (const char* threads : {"1", "2", "3"}) {
    const CliResult kldz = Run({"compare", dir_.File("base.kldz"), npy,
                                "--json", "-q", "-t", threads});
    ASSERT_EQ(kldz.status, 0) << kldz.err;
    EXPECT_EQ(one.out, kldz.out) << "-t " << threads;
  }
  // The text report too, with a stored quant and per-chunk lines.
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  const CliResult text_one = Run({"compare", base, quant, "--chunks", "-q"});
  ASSERT_EQ(text_one.status, 0) << text_one.err;
  for (const char* threads : {"1", "2"}) {
    for (const std::string& b : {base, dir_.File("base.kldz")}) {
      const CliResult text = Run({"compare", b, quant, "--chunks", "-q",
                                  "-t", threads});
      ASSERT_EQ(text.status, 0) << text.err;
      EXPECT_EQ(text_one.out, text.out) << b << " -t " << threads;
    }
  }
}

TEST_F(CliTest, ConvertRoundTripIsByteExact) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  CliResult r = Run({"convert", base, "b.kldz", "--level", "3", "-t", "2",
                     "--meta", "model=tiny", "--meta", "quant=F16", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Run({"convert", "b.kldz", "back.logits", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(SameBytes(base, dir_.File("back.logits")));
  // Decoding on two threads, or on more than a cursor takes (clamped).
  for (const char* threads : {"2", "200"}) {
    r = Run({"convert", "b.kldz", "back2.logits", "-t", threads, "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(SameBytes(base, dir_.File("back2.logits"))) << threads;
  }
  // info shows the header, the metadata and a ratio above 1.
  r = Run({"info", "b.kldz"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("n_vocab:      32000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows:         252 of 252"), std::string::npos);
  EXPECT_NE(r.out.find("model = tiny"), std::string::npos);
  EXPECT_NE(r.out.find("quant = F16"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(ratio:\s+([0-9.]+))")));
  EXPECT_GT(std::stod(m[1]), 1.2);
  // .kldz -> .kldz at another level keeps the rows.
  ASSERT_EQ(Run({"convert", "b.kldz", "c.kldz", "--level", "1", "-q"}).status,
            0);
  ASSERT_EQ(Run({"convert", "c.kldz", "c.logits", "-q"}).status, 0);
  EXPECT_TRUE(SameBytes(base, dir_.File("c.logits")));
}

TEST_F(CliTest, StrictNpyConvertEqualsLlamaCppFile) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  CliResult r =
      Run({"convert", npy, "q.logits", "--tokens", base, "--strict", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(SameBytes(quant, dir_.File("q.logits")));
  // Straight to a container, then back.
  r = Run({"convert", npy, "q.kldz", "--tokens", base, "--strict", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(Run({"convert", "q.kldz", "q2.logits", "-q"}).status, 0);
  EXPECT_TRUE(SameBytes(quant, dir_.File("q2.logits")));
  // Without tokens it is refused, naming what is missing.
  r = Run({"convert", npy, "x.logits"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--tokens"), std::string::npos) << r.err;
}

TEST_F(CliTest, VerifyDetectsDamageAndRecoverSavesBlocks) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  ASSERT_EQ(Run({"convert", base, "b.kldz", "-q"}).status, 0);
  CliResult r = Run({"verify", "b.kldz"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("OK, 252 rows"), std::string::npos) << r.out;
  // Flip one byte in the middle of the rows.
  std::string bytes = ReadFileText(dir_.File("b.kldz"));
  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  std::ofstream(dir_.File("bad.kldz"), std::ios::binary) << damaged;
  for (const char* threads : {"1", "3"}) {
    r = Run({"verify", "bad.kldz", "-t", threads});
    EXPECT_EQ(r.status, 4) << threads;
    EXPECT_NE(r.err.find("bad.kldz"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(Run({"verify", "b.kldz", "-t", "3"}).status, 0);
  EXPECT_NE(Run({"verify", "b.kldz", "-t", "0"}).status, 0);
  // A writer killed mid-way: the first 60% of the file.
  std::ofstream(dir_.File("cut.kldz.tmp"), std::ios::binary)
      << bytes.substr(0, bytes.size() * 6 / 10);
  EXPECT_EQ(Run({"verify", "cut.kldz.tmp"}).status, 4);
  r = Run({"recover", "cut.kldz.tmp", "saved.kldz"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Run({"verify", "saved.kldz"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(OK, ([0-9]+) rows)")));
  EXPECT_GT(std::stoi(m[1]), 0);
  EXPECT_LT(std::stoi(m[1]), 252);
}

TEST_F(CliTest, RecoverTruncatedLlamaFileKeepsWholeChunks) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  const std::string bytes = ReadFileText(base);
  // 20 + 512*4 header bytes, then 252 rows of 64008 bytes: keep 3.5 chunks.
  const size_t row = (32000 + 4) * 2;
  const size_t keep = 20 + 512 * 4 + row * (3 * 63 + 30);
  std::ofstream(dir_.File("cut.logits"), std::ios::binary)
      << bytes.substr(0, keep);
  CliResult r = Run({"info", "cut.logits"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("219 of 252"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INCOMPLETE"), std::string::npos);
  EXPECT_EQ(Run({"verify", "cut.logits"}).status, 4);
  r = Run({"recover", "cut.logits", "saved.logits"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("kept 3 complete chunks (189 rows)"), std::string::npos)
      << r.out;
  EXPECT_EQ(ReadFileText(dir_.File("saved.logits")).size(),
            20 + 3 * 128 * 4 + 189 * row);
  // A 3-chunk quant against the 4-chunk base is refused, unless forced.
  r = Run({"compare", base, "saved.logits", "-q"});
  EXPECT_EQ(r.status, 5);
  EXPECT_NE(r.err.find("saved.logits"), std::string::npos) << r.err;
  r = Run({"compare", base, "saved.logits", "-q", "--force", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"tokens\": 189"), std::string::npos);
}

TEST_F(CliTest, DifferentTokensAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  LlamaFileReader reader(base);
  std::vector<int32_t> tokens(reader.Tokens().begin(), reader.Tokens().end());
  WriteNpyInt32(dir_.File("same.npy"), tokens);
  tokens[100] = (tokens[100] + 1) % 32000;
  WriteNpyInt32(dir_.File("other.npy"), tokens);
  CliResult r = Run({"compare", npy, npy, "--tokens", "same.npy", "--ctx",
                     "128", "--mode", "exact", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Mean    KLD:   0.000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Same top p: 100.000"), std::string::npos);
  r = Run({"compare", base, npy, "--tokens", "other.npy", "--ctx", "128"});
  EXPECT_EQ(r.status, 5);
  EXPECT_NE(r.err.find("token ids"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos);
  // Exact mode needs floats on both sides.
  r = Run({"compare", base, npy, "--mode", "exact"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(kBase), std::string::npos) << r.err;
}

TEST_F(CliTest, FloatBaseIsQuantizedAsLlamaCppStoresIt) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  // The float rows of q8_0 as base, quantized on the fly, against the
  // rows llama.cpp stored from them: identical rows, so KLD 0 and the same
  // top token everywhere (token ids taken from the f16 file).
  const CliResult r =
      Run({"compare", npy, quant, "--tokens", base, "-q", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"same_top\": 252"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"max\": 0,"), std::string::npos) << r.out;
}

TEST_F(CliTest, WorstAndDumpTokens) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  const CliResult r = Run({"compare", base, npy, "--worst", "5",
                           "--dump-tokens", "tokens.csv", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Five lines of decreasing KLD, the first being the printed maximum.
  const size_t at = r.out.find("Tokens with the largest KLD");
  ASSERT_NE(at, std::string::npos);
  std::istringstream in(r.out.substr(at));
  std::string line;
  std::getline(in, line);
  std::getline(in, line);  // column header
  std::vector<double> klds;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    double rank, row, chunk, pos, token, kld;
    ASSERT_TRUE(f >> rank >> row >> chunk >> pos >> token >> kld) << line;
    EXPECT_GE(pos, 64);
    EXPECT_LE(pos, 126);
    klds.push_back(kld);
  }
  ASSERT_EQ(klds.size(), 5u);
  EXPECT_TRUE(std::is_sorted(klds.rbegin(), klds.rend()));
  EXPECT_NEAR(klds[0], 0.000461, 1.5e-6);  // llama.cpp's Maximum KLD
  // The CSV: a header and 252 rows whose mean KLD is llama.cpp's.
  std::istringstream csv(ReadFileText(dir_.File("tokens.csv")));
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("row,chunk,pos,token,kld,", 0), 0u) << line;
  double sum = 0;
  size_t n = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::stringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 13u);
    sum += std::stod(cells[4]);
    ++n;
  }
  EXPECT_EQ(n, 252u);
  EXPECT_NEAR(sum / static_cast<double>(n), 0.000167, 1e-6);
  // The same as .npy: float32 [252, 13].
  ASSERT_EQ(Run({"compare", base, npy, "--dump-tokens", "t.npy", "-q"}).status,
            0);
  NpyReader dump(dir_.File("t.npy"));
  EXPECT_EQ(dump.Rows(), 252u);
  EXPECT_EQ(dump.Cols(), 13u);
}

TEST_F(CliTest, SketchPercentilesAndChunksJson) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  CliResult r = Run({"compare", base, npy, "--percentiles", "sketch",
                     "--chunks", "--json", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"percentile_mode\": \"sketch\""), std::string::npos);
  EXPECT_EQ(CountOf(r.out, "\"schema\": \"kldkit.report\""), 5u);  // 4 + final
  r = Run({"compare", base, npy, "--percentiles", "sketch", "-q"});
  ASSERT_EQ(r.status, 0);
  const double p999 = std::stod(FinalBlockValues(r.out).at("99.9%   KLD"));
  EXPECT_NEAR(p999, 0.000460, 0.000460 * 2e-3 + 1e-6);
}

TEST_F(CliTest, ErrorsAndHelp) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(text, "text.txt");
  CliResult r = Run({"compare", base, text});
  EXPECT_EQ(r.status, 4);
  EXPECT_NE(r.err.find("text.txt"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = Run({"compare", base, "missing.logits"});
  EXPECT_GE(r.status, 100);  // CLI11's validation error
  EXPECT_NE(r.err.find("missing.logits"), std::string::npos);
  r = Run({"compare", base, base, "--mode", "fancy"});
  EXPECT_GE(r.status, 100);
  EXPECT_NE(Run({}).status, 0);  // a subcommand is required
  for (const char* cmd :
       {"compare", "convert", "info", "verify", "recover", "rank", "demo"}) {
    r = Run({cmd, "--help"});
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("Exit status:"), std::string::npos) << cmd;
  }
  r = Run({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("."), std::string::npos);
}

TEST_F(CliTest, RankSortsAndPlots) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  CliResult r =
      Run({"rank", base, quant, npy, "--names", "stored,live", "--size",
           "7GiB,3GiB", "--sort", "size", "--svg", "plot.svg", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Sorted by size: live (3 GiB) first.
  const size_t live = r.out.find("live"), stored = r.out.find("stored");
  ASSERT_NE(live, std::string::npos);
  ASSERT_NE(stored, std::string::npos);
  EXPECT_LT(live, stored);
  EXPECT_NE(r.out.find("3.00 GiB"), std::string::npos);
  // live has both the smaller size and (per llama.cpp) mean KLD 0.000167 <
  // the stored quant's 0.000168: the frontier is live alone.
  const std::string svg = ReadFileText(dir_.File("plot.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            std::string::npos);
  EXPECT_EQ(CountOf(svg, "<circle class=\"point"), 2u);
  EXPECT_EQ(CountOf(svg, "<circle class=\"point frontier\""), 1u);
  EXPECT_NE(svg.find("class=\"point frontier\" cx=\""), std::string::npos);
  EXPECT_NE(svg.find("data-label=\"live\""), std::string::npos);
  EXPECT_EQ(CountOf(svg, "<polyline class=\"frontier\""), 1u);
  EXPECT_NE(svg.find("<text class=\"label\""), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  // JSON, sorted by efficiency: live is ideal on size, near on KLD.
  r = Run({"rank", base, quant, npy, "--names", "stored,live", "--size",
           "7GiB,3GiB", "--sort", "efficiency", "--json", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"schema\": \"kldkit.rank\""), std::string::npos);
  EXPECT_LT(r.out.find("\"live\""), r.out.find("\"stored\""));
  // Sizes must match the quants.
  r = Run({"rank", base, quant, npy, "--size", "7GiB"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--size"), std::string::npos);
}

// Split on a delimiter (no quoting: the cells tested here have none).
std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST_F(CliTest, RankTableAsCsvAndMarkdown) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  CliResult r = Run({"rank", base, quant, npy, "--names", "stored,q\"8",
                     "--size", "7GiB,3GiB", "--format", "csv", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  // RFC 4180: CRLF rows, a name with a quote quoted (--names splits on
  // commas, so none can hold one).
  const std::vector<std::string> rows = SplitOn(r.out, '\n');
  ASSERT_EQ(rows.size(), 4u) << r.out;  // header, 2 quants, "" after the last
  // The pair columns (the paired bootstrap, rank_test) sit on the better
  // quant's row; the last row leaves them empty.
  EXPECT_EQ(rows[0], "rank,quant,size_bytes,mean_kld,p99_9_kld,ppl_ratio,"
                     "same_top,efficiency,diff_to_next,diff_low,diff_high,"
                     "p_order,chunks_to_separate\r");
  EXPECT_EQ(rows[1].rfind("1,\"q\"\"8\",3221225472,", 0), 0u) << rows[1];
  const std::vector<std::string> stored = SplitOn(rows[2], ',');
  ASSERT_EQ(stored.size(), 13u) << rows[2];
  EXPECT_EQ(stored[12], "\r");
  EXPECT_EQ(stored[1], "stored");
  EXPECT_EQ(stored[2], "7516192768");
  // llama.cpp printed 0.000168 for the stored Q8_0 (fixture report).
  EXPECT_NEAR(std::stod(stored[3]), 0.000168, 0.5e-6);
  EXPECT_NEAR(std::stod(stored[7]), std::sqrt(2.0), 1e-6);  // largest, worst

  r = Run({"rank", base, quant, npy, "--names", "stored,a|b", "--format",
           "markdown", "-q", "--sort", "jsd"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> md = SplitOn(r.out, '\n');
  ASSERT_EQ(md.size(), 5u) << r.out;
  EXPECT_EQ(md[0], "| rank | quant | size | mean KLD | 99.9% KLD | PPL ratio "
                   "| same top | efficiency | jsd | vs next | low | high | "
                   "P(order) | chunks to separate |");
  EXPECT_EQ(md[1].rfind("| ---: | :--- | ---: |", 0), 0u);
  EXPECT_NE(r.out.find("a\\|b"), std::string::npos) << "escaped pipe";
  EXPECT_NE(md[2].find("| - |"), std::string::npos) << "no size: a dash";
  EXPECT_EQ(CountOf(md[3], " | "), 13u);  // 14 cells
  // --json is --format json, and refuses another --format.
  r = Run({"rank", base, quant, "--json", "--format", "csv", "-q"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--json"), std::string::npos);
}

// --size with GGUF files: sizes and bits per weight in every format.
TEST_F(CliTest, RankGivesBitsPerWeightOfGgufSizes) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  // 8.5 bits per weight (Q8_0's 34 bytes per 32) and 4.5 (Q4_0's 18).
  const std::vector<testing::GgufTensor> q8 = {{"w", {1024, 64}, 8, 34 * 2048}};
  const std::vector<testing::GgufTensor> q4 = {{"w", {1024, 64}, 2, 18 * 2048}};
  for (const auto& [name, tensors] : {std::pair{"q8.gguf", q8},
                                      std::pair{"q4.gguf", q4}}) {
    const std::vector<uint8_t> b = testing::MakeGguf(tensors);
    std::ofstream(dir_.File(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()),
               static_cast<std::streamsize>(b.size()));
  }
  const std::string sizes = dir_.File("q8.gguf") + "," + dir_.File("q4.gguf");
  CliResult r = Run({"rank", base, quant, npy, "--size", sizes, "--names",
                     "q8,q4", "--format", "csv", "--sort", "size", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> rows = SplitOn(r.out, '\n');
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0].rfind("rank,quant,size_bytes,bits_per_weight,", 0), 0u);
  EXPECT_EQ(SplitOn(rows[1], ',')[1], "q4");
  EXPECT_EQ(SplitOn(rows[1], ',')[3], "4.5");
  EXPECT_EQ(SplitOn(rows[2], ',')[3], "8.5");
  r = Run({"rank", base, quant, npy, "--size", sizes, "-q"});
  EXPECT_NE(r.out.find("  bpw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 8.50 "), std::string::npos) << r.out;
  r = Run({"rank", base, quant, npy, "--size", sizes, "--json", "-q"});
  EXPECT_NE(r.out.find("\"bits_per_weight\": 4.5"), std::string::npos);
  // A lying GGUF header is an error naming the file.
  std::vector<uint8_t> bad = testing::MakeGguf(q4);
  bad[8] = 0xff;  // tensor count
  std::ofstream(dir_.File("bad.gguf"), std::ios::binary)
      .write(reinterpret_cast<const char*>(bad.data()),
             static_cast<std::streamsize>(bad.size()));
  r = Run({"rank", base, quant, "--size", dir_.File("bad.gguf"), "-q"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("bad.gguf"), std::string::npos) << r.err;
}

// The order of the quant names in a CSV rank table.
std::vector<std::string> CsvOrder(const std::string& csv) {
  std::vector<std::string> names;
  for (const std::string& row : SplitOn(csv, '\n')) {
    const std::vector<std::string> cells = SplitOn(row, ',');
    if (cells.size() > 1 && cells[0] != "rank") names.push_back(cells[1]);
  }
  return names;
}

// Rank from printed reports: kldkit compare's own text and llama.cpp's
// output rank as the logits files do; both blocks of a log are read.
TEST_F(CliTest, RankFromLogsEqualsRankFromFiles) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  KLDKIT_REQUIRE_FIXTURE(npy, kQuantNpy);
  KLDKIT_REQUIRE_FIXTURE(report, "v32k-c128x4-q8_0.kld-report.txt");
  for (const auto& [model, log] : {std::pair{quant, "stored.txt"},
                                   std::pair{npy, "live.txt"}}) {
    const CliResult r = Run({"compare", base, model, "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::ofstream(dir_.File(log)) << r.out;
  }
  for (const std::string sort : {"mean-kld", "p99.9-kld", "same-top"}) {
    const CliResult files =
        Run({"rank", base, quant, npy, "--names", "stored,live", "--sort",
             sort, "--format", "csv", "-q"});
    const CliResult logs =
        Run({"rank", "--logs", dir_.File("stored.txt"), dir_.File("live.txt"),
             "--names", "stored,live", "--sort", sort, "--format", "csv"});
    ASSERT_EQ(logs.status, 0) << logs.err;
    EXPECT_EQ(CsvOrder(logs.out), CsvOrder(files.out)) << sort;
    EXPECT_EQ(CsvOrder(logs.out).size(), 2u);
  }
  // llama.cpp's own output of the live run: its printed mean KLD.
  CliResult r = Run({"rank", "--logs", report, "--format", "csv"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(",0.000167,0.00046,"), std::string::npos) << r.out;
  // A log with no statistics block names the file; no BASE with --logs.
  std::ofstream(dir_.File("empty.log")) << "main: build = 1\n";
  r = Run({"rank", "--logs", dir_.File("empty.log")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("empty.log"), std::string::npos) << r.err;
  r = Run({"rank", base, "--logs", report});
  EXPECT_EQ(r.status, 2);
}

TEST_F(CliTest, DemoPrintsReportsRankingAndPlot) {
  // Two chunks: the shards step and the paired intervals need them.
  const CliResult r = Run({"demo", "--rows", "126", "--svg", "demo.svg", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Neighbours on mean KLD (paired: 2 chunks"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bit for bit"), std::string::npos);
  EXPECT_NE(r.out.find("vocabulary 248320"), std::string::npos);
  EXPECT_NE(r.out.find("compression ratio"), std::string::npos);
  for (const char* m : {"Q8-like", "Q4-like", "Q2-like"}) {
    EXPECT_NE(r.out.find(m), std::string::npos) << m;
  }
  const std::string svg = ReadFileText(dir_.File("demo.svg"));
  EXPECT_EQ(CountOf(svg, "<circle class=\"point"), 3u);
  EXPECT_EQ(CountOf(svg, "<polyline class=\"frontier\""), 1u);
  EXPECT_GE(CountOf(svg, "class=\"errorbar\""), 3u);  // one bar per quant
}

TEST_F(CliTest, InfoAndVerifyReadTokenFiles) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  ASSERT_EQ(Run({"compare", base, quant, "--save-tokens", "t.kldt", "-q"})
                .status,
            0);
  CliResult r = Run({"info", "t.kldt"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> lines = {
      "kind:         kldkit token file",
      std::string("model:        ") + kQuant,
      "n_ctx:        128",
      "chunks:       4 of 4 (0:4)",
      "rows:         252 of 252 (63 per chunk)",
      "n_vocab:      32000",
      "mode:         llamacpp",
      "measures:     none"};
  for (const std::string& want : lines) {
    EXPECT_NE(r.out.find(want + "\n"), std::string::npos) << want << r.out;
  }
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex("identity:     [0-9a-f]{16}\n")))
      << r.out;
  r = Run({"verify", "t.kldt"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("OK, 252 rows (kldkit token file, every checksum "
                       "verified)"),
            std::string::npos)
      << r.out;
  // A byte flipped inside the first block's zstd frame (after the 12-byte
  // head and the block's 12-byte header).
  std::string bytes = ReadFileText(dir_.File("t.kldt"));
  bytes[12 + 12 + 20] ^= 0x40;
  std::ofstream(dir_.File("bad.kldt"), std::ios::binary) << bytes;
  r = Run({"verify", "bad.kldt"});
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.kldt"), std::string::npos) << r.err;
  EXPECT_NE(Run({"info", "bad.kldt"}).status, 0);
}

TEST_F(CliTest, InfoNamesTokenFileRangeMeasuresAndSize) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(quant, kQuant);
  // A GGUF of 8.5 bits per weight (Q8_0's 34 bytes per 32) as --size.
  const std::vector<uint8_t> gguf =
      testing::MakeGguf({{"w", {1024, 64}, 8, 34 * 2048}});
  std::ofstream(dir_.File("q8.gguf"), std::ios::binary)
      .write(reinterpret_cast<const char*>(gguf.data()),
             static_cast<std::streamsize>(gguf.size()));
  ASSERT_EQ(Run({"compare", base, quant, "--chunk-range", "1:3", "--measures",
                 "jsd,top_k_overlap", "--size", "q8.gguf", "--save-tokens",
                 "t.kldt", "-q"})
                .status,
            0);
  const CliResult r = Run({"info", "t.kldt"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("model size:   " + std::to_string(gguf.size()) +
                       " bytes ("),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("bits/weight:  8.5\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chunks:       2 of 4 (1:3)\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("rows:         126 of 252 (63 per chunk)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("measures:     jsd, top_k_overlap (K = 5, 10)\n"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace testing
}  // namespace kldkit
