// QuantizeRow and DequantizeRow on every compiled Highway target: codes and
// scale bit-identical to the scalar llama.cpp re-implementation
// (llamacpp_loop.h) in strict and fast mode, byte-identical rows against
// files written by the real llama.cpp, and dequantized values against the
// long-double log-softmax.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "tests/fixtures.h"
#include "tests/kernels/llamacpp_loop.h"
#include "tests/kernels/reference.h"
#include "tests/kernels/test_util.h"

// Outside kldkit:: so that kldkit::testing cannot hide ::testing.
namespace {

using kldkit::DequantizeRow;
using kldkit::LlamaRowHeader;
using kldkit::LlamaRowWords;
using kldkit::QuantizeOptions;
using kldkit::QuantizeRow;
using kldkit::ReadLlamaRowHeader;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::testing::AllShapes;
using kldkit::testing::GaussianLogits;
using kldkit::testing::GuardedOut;
using kldkit::testing::GuardedRow;
using kldkit::testing::kFloatTypes;
using kldkit::testing::MakeRow;
using kldkit::testing::QuantizeRowReference;
using kldkit::testing::RefDequantize;
using kldkit::testing::RefLogSoftmax;
using kldkit::testing::Shape;
using kldkit::testing::ShapeName;
using kldkit::testing::StatusOf;
using kldkit::testing::Tol;
using kldkit::testing::TypeName;

constexpr uint16_t kFill = 0xBEEF;  // pre-fill: catches unwritten words
constexpr size_t kGuardWords = 8;

// Distance in float ulps (same-sign finite floats).
int64_t UlpDistance(float a, float b) {
  int32_t ia;
  int32_t ib;
  std::memcpy(&ia, &a, sizeof(ia));
  std::memcpy(&ib, &b, sizeof(ib));
  if (ia < 0) ia = std::numeric_limits<int32_t>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<int32_t>::min() - ib;
  return std::llabs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

// Quantizes with the kernel into a guarded buffer; returns the row words.
std::vector<uint16_t> KernelQuantize(const GuardedRow& row,
                                     const QuantizeOptions& options,
                                     bool* guards_ok) {
  const size_t words = LlamaRowWords(row.Values().size());
  std::vector<uint16_t> buf(words + kGuardWords, kFill);
  QuantizeRow(row.View(), gsl::span<uint16_t>(buf.data(), words), options);
  *guards_ok = true;
  for (size_t i = words; i < buf.size(); ++i) *guards_ok &= buf[i] == kFill;
  buf.resize(words);
  return buf;
}

// Returns "" if the kernel's row agrees with the reference's, else why not.
std::string CompareRows(const std::vector<uint16_t>& got,
                        const std::vector<uint16_t>& want, bool strict) {
  const LlamaRowHeader g = ReadLlamaRowHeader(got.data());
  const LlamaRowHeader w = ReadLlamaRowHeader(want.data());
  if (std::memcmp(&g.scale, &w.scale, sizeof(float)) != 0) {
    return "scale " + std::to_string(g.scale) + " vs " +
           std::to_string(w.scale);
  }
  const int64_t ulps = UlpDistance(g.min_log_prob, w.min_log_prob);
  if (ulps > (strict ? 0 : 2)) {
    return "min_log_prob " + std::to_string(g.min_log_prob) + " vs " +
           std::to_string(w.min_log_prob) + ", " + std::to_string(ulps) +
           " ulp";
  }
  for (size_t i = 4; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      return "word " + std::to_string(i) + ": " + std::to_string(got[i]) +
             " vs " + std::to_string(want[i]);
    }
  }
  return "";
}

// One random row for the bulk test: any shape, type, spread, floor.
struct RandomCase {
  std::vector<float> x;
  RowType type;
  size_t offset;
  std::string label;
};

RandomCase MakeRandomCase(std::mt19937_64& rng, size_t n) {
  // Gaussian rows stay below 1e4 so that f16 does not overflow to +inf.
  static constexpr float kSpreadChoice[] = {1e-3f, 0.3f, 1.0f, 3.0f,
                                            10.0f, 100.0f, 1e4f};
  const size_t kind = rng() % (AllShapes().size() + 2);
  const bool gaussian = kind >= AllShapes().size();
  const float spread = kSpreadChoice[rng() % (gaussian ? 6 : 7)];
  RandomCase c;
  c.x = gaussian ? GaussianLogits(n, spread, rng())
                 : MakeRow(AllShapes()[kind], n, spread, rng());
  if (std::isinf(c.x[0])) c.x[0] = 1.0f;  // at least one finite entry
  c.type = kFloatTypes[rng() % 3];
  c.offset = rng() % 16;
  c.label = std::string(TypeName(c.type)) + " " +
            (gaussian ? "gaussian" : ShapeName(AllShapes()[kind])) +
            " spread=" + std::to_string(spread);
  return c;
}

class QuantizeTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(QuantizeTest);

// 10,400 rows per target and mode: small odd and even vocabularies of every
// shape (scale == 0 rows come from all-equal ones), plus a few large rows.
TEST_P(QuantizeTest, BitIdenticalToLlamaCppOnRandomRows) {
  std::mt19937_64 rng(2024);
  size_t scale_zero_rows = 0;
  for (int k = 0; k < 10400; ++k) {
    const size_t n = k < 10395 ? 1 + rng() % 300
                               : kldkit::testing::LargeSizes()[k % 3];
    const RandomCase c = MakeRandomCase(rng, n);
    GuardedRow row(c.x, c.type, c.offset);
    const float floor = k % 2 == 0 ? 16.0f : 24.0f;
    std::vector<uint16_t> want(LlamaRowWords(n));
    QuantizeRowReference(row.Values().data(), n, floor, want.data());
    scale_zero_rows += ReadLlamaRowHeader(want.data()).scale == 0.0f;
    for (bool strict : {true, false}) {
      bool guards_ok = false;
      const std::vector<uint16_t> got =
          KernelQuantize(row, QuantizeOptions{floor, strict}, &guards_ok);
      const std::string diff = CompareRows(got, want, strict);
      ASSERT_TRUE(diff.empty() && guards_ok)
          << "row " << k << " " << c.label << " n=" << n
          << " floor=" << floor << (strict ? " strict" : " fast") << ": "
          << (guards_ok ? diff : "wrote past the row");
    }
  }
  EXPECT_GT(scale_zero_rows, 100u);  // the scale == 0 branch was exercised
}

TEST_P(QuantizeTest, DequantizedRowTracksLogSoftmax) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{17}, size_t{255},
                   size_t{32000}}) {
    for (float spread : {0.5f, 3.0f, 20.0f}) {
      const std::vector<float> x = GaussianLogits(n, spread, n);
      std::vector<uint16_t> row(LlamaRowWords(n));
      QuantizeRow(RowView::F32(x), row);
      const std::vector<long double> want = RefLogSoftmax(x.data(), n);
      GuardedOut out(n, n % 16);
      DequantizeRow(row, n, out.Span());
      EXPECT_TRUE(out.GuardsIntact()) << "n=" << n;
      const LlamaRowHeader h = ReadLlamaRowHeader(row.data());
      // Quantization error: half a step; entries clamped to the floor read
      // as min_log_prob.
      for (size_t i = 0; i < n; ++i) {
        const double got = out.Span()[i];
        const double w = static_cast<double>(want[i]);
        if (row[4 + i] == 0) {
          EXPECT_EQ(got, h.min_log_prob) << "n=" << n << " i=" << i;
          continue;
        }
        ASSERT_NEAR(got, w, 0.51 * h.scale + Tol(16, w, 32.0))
            << "n=" << n << " spread=" << spread << " i=" << i;
      }
    }
  }
}

