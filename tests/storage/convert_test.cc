// Tests of float logits -> llama.cpp file conversion and of salvage.
#include "kldkit/convert.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using Bytes = std::string;

std::string TempPath(const std::string& name) {
  return testing::TempPath("convert", name);
}


std::string WriteTemp(const std::string& name, const Bytes& b) {
  const std::string path = TempPath(name);
  testing::WriteFileBytes(path, b);
  return path;
}


template <typename F>
kldkit_status StatusOf(F fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.Status();
  }
  return KLDKIT_OK;
}

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Differences between two llama.cpp files of the same shape, field by field.
struct RowDiff {
  uint64_t rows = 0;           // rows with any difference
  uint64_t scale = 0;          // rows whose scale differs
  uint64_t min_log_prob = 0;   // rows whose min_log_prob differs
  uint32_t max_mlp_ulp = 0;    // largest min_log_prob difference, float ulp
  uint64_t code_rows = 0;      // rows with a differing code
  uint64_t codes = 0;          // differing codes in all
  uint32_t max_code_delta = 0;
};

RowDiff Diff(const std::string& a_path, const std::string& b_path) {
  LlamaFileReader a(a_path), b(b_path);
  const size_t n_vocab = static_cast<size_t>(a.Header().n_vocab);
  std::vector<uint16_t> ra(a.RowWords()), rb(b.RowWords());
  RowDiff d;
  for (uint64_t r = 0; r < a.RowCount(); ++r) {
    a.ReadRow(r, ra);
    b.ReadRow(r, rb);
    const LlamaRowHeader ha = ReadLlamaRowHeader(ra.data());
    const LlamaRowHeader hb = ReadLlamaRowHeader(rb.data());
    bool any = false;
    if (Bits(ha.scale) != Bits(hb.scale)) ++d.scale, any = true;
    if (Bits(ha.min_log_prob) != Bits(hb.min_log_prob)) {
      ++d.min_log_prob;
      any = true;
      const int64_t ulp = std::llabs(int64_t{Bits(ha.min_log_prob)} -
                                     int64_t{Bits(hb.min_log_prob)});
      d.max_mlp_ulp = std::max(d.max_mlp_ulp, static_cast<uint32_t>(ulp));
    }
    uint64_t codes = 0;
    for (size_t i = 0; i < n_vocab; ++i) {
      if (ra[4 + i] != rb[4 + i]) {
        ++codes;
        d.max_code_delta = std::max<uint32_t>(
            d.max_code_delta,
            static_cast<uint32_t>(std::abs(int{ra[4 + i]} - int{rb[4 + i]})));
      }
    }
    d.codes += codes;
    if (codes != 0) ++d.code_rows, any = true;
    if (any) ++d.rows;
  }
  return d;
}

std::string Describe(const RowDiff& d) {
  return "rows differing " + std::to_string(d.rows) + ", scale " +
         std::to_string(d.scale) + ", min_log_prob " +
         std::to_string(d.min_log_prob) + " (max " +
         std::to_string(d.max_mlp_ulp) + " ulp), code rows " +
         std::to_string(d.code_rows) + ", codes " + std::to_string(d.codes) +
         " (max delta " + std::to_string(d.max_code_delta) + ")";
}

// ---- The fixtures: the Q8_0 model's float logits and its own file ------------

