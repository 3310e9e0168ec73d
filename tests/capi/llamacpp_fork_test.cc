// examples/llamacpp_fork.c, run as a program: its base file is parsed byte
// by byte and checked against a double-precision quantization of the
// example's made-up model; the statistics it prints in KLD mode are checked
// against a double-precision recomputation from that file. No kldkit code
// takes part in the checks. Bad input must fail with kldkit's message.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using testing::ReadFileBytes;
using testing::TempPath;

// The example's text and model (examples/llamacpp_fork.c), restated.
constexpr int kVocab = 1000;
constexpr int kCtx = 128;
constexpr int kChunks = 4;
constexpr int kFirst = kCtx / 2;
constexpr int kRowsPerChunk = kCtx - 1 - kFirst;
constexpr double kNoise = 0.5;

int32_t NextToken(int32_t t) { return (7 * t + 3) % kVocab; }

std::vector<int32_t> TextTokens() {
  std::vector<int32_t> t(kCtx * kChunks);
  for (size_t i = 0; i < t.size(); ++i) {
    t[i] = i % 5 == 0 ? static_cast<int32_t>((i * 7919u + 13u) % kVocab)
                      : NextToken(t[i - 1]);
  }
  return t;
}

std::vector<float> ModelLogits(const int32_t* chunk, int pos, double noise) {
  std::vector<float> x(kVocab);
  const int32_t t = chunk[pos];
  const double phase = 0.13 * t + 0.05 * pos;
  for (int v = 0; v < kVocab; ++v) {
    x[v] = static_cast<float>(6.0 * std::cos(0.37 * v + phase) - 0.01 * v +
                              noise * std::sin(1.7 * v + 0.31 * pos));
  }
  const float top = *std::max_element(x.begin(), x.end());
  x[NextToken(t)] = top + 0.5f * static_cast<float>(t % 8);
  return x;
}

// Log-probabilities of float logits, in double.
std::vector<double> LogSoftmax(const std::vector<float>& x) {
  const double max = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (float v : x) sum += std::exp(v - max);
  std::vector<double> lp(x.size());
  for (size_t i = 0; i < x.size(); ++i) lp[i] = x[i] - max - std::log(sum);
  return lp;
}

// ---- The base file, parsed from its bytes (docs/FORMAT.md layout) ----------

uint32_t U32At(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}

