// Import from and export to llama.cpp files: byte-exact on the real fixture
// and on a hand-built odd-vocab file whose padding words are not zero.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_llama", name);
}


void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

TEST(ContainerLlama, FixtureRoundTripsByteForByte) {
  KLDKIT_REQUIRE_FIXTURE(src, "v32k-c128x4-f16.logits");
  const std::string kldz = TempPath("f16.kldz"), back = TempPath("f16.logits");
  ContainerOptions opt;
  opt.threads = 2;
  EXPECT_EQ(ImportLlamaFile(src, kldz, opt, {{"model", "tiny f16"}}), 252u);
  {
    ContainerReader r(kldz);
    EXPECT_EQ(r.Header().n_ctx, 128u);
    EXPECT_EQ(r.Header().n_vocab, 32000);
    EXPECT_EQ(r.Header().n_chunk, 4);
    EXPECT_EQ(r.Tokens().size(), 512u);
    EXPECT_EQ(r.Metadata().at("model"), "tiny f16");
  }
  EXPECT_EQ(ExportLlamaFile(kldz, back), 252u);
  const std::string a = testing::ReadFileBytes(src), b = testing::ReadFileBytes(back);
  EXPECT_EQ(a.size(), 16132084u);
  EXPECT_TRUE(a == b) << "export differs from the original";
  // Decoding on three threads: blocks decode out of order, rows must not.
  EXPECT_GT(ContainerReader(kldz).BlockCount(), 3u);
  std::remove(back.c_str());
  EXPECT_EQ(ExportLlamaFile(kldz, back, 3), 252u);
  EXPECT_TRUE(testing::ReadFileBytes(back) == a) << "export depends on threads";
  EXPECT_EQ(Verify(kldz, 3), 252u);
  // The codec earns its keep: below zstd -3 of the raw rows (11.70 MB) and
  // the order-0 bound of the codes (9.91 MB, docs/FORMAT.md).
  const std::string two_threads = testing::ReadFileBytes(kldz);
  EXPECT_LT(two_threads.size(), 9910000u);
  // Same bytes with one thread.
  opt.threads = 1;
  ImportLlamaFile(src, kldz, opt, {{"model", "tiny f16"}});
  EXPECT_TRUE(testing::ReadFileBytes(kldz) == two_threads) << "output depends on threads";
  std::remove(kldz.c_str());
  std::remove(back.c_str());
}

TEST(ContainerLlama, OddVocabPaddingAndHeaderFloatsSurvive) {
  // n_ctx 6 -> 2 rows per chunk; n_vocab 5 -> rows of 2+2+5+1 words.
  std::string file = "_logits_";
  Put32(&file, 6);
  Put32(&file, 5);
  Put32(&file, 2);
  for (uint32_t t = 0; t < 12; ++t) Put32(&file, (t * 3 + 1) % 5);
  for (int r = 0; r < 4; ++r) {
    const float scale = 16.0f / 65535 * static_cast<float>(r + 1);
    const float min_lp = -20.5f - static_cast<float>(r);
    char f[8];
    std::memcpy(f, &scale, 4);
    std::memcpy(f + 4, &min_lp, 4);
    file.append(f, 8);
    const uint16_t codes[6] = {
        0, 65535,
        0, static_cast<uint16_t>(r),
        1, static_cast<uint16_t>(0xBEEF + r)};  // padding
    file.append(reinterpret_cast<const char*>(codes), 12);
  }
  const std::string src = TempPath("odd.logits"), kldz = TempPath("odd.kldz"),
                    back = TempPath("odd.back.logits");
  std::ofstream(src, std::ios::binary) << file;
  EXPECT_EQ(ImportLlamaFile(src, kldz), 4u);
  EXPECT_EQ(ExportLlamaFile(kldz, back), 4u);
  EXPECT_TRUE(testing::ReadFileBytes(back) == file);
  std::remove(src.c_str());
  std::remove(kldz.c_str());
  std::remove(back.c_str());
}

TEST(ContainerLlama, ExportRefusesBadThreadCountBeforeWriting) {
  const std::string kldz = TempPath("t.kldz"), out = TempPath("t.logits");
  ContainerInfo info;
  info.header = {6, 5, 1};  // 2 rows
  info.tokens.assign(6, 1);
  {
    ContainerWriter w(kldz, info);
    for (int r = 0; r < 2; ++r) {
      w.AppendRow(std::vector<uint16_t>(LlamaRowWords(5), 1));
    }
    w.Close();
  }
  for (unsigned threads : {0u, ContainerReader::kMaxCursorThreads + 1}) {
    try {
      ExportLlamaFile(kldz, out, threads);
      FAIL() << "exported on " << threads << " threads";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
    }
    EXPECT_NE(access(out.c_str(), F_OK), 0);
    EXPECT_THROW(Verify(kldz, threads), Error);
  }
  EXPECT_EQ(ExportLlamaFile(kldz, out, ContainerReader::kMaxCursorThreads), 2u);
  std::remove(kldz.c_str());
  std::remove(out.c_str());
}

TEST(ContainerLlama, ExportRefusesMissingRows) {
  const std::string kldz = TempPath("short.kldz"),
                    out = TempPath("short.logits");
  ContainerInfo info;
  info.header = {6, 5, 2};  // needs 4 rows
  info.tokens.assign(12, 1);
  {
    ContainerWriter w(kldz, info);
    w.AppendRow(std::vector<uint16_t>(LlamaRowWords(5), 1));
    w.Close();
  }
  try {
    ExportLlamaFile(kldz, out);
    FAIL() << "exported a file with missing rows";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_MISMATCH);
  }
  EXPECT_NE(access(out.c_str(), F_OK), 0);
  std::remove(kldz.c_str());
}

}  // namespace
}  // namespace kldkit