TEST(Convert, StrictQ8LogitsReproduceQ8FileByteForByte) {
  KLDKIT_REQUIRE_FIXTURE(logits, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(q8, "v32k-c128x4-q8_0.logits");
  const std::string out = TempPath("q8_strict.logits");
  ConvertOptions options;
  options.quantize.strict = true;
  const ConvertResult result = ConvertLogitsFile(logits, base, out, options);
  EXPECT_EQ(result.rows, 252u);
  EXPECT_EQ(result.header.n_chunk, 4);
  const RowDiff d = Diff(out, q8);
  std::cout << "strict vs llama.cpp: " << Describe(d) << "\n";
  EXPECT_TRUE(testing::ReadFileBytes(out) == testing::ReadFileBytes(q8)) << Describe(d);
  std::remove(out.c_str());
}

TEST(Convert, FastQ8LogitsMatchCodesAndScaleExactly) {
  KLDKIT_REQUIRE_FIXTURE(logits, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(q8, "v32k-c128x4-q8_0.logits");
  const std::string out = TempPath("q8_fast.logits");
  ConvertLogitsFile(logits, base, out);  // strict = false
  const RowDiff d = Diff(out, q8);
  std::cout << "fast vs llama.cpp: " << Describe(d) << "\n";
  EXPECT_EQ(d.scale, 0u) << Describe(d);
  EXPECT_EQ(d.codes, 0u) << Describe(d);
  EXPECT_LE(d.max_mlp_ulp, 2u) << Describe(d);
  std::remove(out.c_str());
}

// ---- A worked example ---------------------------------------------------------

// An .npy file built by hand (format 1.0).
Bytes Npy(const std::string& descr, const std::string& shape,
          const Bytes& data) {
  const std::string dict = "{'descr': '" + descr +
                           "', 'fortran_order': False, 'shape': " + shape +
                           ", }\n";
  Bytes b = "\x93NUMPY\x01";
  b += '\0';
  b += static_cast<char>(dict.size());
  b += '\0';
  return b + dict + data;
}

template <typename T>
Bytes Raw(const std::vector<T>& v) {
  return Bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// n_ctx 4: one scored row per chunk (position 2 predicts token 3).
// Row {0, -1, -20} (f16: 0x0000, 0xbc00, 0xcd00): max 0, the floor clamps
// -20 to min_logit -16, scale 16/65535, codes 65535, round(15/scale) =
// round(61439.06) = 61439, and 0.
TEST(Convert, WorkedExampleFromF16Logits) {
  const std::vector<uint16_t> halves = {0x0000, 0xbc00, 0xcd00,
                                        0x0000, 0xbc00, 0xcd00};
  const std::string logits =
      WriteTemp("worked.npy", Npy("<f2", "(2, 3)", Raw(halves)));
  const std::vector<int32_t> tokens = {0, 1, 2, 1, 0, 2, 2, 0};
  const std::string out = TempPath("worked.logits");
  const ConvertResult r =
      ConvertLogits(NpyReader(logits), tokens, 4, out, QuantizeOptions{});
  EXPECT_EQ(r.header.n_chunk, 2);
  EXPECT_EQ(r.header.n_vocab, 3);
  LlamaFileReader reader(out);
  ASSERT_EQ(reader.RowCount(), 2u);
  EXPECT_EQ(reader.TargetToken(0), 1);
  EXPECT_EQ(reader.TargetToken(1), 0);
  std::vector<uint16_t> row(reader.RowWords());
  reader.ReadRow(1, row);
  const LlamaRowHeader h = ReadLlamaRowHeader(row.data());
  EXPECT_EQ(h.scale, 16.0f / 65535.0f);
  const long double lse =
      std::log(1.0L + std::exp(-1.0L) + std::exp(-20.0L));
  EXPECT_NEAR(h.min_log_prob, static_cast<double>(-16.0L - lse), 4e-6);
  EXPECT_EQ(row[4], 65535);
  EXPECT_EQ(row[5], 61439);
  EXPECT_EQ(row[6], 0);
  EXPECT_EQ(row[7], 0);  // odd-vocab padding
  std::remove(logits.c_str());
  std::remove(out.c_str());
}

// ---- Validation ---------------------------------------------------------------

class ConvertErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    // 2 chunks of n_ctx 5 (2 scored rows each) over a vocabulary of 4.
    std::vector<float> v(16);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 4);
    logits_ = WriteTemp("err.npy", Npy("<f4", "(4, 4)", Raw(v)));
    tokens_ = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
  }
  void TearDown() override {
    std::remove(logits_.c_str());
    EXPECT_FALSE(testing::FileExists(out_)) << "output left behind";
    EXPECT_FALSE(testing::FileExists(out_ + ".tmp")) << "temporary left behind";
  }
  kldkit_status Convert(gsl::span<const int32_t> tokens, uint32_t n_ctx,
                        std::string* message = nullptr) {
    return StatusOf(
        [&] { ConvertLogits(NpyReader(logits_), tokens, n_ctx, out_); },
        message);
  }

  std::string logits_;
  std::vector<int32_t> tokens_;
  const std::string out_ = TempPath("err.logits");
};