float F32At(const std::string& b, size_t at) {
  const uint32_t bits = U32At(b, at);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

struct StoredRow {
  float scale = 0, min_log_prob = 0;
  std::vector<uint16_t> codes;
};

StoredRow RowAt(const std::string& b, size_t at) {
  StoredRow r;
  r.scale = F32At(b, at);
  r.min_log_prob = F32At(b, at + 4);
  for (int v = 0; v < kVocab; ++v) {
    const size_t p = at + 8 + 2 * v;
    r.codes.push_back(static_cast<uint16_t>(static_cast<uint8_t>(b[p]) |
                                            static_cast<uint8_t>(b[p + 1])
                                                << 8));
  }
  return r;
}

constexpr size_t kHeaderBytes = 20 + 4 * kCtx * kChunks;
constexpr size_t kRowBytes = 2 * (kVocab + 4);  // kVocab is even

// ---- Running the example ----------------------------------------------------

struct ExampleRun {
  int status = -1;
  std::string out, err;
};

ExampleRun RunExample(const std::string& args) {
  const std::string out = TempPath("fork", "stdout");
  const std::string err = TempPath("fork", "stderr");
  const std::string cmd = std::string("'") + KLDKIT_EXAMPLE_LLAMACPP_FORK +
                          "' " + args + " > '" + out + "' 2> '" + err + "'";
  const int raw = std::system(cmd.c_str());
  ExampleRun r;
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  r.out = ReadFileBytes(out);
  r.err = ReadFileBytes(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// The number after `label` in the example's output; NaN if absent.
double NumberAfter(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

class LlamacppFork : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new std::string(TempPath("fork", "base.logits"));
    std::remove(path_->c_str());
    base_run_ = new ExampleRun(RunExample("base '" + *path_ + "'"));
  }
  static void TearDownTestSuite() {
    std::remove(path_->c_str());
    delete path_;
    delete base_run_;
  }
  static std::string* path_;
  static ExampleRun* base_run_;
};

std::string* LlamacppFork::path_ = nullptr;
ExampleRun* LlamacppFork::base_run_ = nullptr;

TEST_F(LlamacppFork, BaseModeWritesTheLlamacppLayout) {
  ASSERT_EQ(base_run_->status, 0) << base_run_->err;
  const std::string b = ReadFileBytes(*path_);
  const size_t rows = size_t{kChunks} * kRowsPerChunk;
  ASSERT_EQ(b.size(), kHeaderBytes + rows * kRowBytes);
  EXPECT_EQ(b.substr(0, 8), "_logits_");
  EXPECT_EQ(U32At(b, 8), uint32_t{kCtx});
  EXPECT_EQ(U32At(b, 12), uint32_t{kVocab});
  EXPECT_EQ(U32At(b, 16), uint32_t{kChunks});
  const std::vector<int32_t> tokens = TextTokens();
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_EQ(static_cast<int32_t>(U32At(b, 20 + 4 * i)), tokens[i]) << i;
  }
  // Each row: llama.cpp's quantization of the base model's logits at the
  // row's position (16 nats kept, 65535 steps).
  for (size_t r = 0; r < rows; ++r) {
    const int chunk = static_cast<int>(r / kRowsPerChunk);
    const int pos = kFirst + static_cast<int>(r % kRowsPerChunk);
    const std::vector<float> x =
        ModelLogits(&tokens[size_t{kCtx} * chunk], pos, 0.0);
    const double max = *std::max_element(x.begin(), x.end());
    const double lo =
        std::max<double>(*std::min_element(x.begin(), x.end()), max - 16);
    const double lse = x[0] - LogSoftmax(x)[0];  // log(sum(exp(x)))
    const StoredRow s = RowAt(b, kHeaderBytes + r * kRowBytes);
    ASSERT_NEAR(s.scale, (max - lo) / 65535, 1e-6 * s.scale) << r;
    ASSERT_NEAR(s.min_log_prob, lo - lse, 2e-5) << r;
    for (int v = 0; v < kVocab; ++v) {
      const double code = x[v] > lo ? (x[v] - lo) / s.scale : 0.0;
      ASSERT_NEAR(s.codes[v], code, 0.51) << "row " << r << " token " << v;
    }
  }
}

TEST_F(LlamacppFork, KldModePrintsTheStatisticsOfTheFile) {
  ASSERT_EQ(base_run_->status, 0) << base_run_->err;
  const ExampleRun run = RunExample("kld '" + *path_ + "'");
  ASSERT_EQ(run.status, 0) << run.err;
  // llama.cpp's KLD, nll and top-1 definitions, from the stored rows and the
  // perturbed model's logits, in double.
  const std::string b = ReadFileBytes(*path_);
  const std::vector<int32_t> tokens = TextTokens();
  double kld = 0, nll = 0, nll_base = 0;
  int same_top = 0, n = 0;
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    const int32_t* text = &tokens[size_t{kCtx} * chunk];
    for (int pos = kFirst; pos < kCtx - 1; ++pos, ++n) {
      const StoredRow s = RowAt(b, kHeaderBytes + n * kRowBytes);
      const std::vector<float> x = ModelLogits(text, pos, kNoise);
      const std::vector<double> lp = LogSoftmax(x);
      std::vector<double> lp_base(kVocab);
      for (int v = 0; v < kVocab; ++v) {
        lp_base[v] = double{s.scale} * s.codes[v] + s.min_log_prob;
        if (lp_base[v] > -16) {
          kld += std::exp(lp_base[v]) * (lp_base[v] - lp[v]);
        }
      }
      nll -= lp[text[pos + 1]];
      nll_base -= lp_base[text[pos + 1]];
      same_top += std::max_element(x.begin(), x.end()) - x.begin() ==
                  std::max_element(lp_base.begin(), lp_base.end()) -
                      lp_base.begin();
    }
  }
  EXPECT_NE(run.out.find(std::to_string(n) + " tokens scored"),
            std::string::npos);
  const double mean_kld = kld / n;
  EXPECT_GT(mean_kld, 1e-3);  // the perturbation is visible
  EXPECT_NEAR(NumberAfter(run.out, "Mean    KLD:"), mean_kld, 5e-6);
  EXPECT_NEAR(NumberAfter(run.out, "Mean PPL(Q)                   :"),
              std::exp(nll / n), 1e-5 * std::exp(nll / n));
  EXPECT_NEAR(NumberAfter(run.out, "Mean PPL(base)                :"),
              std::exp(nll_base / n), 1e-5 * std::exp(nll_base / n));
  EXPECT_NEAR(NumberAfter(run.out, "Same top p:"), 100.0 * same_top / n,
              1e-3);
  // One running line per chunk, after llama.cpp's column header.
  EXPECT_NE(run.out.find("KL Divergence"), std::string::npos);
  EXPECT_NE(run.out.find("\n   4 "), std::string::npos);
}