TEST_P(QuantizeTest, DequantizeMatchesReference) {
  std::mt19937_64 rng(7);
  for (size_t n : {size_t{1}, size_t{3}, size_t{16}, size_t{17}, size_t{63},
                   size_t{1001},
                   kldkit::testing::CappedVocab(262144)}) {
    std::vector<uint16_t> row(LlamaRowWords(n) + kGuardWords, 65535);
    const float scale = 24.0f / 65535.0f;
    const float min_log_prob = -31.7f;
    std::memcpy(row.data(), &scale, sizeof(float));
    std::memcpy(row.data() + 2, &min_log_prob, sizeof(float));
    for (size_t i = 0; i < n; ++i) row[4 + i] = static_cast<uint16_t>(rng());
    const std::vector<long double> want = RefDequantize(row.data(), n);
    GuardedOut out(n, n % 16);
    DequantizeRow(gsl::span<const uint16_t>(row.data(), LlamaRowWords(n)), n,
                  out.Span());
    EXPECT_TRUE(out.GuardsIntact()) << "n=" << n;
    for (size_t i = 0; i < n; ++i) {
      const double w = static_cast<double>(want[i]);
      ASSERT_NEAR(out.Span()[i], w, Tol(2, w, min_log_prob))
          << "n=" << n << " i=" << i;
    }
  }
}

