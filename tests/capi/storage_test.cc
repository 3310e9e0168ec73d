// C ABI over storage: kldkit_reader (llama.cpp files, .npy arrays),
// kldkit_llama_writer, conversion and salvage. Results are checked against
// the C++ API reading or writing the same files, byte for byte; every bad
// argument, bad file and closed handle returns its documented status.
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "kldkit/convert.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/capi/capi_test_util.h"
#include "tests/fixtures.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "kldkit_capi_" + std::to_string(getpid()) +
         "_" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// A tiny evaluation: n_ctx 6 (2 scored rows per chunk), 3 chunks, vocab 9.
constexpr uint32_t kCtx = 6;
constexpr int32_t kVocab = 9;
constexpr int32_t kChunks = 3;
constexpr size_t kRows = 6;

std::vector<int32_t> Tokens() {
  std::vector<int32_t> t(kCtx * kChunks);
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<int32_t>(i * 5 % 9);
  return t;
}

std::vector<std::vector<float>> LogitRows() {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<std::vector<float>> rows(kRows, std::vector<float>(kVocab));
  for (auto& r : rows)
    for (float& v : r) v = dist(rng);
  return rows;
}

// Writes the tiny file with the C++ API (the reference bytes).
std::string WriteWithCpp(const std::string& name) {
  const std::string path = TempPath(name);
  const std::vector<int32_t> tokens = Tokens();
  LlamaFileWriter w(path, {kCtx, kVocab, kChunks}, tokens);
  std::vector<uint16_t> words(LlamaRowWords(kVocab));
  for (const auto& r : LogitRows()) {
    QuantizeRow(RowView::F32(r), words);
    w.AppendRow(words);
  }
  w.Close();
  return path;
}

TEST(CapiWriter, WritesTheSameBytesAsCpp) {
  const std::string expected = ReadAll(WriteWithCpp("cpp.logits"));
  const std::string path = TempPath("c.logits");
  const std::vector<int32_t> tokens = Tokens();
  kldkit_llama_writer* w = nullptr;
  ASSERT_EQ(kldkit_llama_writer_create(&w, path.c_str(), kCtx, kVocab,
                                       kChunks, tokens.data(), tokens.size()),
            KLDKIT_OK)
      << kldkit_last_error();
  const auto rows = LogitRows();
  std::vector<uint16_t> words(kldkit_llama_row_words(kVocab));
  for (size_t i = 0; i < rows.size(); ++i) {
    const kldkit_row row{rows[i].data(), rows[i].size(), KLDKIT_ROW_F32};
    if (i % 2 == 0) {  // both ways of appending
      ASSERT_EQ(kldkit_llama_writer_append_logits(w, &row, nullptr),
                KLDKIT_OK);
    } else {
      ASSERT_EQ(kldkit_quantize_row(words.data(), words.size(), &row, nullptr),
                KLDKIT_OK);
      ASSERT_EQ(kldkit_llama_writer_append_row(w, words.data(), words.size()),
                KLDKIT_OK);
    }
  }
  EXPECT_FALSE(Exists(path));  // only path.tmp until close
  ASSERT_EQ(kldkit_llama_writer_close(w), KLDKIT_OK) << kldkit_last_error();
  EXPECT_EQ(ReadAll(path), expected);
  // Closed: every call answers CLOSED; free still works.
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_close(w), KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_append_row(w, words.data(), words.size()),
      KLDKIT_ERROR_CLOSED);
  const kldkit_row row{rows[0].data(), rows[0].size(), KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_logits(w, &row, nullptr),
                        KLDKIT_ERROR_CLOSED);
  kldkit_llama_writer_free(w);
  kldkit_llama_writer_free(nullptr);
}