TEST_F(LlamacppFork, BaseRunStraightIntoAKldzHoldsTheSameRowsAndItsPpl) {
  ASSERT_EQ(base_run_->status, 0) << base_run_->err;
  const std::string kldz = TempPath("fork", "direct.kldz");
  const ExampleRun run = RunExample("base '" + kldz + "'");
  ASSERT_EQ(run.status, 0) << run.err;
  // Exported, the container is the llama.cpp file run 1 writes, byte for
  // byte (strict rows): no llama.cpp file was needed to make it.
  const std::string back = TempPath("fork", "direct.logits");
  ExportLlamaFile(kldz, back);
  EXPECT_TRUE(ReadFileBytes(back) == ReadFileBytes(*path_));
  // The printed perplexity is the base model's on the text, recomputed in
  // double from the logits.
  const std::vector<int32_t> text = TextTokens();
  double nll = 0;
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    for (int pos = kFirst; pos < kCtx - 1; ++pos) {
      const int32_t* tokens = &text[size_t{kCtx} * chunk];
      nll -= LogSoftmax(ModelLogits(tokens, pos, 0.0))[tokens[pos + 1]];
    }
  }
  const double ppl = std::exp(nll / (kChunks * kRowsPerChunk));
  EXPECT_NEAR(NumberAfter(run.out, "Final estimate: PPL = "), ppl,
              1e-4 * ppl);
  // Run 2 scores from it as from the llama.cpp file.
  EXPECT_EQ(RunExample("kld '" + kldz + "'").out,
            RunExample("kld '" + *path_ + "'").out);
  std::remove(kldz.c_str());
  std::remove(back.c_str());
}

TEST_F(LlamacppFork, KldModeReadsAContainerOfTheBaseFileAlike) {
  ASSERT_EQ(base_run_->status, 0) << base_run_->err;
  const std::string kldz = TempPath("fork", "base.kldz");
  ImportLlamaFile(*path_, kldz);
  const ExampleRun from_file = RunExample("kld '" + *path_ + "'");
  const ExampleRun from_kldz = RunExample("kld '" + kldz + "'");
  std::remove(kldz.c_str());
  ASSERT_EQ(from_kldz.status, 0) << from_kldz.err;
  EXPECT_EQ(from_kldz.out, from_file.out);
}

TEST_F(LlamacppFork, BadInputFailsWithKldkitsMessage) {
  const std::string missing = TempPath("fork", "missing.logits");
  ExampleRun r = RunExample("kld '" + missing + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("kldkit_reader_open: I/O error"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;

  // A valid base file of another text is refused, as llama.cpp does.
  const std::string other = TempPath("fork", "other.logits");
  {
    std::vector<int32_t> tokens(size_t{kCtx} * kChunks, 5);
    LlamaFileWriter w(other, {kCtx, kVocab, kChunks}, tokens);
    const std::string bytes = ReadFileBytes(*path_);
    for (size_t row = 0; row < size_t{kChunks} * kRowsPerChunk; ++row) {
      std::vector<uint16_t> words(kVocab + 4);
      std::memcpy(words.data(), bytes.data() + kHeaderBytes + row * kRowBytes,
                  kRowBytes);
      w.AppendRow(words);
    }
    w.Close();
  }
  r = RunExample("kld '" + other + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("other tokens"), std::string::npos) << r.err;
  std::remove(other.c_str());

  r = RunExample("base '" + TempPath("fork", "no-such-dir/x.logits") + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("kldkit_llama_writer_create: I/O error"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(RunExample("").status, 2);
}

}  // namespace
}  // namespace kldkit