TEST_F(ConvertErrors, ValidInputConverts) {
  EXPECT_EQ(Convert(tokens_, 5), KLDKIT_OK);
  EXPECT_EQ(LlamaFileReader(out_).RowCount(), 4u);
  std::remove(out_.c_str());
}

TEST_F(ConvertErrors, RowCountMustMatchChunks) {
  std::string message;
  const std::vector<int32_t> three_chunks(15, 0);
  EXPECT_EQ(Convert(three_chunks, 5, &message), KLDKIT_ERROR_MISMATCH);
  EXPECT_NE(message.find("4 rows of logits, 3 chunks of n_ctx 5 need 6"),
            std::string::npos)
      << message;
}

TEST_F(ConvertErrors, TokensMustBeWholeChunks) {
  EXPECT_EQ(Convert(gsl::span<const int32_t>(tokens_).first(9), 5),
            KLDKIT_ERROR_MISMATCH);
  EXPECT_EQ(Convert(gsl::span<const int32_t>(), 5), KLDKIT_ERROR_MISMATCH);
}

TEST_F(ConvertErrors, TokensMustIndexTheVocabulary) {
  tokens_[7] = 4;
  std::string message;
  EXPECT_EQ(Convert(tokens_, 5, &message), KLDKIT_ERROR_MISMATCH);
  EXPECT_NE(message.find("token 7 is 4"), std::string::npos) << message;
}