TEST(CapiWriter, ArgumentErrors) {
  const std::string path = TempPath("bad.logits");
  const std::vector<int32_t> tokens = Tokens();
  kldkit_llama_writer* w = reinterpret_cast<kldkit_llama_writer*>(&w);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, nullptr, kCtx, kVocab, kChunks,
                                 tokens.data(), tokens.size()),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(w, nullptr);  // cleared on failure
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(nullptr, path.c_str(), kCtx, kVocab, kChunks,
                                 tokens.data(), tokens.size()),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, path.c_str(), kCtx, kVocab, kChunks,
                                 nullptr, tokens.size()),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, path.c_str(), kCtx, kVocab, kChunks,
                                 tokens.data(), tokens.size() - 1),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, path.c_str(), 2, kVocab, kChunks,
                                 tokens.data(), 2 * kChunks),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, path.c_str(), kCtx, 0, kChunks,
                                 tokens.data(), tokens.size()),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, path.c_str(), kCtx, 3, kChunks,
                                 tokens.data(), tokens.size()),
      KLDKIT_ERROR_INVALID_ARGUMENT);  // tokens outside a vocab of 3
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_create(&w, "/nonexistent-dir/x.logits", kCtx,
                                 kVocab, kChunks, tokens.data(),
                                 tokens.size()),
      KLDKIT_ERROR_IO);

  ASSERT_EQ(kldkit_llama_writer_create(&w, path.c_str(), kCtx, kVocab, kChunks,
                                       tokens.data(), tokens.size()),
            KLDKIT_OK);
  std::vector<uint16_t> words(kldkit_llama_row_words(kVocab));
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_row(nullptr, words.data(),
                                                       words.size()),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_row(w, nullptr,
                                                       words.size()),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_row(w, words.data(),
                                                       words.size() - 2),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  std::vector<float> logits(kVocab + 1, 0.0f);
  const kldkit_row wrong_vocab{logits.data(), logits.size(), KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(
      kldkit_llama_writer_append_logits(w, &wrong_vocab, nullptr),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_logits(w, nullptr, nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_quantize_options zero = KLDKIT_QUANTIZE_OPTIONS_INIT;
  zero.struct_size = 0;
  const kldkit_row ok_row{logits.data(), kVocab, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_logits(w, &ok_row, &zero),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  for (size_t i = 0; i < kRows; ++i) {
    ASSERT_EQ(kldkit_llama_writer_append_logits(w, &ok_row, nullptr),
              KLDKIT_OK);
  }
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_append_logits(w, &ok_row, nullptr),
                        KLDKIT_ERROR_MISMATCH);  // one row too many
  kldkit_llama_writer_free(w);
  EXPECT_FALSE(Exists(path));  // never closed: nothing left
  EXPECT_FALSE(Exists(path + ".tmp"));
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_close(nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST(CapiWriter, CloseWithMissingRowsFailsAndLeavesNothing) {
  const std::string path = TempPath("short.logits");
  const std::vector<int32_t> tokens = Tokens();
  kldkit_llama_writer* w = nullptr;
  ASSERT_EQ(kldkit_llama_writer_create(&w, path.c_str(), kCtx, kVocab, kChunks,
                                       tokens.data(), tokens.size()),
            KLDKIT_OK);
  std::vector<uint16_t> words(kldkit_llama_row_words(kVocab), 0);
  ASSERT_EQ(kldkit_llama_writer_append_row(w, words.data(), words.size()),
            KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_close(w), KLDKIT_ERROR_MISMATCH);
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(Exists(path + ".tmp"));
  KLDKIT_EXPECT_FAILURE(kldkit_llama_writer_close(w), KLDKIT_ERROR_CLOSED);
  kldkit_llama_writer_free(w);
}

kldkit_reader* OpenOk(const std::string& path,
                      const kldkit_reader_options* options = nullptr) {
  kldkit_reader* r = nullptr;
  EXPECT_EQ(kldkit_reader_open(&r, path.c_str(), options), KLDKIT_OK)
      << kldkit_last_error();
  return r;
}

kldkit_reader_info Info(const kldkit_reader* r) {
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  EXPECT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
  return info;
}

TEST(CapiReader, LlamaFileMatchesCppReader) {
  const std::string path = WriteWithCpp("read.logits");
  LlamaFileReader cpp(path);
  kldkit_reader* r = OpenOk(path);
  ASSERT_NE(r, nullptr);
  const kldkit_reader_info info = Info(r);
  EXPECT_EQ(info.kind, uint32_t{KLDKIT_FILE_LLAMACPP});
  EXPECT_EQ(info.row_type, uint32_t{KLDKIT_ROW_LLAMA_U16});
  EXPECT_EQ(info.n_ctx, kCtx);
  EXPECT_EQ(info.n_chunk, kChunks);
  EXPECT_EQ(info.n_vocab, uint64_t{kVocab});
  EXPECT_EQ(info.n_rows, kRows);
  EXPECT_EQ(info.n_rows_expected, kRows);
  EXPECT_EQ(info.row_len, kldkit_llama_row_words(kVocab));
  EXPECT_EQ(info.n_tokens, uint64_t{kCtx * kChunks});
  std::vector<int32_t> tokens(info.n_tokens);
  ASSERT_EQ(kldkit_reader_read_tokens(tokens.data(), tokens.size(), r, 0),
            KLDKIT_OK);
  EXPECT_EQ(tokens, Tokens());
  int32_t tail[3];
  ASSERT_EQ(kldkit_reader_read_tokens(tail, 3, r, info.n_tokens - 3),
            KLDKIT_OK);
  EXPECT_EQ(tail[2], Tokens().back());
  std::vector<uint16_t> c(info.row_len), expect(info.row_len);
  for (uint64_t row = 0; row < kRows; ++row) {
    ASSERT_EQ(kldkit_reader_read_row_u16(c.data(), c.size(), r, row),
              KLDKIT_OK);
    cpp.ReadRow(row, expect);
    EXPECT_EQ(c, expect);
    int32_t target = -1;
    ASSERT_EQ(kldkit_reader_target_token(&target, r, row), KLDKIT_OK);
    EXPECT_EQ(target, cpp.TargetToken(row));
  }
  // Row 1 of chunk 0 predicts tokens[0*6 + 3 + 1 + 1] by hand.
  int32_t target = -1;
  ASSERT_EQ(kldkit_reader_target_token(&target, r, 1), KLDKIT_OK);
  EXPECT_EQ(target, Tokens()[5]);
  ASSERT_EQ(kldkit_reader_close(r), KLDKIT_OK);
  kldkit_reader_free(r);
}

TEST(CapiReader, RealLlamaCppFixture) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  kldkit_reader* r = OpenOk(path);
  ASSERT_NE(r, nullptr);
  const kldkit_reader_info info = Info(r);
  EXPECT_EQ(info.n_ctx, 128u);
  EXPECT_EQ(info.n_vocab, 32000u);
  EXPECT_EQ(info.n_chunk, 4);
  EXPECT_EQ(info.n_tokens, 512u);
  EXPECT_EQ(info.n_rows, 252u);
  LlamaFileReader cpp(path);
  std::vector<uint16_t> c(info.row_len), expect(info.row_len);
  ASSERT_EQ(kldkit_reader_read_row_u16(c.data(), c.size(), r, 251), KLDKIT_OK);
  cpp.ReadRow(251, expect);
  EXPECT_EQ(c, expect);
  kldkit_reader_free(r);  // free without close
}

TEST(CapiReader, NpyFloatAndInt32Arrays) {
  const std::string fpath = TempPath("logits.npy");
  const auto rows = LogitRows();
  {
    NpyF32Writer w(fpath, rows.size(), kVocab);
    for (const auto& row : rows) w.AppendRow(row);
    w.Close();
  }
  kldkit_reader* r = OpenOk(fpath);
  ASSERT_NE(r, nullptr);
  kldkit_reader_info info = Info(r);
  EXPECT_EQ(info.kind, uint32_t{KLDKIT_FILE_NPY});
  EXPECT_EQ(info.row_type, uint32_t{KLDKIT_ROW_F32});
  EXPECT_EQ(info.n_rows, kRows);
  EXPECT_EQ(info.row_len, uint64_t{kVocab});
  EXPECT_EQ(info.n_tokens, 0u);
  EXPECT_EQ(info.n_ctx, 0u);
  std::vector<float> row(kVocab);
  ASSERT_EQ(kldkit_reader_read_row_f32(row.data(), row.size(), r, 4),
            KLDKIT_OK);
  EXPECT_EQ(row, rows[4]);
  std::vector<uint16_t> words(kVocab);
  KLDKIT_EXPECT_FAILURE(  // wrong type of row for this file
      kldkit_reader_read_row_u16(words.data(), words.size(), r, 0),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  int32_t target;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_target_token(&target, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_reader_free(r);

  const std::string ipath = TempPath("tokens.npy");
  const std::vector<int32_t> tokens = Tokens();
  WriteNpyInt32(ipath, tokens);
  r = OpenOk(ipath);
  ASSERT_NE(r, nullptr);
  info = Info(r);
  EXPECT_EQ(info.row_type, UINT32_MAX);
  EXPECT_EQ(info.n_rows, 0u);
  EXPECT_EQ(info.n_tokens, tokens.size());
  std::vector<int32_t> got(tokens.size());
  ASSERT_EQ(kldkit_reader_read_tokens(got.data(), got.size(), r, 0),
            KLDKIT_OK);
  EXPECT_EQ(got, tokens);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_f32(row.data(), row.size(), r,
                                                   0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_reader_free(r);
}

TEST(CapiReader, BadFilesAndOptions) {
  kldkit_reader* r = nullptr;
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_open(&r, TempPath("missing").c_str(), nullptr),
      KLDKIT_ERROR_IO);
  EXPECT_EQ(r, nullptr);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, nullptr, nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  const std::string good = WriteWithCpp("good.logits");
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(nullptr, good.c_str(), nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  const std::string junk = TempPath("junk.bin");
  WriteAll(junk, "hello, not a row file");
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, junk.c_str(), nullptr),
                        KLDKIT_ERROR_FORMAT);
  // A .kldz magic with a zeroed header (format version 0.0): opened as a
  // container, refused as an unknown version.
  const std::string kldz = TempPath("x.kldz");
  WriteAll(kldz, std::string("\x89KLDZ\r\n\x1a", 8) + std::string(64, '\0'));
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, kldz.c_str(), nullptr),
                        KLDKIT_ERROR_UNSUPPORTED);
  // A truncated llama.cpp file: TRUNCATED, or its complete rows on request.
  const std::string bytes = ReadAll(good);
  const std::string cut = TempPath("cut.logits");
  const size_t row_bytes = kldkit_llama_row_words(kVocab) * 2;
  WriteAll(cut, bytes.substr(0, bytes.size() - row_bytes - 3));
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, cut.c_str(), nullptr),
                        KLDKIT_ERROR_TRUNCATED);
  kldkit_reader_options opt;
  ASSERT_EQ(kldkit_reader_options_init(&opt), KLDKIT_OK);
  EXPECT_EQ(opt.allow_truncated, 0u);
  opt.allow_truncated = 1;
  r = OpenOk(cut, &opt);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Info(r).n_rows, kRows - 2);
  EXPECT_EQ(Info(r).n_rows_expected, kRows);
  kldkit_reader_free(r);
  r = nullptr;
  opt.struct_size = sizeof(size_t);  // allow_truncated not covered: default
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, cut.c_str(), &opt),
                        KLDKIT_ERROR_TRUNCATED);
  opt.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, good.c_str(), &opt),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_options_init(nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST(CapiReader, ArgumentErrorsAndClosedHandle) {
  const std::string path = WriteWithCpp("args.logits");
  kldkit_reader* r = OpenOk(path);
  ASSERT_NE(r, nullptr);
  std::vector<uint16_t> words(kldkit_llama_row_words(kVocab));
  std::vector<float> floats(kVocab);
  int32_t tok[4];
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_u16(nullptr, words.size(), r,
                                                   0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_u16(words.data(),
                                                   words.size() - 1, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_u16(words.data(), words.size(),
                                                   r, kRows),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_u16(words.data(), words.size(),
                                                   nullptr, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(  // wrong type for a llama.cpp file
      kldkit_reader_read_row_f32(floats.data(), floats.size(), r, 0),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_tokens(tok, 4, r, kCtx * kChunks - 3),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_tokens(tok, 1, r, UINT64_MAX),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_tokens(nullptr, 4, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(kldkit_reader_read_tokens(nullptr, 0, r, 0), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_target_token(nullptr, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_target_token(tok, r, kRows),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_info_get(nullptr, r),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_info_get(&info, nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  info.struct_size = sizeof(size_t);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_info_get(&info, r),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  // An older caller's struct ending after n_chunk gets only those fields.
  std::memset(&info, 0x77, sizeof(info));
  info.struct_size = offsetof(kldkit_reader_info, n_chunk) + sizeof(int32_t);
  ASSERT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
  EXPECT_EQ(info.n_chunk, kChunks);
  EXPECT_EQ(info.n_vocab, 0x7777777777777777u);

  ASSERT_EQ(kldkit_reader_close(r), KLDKIT_OK);
  info = kldkit_reader_info KLDKIT_READER_INFO_INIT;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_close(r), KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_info_get(&info, r), KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_tokens(tok, 1, r, 0),
                        KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_target_token(tok, r, 0),
                        KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_u16(words.data(), words.size(),
                                                   r, 0),
                        KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_f32(floats.data(),
                                                   floats.size(), r, 0),
                        KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_close(nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_reader_free(r);
  kldkit_reader_free(nullptr);
}

TEST(CapiConvert, ConvertMatchesCppAndSalvageKeepsWholeChunks) {
  const std::string logits = TempPath("conv_logits.npy");
  const std::string tokens = TempPath("conv_tokens.npy");
  const auto rows = LogitRows();
  {
    NpyF32Writer w(logits, rows.size(), kVocab);
    for (const auto& row : rows) w.AppendRow(row);
    w.Close();
  }
  WriteNpyInt32(tokens, Tokens());
  const std::string out = TempPath("conv.logits");
  kldkit_convert_options opt;
  ASSERT_EQ(kldkit_convert_options_init(&opt), KLDKIT_OK);
  EXPECT_EQ(opt.floor, 16.0f);
  opt.n_ctx = kCtx;
  uint64_t n = 0;
  ASSERT_EQ(kldkit_convert_logits_file(&n, out.c_str(), logits.c_str(),
                                       tokens.c_str(), &opt),
            KLDKIT_OK)
      << kldkit_last_error();
  EXPECT_EQ(n, kRows);
  // The same rows quantized one by one (C++ writer) give the same bytes.
  EXPECT_EQ(ReadAll(out), ReadAll(WriteWithCpp("conv_ref.logits")));

  opt.n_ctx = 5;  // 18 tokens are not whole chunks of 5
  KLDKIT_EXPECT_FAILURE(kldkit_convert_logits_file(nullptr, out.c_str(),
                                                   logits.c_str(),
                                                   tokens.c_str(), &opt),
                        KLDKIT_ERROR_MISMATCH);
  opt.n_ctx = kCtx;
  opt.floor = 0.0f;
  KLDKIT_EXPECT_FAILURE(kldkit_convert_logits_file(nullptr, out.c_str(),
                                                   logits.c_str(),
                                                   tokens.c_str(), &opt),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_convert_logits_file(nullptr, out.c_str(),
                                                   logits.c_str(),
                                                   tokens.c_str(), &opt),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_convert_logits_file(nullptr, nullptr,
                                                   logits.c_str(),
                                                   tokens.c_str(), nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_convert_options_init(nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);

  // Salvage: cut inside chunk 2's second row; chunks 0-1 survive (4 rows),
  // chunk 2's complete first row is dropped.
  const std::string bytes = ReadAll(out);
  const std::string cut = TempPath("conv_cut.logits");
  WriteAll(cut, bytes.substr(0, bytes.size() - 5));
  const std::string fixed = TempPath("conv_fixed.logits");
  uint64_t kept = 0, dropped = 0;
  ASSERT_EQ(kldkit_salvage_llama_file(&kept, &dropped, fixed.c_str(),
                                      cut.c_str()),
            KLDKIT_OK)
      << kldkit_last_error();
  EXPECT_EQ(kept, 4u);
  EXPECT_EQ(dropped, 1u);
  const SalvageResult cpp = SalvageLlamaFile(cut, TempPath("conv_fixed2"));
  EXPECT_EQ(ReadAll(fixed), ReadAll(TempPath("conv_fixed2")));
  EXPECT_EQ(cpp.rows_kept, kept);
  KLDKIT_EXPECT_FAILURE(kldkit_salvage_llama_file(nullptr, nullptr,
                                                  fixed.c_str(), nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  WriteAll(cut, bytes.substr(0, 40));  // no complete chunk
  KLDKIT_EXPECT_FAILURE(kldkit_salvage_llama_file(nullptr, nullptr,
                                                  fixed.c_str(), cut.c_str()),
                        KLDKIT_ERROR_TRUNCATED);
}

}  // namespace
}  // namespace kldkit