TEST_P(QuantizeTest, NonFiniteInputThrows) {
  std::vector<uint16_t> warm(LlamaRowWords(2));
  const float warm_x[2] = {0.0f, 1.0f};
  QuantizeRow(RowView::F32(warm_x), warm);  // dispatch on this target
  for (RowType type : kFloatTypes) {
    for (size_t n : {size_t{1}, size_t{9}, size_t{64}, size_t{301}}) {
      std::vector<uint16_t> out(LlamaRowWords(n));
      std::vector<float> x(n, -INFINITY);
      for (bool strict : {true, false}) {
        const QuantizeOptions options{16.0f, strict};
        GuardedRow empty(x, type, 5);
        EXPECT_EQ(StatusOf([&] { QuantizeRow(empty.View(), out, options); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " all -inf n=" << n;
        std::vector<float> y = MakeRow(Shape::kUniform, n, 3.0f, n);
        y[n - 1] = std::numeric_limits<float>::quiet_NaN();
        GuardedRow nan_row(y, type, 2);
        EXPECT_EQ(StatusOf([&] { QuantizeRow(nan_row.View(), out, options); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " NaN n=" << n;
        y[n - 1] = INFINITY;
        GuardedRow inf_row(y, type, 2);
        EXPECT_EQ(StatusOf([&] { QuantizeRow(inf_row.View(), out, options); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " +inf n=" << n;
      }
    }
  }
}

TEST_P(QuantizeTest, InfoGivesTheBaseRunsNll) {
  // llama.cpp's base run: NLL = -(float(x_t - max) - log(sum expf(x - max)))
  // with the sum in double; strict rows reproduce it to the bit, the SIMD
  // exp to within a few float ulp.
  for (size_t n : {size_t{1}, size_t{17}, size_t{1000}, size_t{32000}}) {
    const std::vector<float> x = GaussianLogits(n, 3.0f, n + 5);
    const float max = *std::max_element(x.begin(), x.end());
    double sum = 0;
    for (float v : x) sum += expf(v - max);
    std::vector<uint16_t> row(LlamaRowWords(n));
    for (bool strict : {true, false}) {
      QuantizeOptions o;
      o.strict = strict;
      const kldkit::QuantizeInfo info = QuantizeRow(RowView::F32(x), row, o);
      EXPECT_EQ(info.max, max);
      const size_t t = n / 3;
      const float want = -static_cast<float>(
          static_cast<double>(x[t] - max) - std::log(sum));
      if (strict) {
        EXPECT_EQ(info.log_sum_exp, std::log(sum)) << n;
        EXPECT_EQ(info.Nll(x[t]), want) << n;
      } else {
        EXPECT_NEAR(info.log_sum_exp, std::log(sum), 4e-7 * (1 + std::log(sum)));
        EXPECT_NEAR(info.Nll(x[t]), want, 4e-6 * (1 + std::fabs(want))) << n;
      }
    }
  }
}

TEST(QuantizeArgs, BadArgumentsThrow) {
  const std::vector<float> x(9, 1.0f);
  std::vector<uint16_t> words(LlamaRowWords(9), 0);
  std::vector<uint16_t> short_words(LlamaRowWords(9) - 1, 0);
  std::vector<float> out(9);
  std::vector<float> short_out(8);
  const RowView empty{x.data(), 0, RowType::kF32};
  const RowView null_data{nullptr, 9, RowType::kF32};
  const RowView llama = RowView::Llama(words.data(), 9);
  for (const RowView& bad : {empty, null_data, llama}) {
    EXPECT_EQ(StatusOf([&] { QuantizeRow(bad, words); }),
              KLDKIT_ERROR_INVALID_ARGUMENT);
  }
  EXPECT_EQ(StatusOf([&] { QuantizeRow(RowView::F32(x), short_words); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { DequantizeRow(short_words, 9, out); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { DequantizeRow(words, 9, short_out); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] {
              DequantizeRow(words, 0, gsl::span<float>(out.data(), size_t{0}));
            }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
}

std::vector<char> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The Q8_0 model's float logits, quantized in strict mode, must give the
// rows the real llama.cpp wrote for that model, byte for byte (the odd-vocab
// padding does not arise: n_vocab 32000).
TEST(QuantizeFixture, StrictRowsMatchRealLlamaCppFile) {
  KLDKIT_REQUIRE_FIXTURE(npy_path, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(logits_path, "v32k-c128x4-q8_0.logits");
  const std::vector<char> npy = ReadFile(npy_path);
  const std::vector<char> file = ReadFile(logits_path);
  constexpr size_t kVocab = 32000;
  constexpr size_t kRows = 252;
  constexpr size_t kFileHeader = 20 + 4 * 128 * 4;  // magic..n_chunk, tokens
  uint16_t npy_header = 0;
  ASSERT_GT(npy.size(), 10u);
  std::memcpy(&npy_header, npy.data() + 8, sizeof(npy_header));
  const size_t npy_data = 10 + size_t{npy_header};
  const size_t row_bytes = LlamaRowWords(kVocab) * 2;
  ASSERT_EQ(npy.size(), npy_data + kRows * kVocab * 4);
  ASSERT_EQ(file.size(), kFileHeader + kRows * row_bytes);
  std::vector<float> x(kVocab);
  std::vector<uint16_t> got(LlamaRowWords(kVocab));
  for (size_t r = 0; r < kRows; ++r) {
    std::memcpy(x.data(), npy.data() + npy_data + r * kVocab * 4, kVocab * 4);
    QuantizeRow(RowView::F32(x), got, QuantizeOptions{16.0f, true});
    ASSERT_EQ(std::memcmp(got.data(), file.data() + kFileHeader + r * row_bytes,
                          row_bytes),
              0)
        << "row " << r;
  }
}

}  // namespace