TEST_F(ConvertErrors, BadNctxIsInvalidArgument) {
  EXPECT_EQ(Convert(tokens_, 2), KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Convert(tokens_, 0), KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST_F(ConvertErrors, NonFiniteRowIsNamed) {
  std::vector<float> v(16, 1.0f);
  v[9] = INFINITY;  // row 2
  std::remove(logits_.c_str());
  logits_ = WriteTemp("inf.npy", Npy("<f4", "(4, 4)", Raw(v)));
  std::string message;
  EXPECT_EQ(Convert(tokens_, 5, &message), KLDKIT_ERROR_NON_FINITE);
  EXPECT_NE(message.find("row 2:"), std::string::npos) << message;
  EXPECT_NE(message.find(logits_), std::string::npos) << message;
}

// Disabled: QuantizeRow (lib/kernels as of this commit) does not yet report a
// NaN entry as NON_FINITE; enable once the kernels detect NaN rows.
TEST_F(ConvertErrors, NaNRowIsNonFinite) {
  std::vector<float> v(16, 1.0f);
  v[13] = NAN;  // row 3
  std::remove(logits_.c_str());
  logits_ = WriteTemp("nan.npy", Npy("<f4", "(4, 4)", Raw(v)));
  std::string message;
  EXPECT_EQ(Convert(tokens_, 5, &message), KLDKIT_ERROR_NON_FINITE);
  EXPECT_NE(message.find("row 3:"), std::string::npos) << message;
}

TEST_F(ConvertErrors, TokenSources) {
  // A 1-D int32 .npy needs n_ctx; with it, the result equals the direct call.
  const std::string tokens_npy = TempPath("tokens.npy");
  WriteNpyInt32(tokens_npy, tokens_);
  EXPECT_EQ(StatusOf([&] { ConvertLogitsFile(logits_, tokens_npy, out_); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  ConvertOptions options;
  options.n_ctx = 5;
  ConvertLogitsFile(logits_, tokens_npy, out_, options);
  const Bytes via_npy = testing::ReadFileBytes(out_);
  std::remove(out_.c_str());
  ASSERT_EQ(Convert(tokens_, 5), KLDKIT_OK);
  EXPECT_EQ(testing::ReadFileBytes(out_), via_npy);
  // A llama.cpp file as the source: its n_ctx is used, its vocab checked.
  const std::string source = TempPath("source.logits");
  std::rename(out_.c_str(), source.c_str());
  ConvertLogitsFile(logits_, source, out_);
  EXPECT_EQ(testing::ReadFileBytes(out_), via_npy);
  std::remove(out_.c_str());
  options.n_ctx = 10;
  EXPECT_EQ(StatusOf([&] { ConvertLogitsFile(logits_, source, out_, options); }),
            KLDKIT_ERROR_MISMATCH);
  const std::vector<float> wide(20, 0.0f);
  const std::string wide_npy =
      WriteTemp("wide.npy", Npy("<f4", "(4, 5)", Raw(wide)));
  std::string message;
  EXPECT_EQ(StatusOf([&] { ConvertLogitsFile(wide_npy, source, out_); },
                     &message),
            KLDKIT_ERROR_MISMATCH);
  EXPECT_NE(message.find("n_vocab 4"), std::string::npos) << message;
  // Float token ids are refused; int32 logits too.
  EXPECT_EQ(StatusOf([&] { ConvertLogitsFile(logits_, logits_, out_); }),
            KLDKIT_ERROR_UNSUPPORTED);
  EXPECT_EQ(StatusOf([&] { ConvertLogitsFile(tokens_npy, source, out_); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  for (const std::string& p : {tokens_npy, source, wide_npy}) {
    std::remove(p.c_str());
  }
}

// ---- Salvage --------------------------------------------------------------------

TEST(Salvage, KeepsWholeChunksOfATruncatedFile) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  const Bytes raw = testing::ReadFileBytes(path);
  const size_t data = 20 + 512 * 4, row = 64008;
  // 2 chunks (126 rows) + 37 rows + part of a row.
  const std::string cut =
      WriteTemp("salvage_in.logits", raw.substr(0, data + 163 * row + 999));
  const std::string out = TempPath("salvage_out.logits");
  const SalvageResult r = SalvageLlamaFile(cut, out);
  EXPECT_EQ(r.header.n_chunk, 2);
  EXPECT_EQ(r.rows_kept, 126u);
  EXPECT_EQ(r.rows_dropped, 37u);
  // Expected bytes: the header with n_chunk 2, the first 256 tokens, the
  // first 126 rows, cut from the original file.
  Bytes want = raw.substr(0, 16);
  want += Bytes("\x02\0\0\0", 4);
  want += raw.substr(20, 256 * 4);
  want += raw.substr(data, 126 * row);
  EXPECT_TRUE(testing::ReadFileBytes(out) == want);
  EXPECT_EQ(LlamaFileReader(out).RowCount(), 126u);
  std::remove(cut.c_str());
  std::remove(out.c_str());
}

TEST(Salvage, CompleteFileIsCopiedExactly) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.logits");
  const std::string out = TempPath("salvage_full.logits");
  const SalvageResult r = SalvageLlamaFile(path, out);
  EXPECT_EQ(r.rows_kept, 252u);
  EXPECT_EQ(r.rows_dropped, 0u);
  EXPECT_TRUE(testing::ReadFileBytes(out) == testing::ReadFileBytes(path));
  std::remove(out.c_str());
}

TEST(Salvage, NoCompleteChunkIsTruncated) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  const Bytes raw = testing::ReadFileBytes(path);
  const std::string cut = WriteTemp(
      "salvage_short.logits", raw.substr(0, 20 + 512 * 4 + 62 * 64008));
  const std::string out = TempPath("salvage_short_out.logits");
  std::string message;
  EXPECT_EQ(StatusOf([&] { SalvageLlamaFile(cut, out); }, &message),
            KLDKIT_ERROR_TRUNCATED);
  EXPECT_NE(message.find("62 rows, a chunk has 63"), std::string::npos)
      << message;
  EXPECT_FALSE(testing::FileExists(out));
  std::remove(cut.c_str());
}

}  // namespace
}  // namespace kldkit
