// kldkit_kldz_writer: a fork's base run written straight into a .kldz. On
// the fixture, strict rows give a container byte-identical to importing
// llama.cpp's own file (and so its bytes on export), with the base run's
// perplexity; the batch call on two threads writes the same file; every
// bad argument is a status, and no failure leaves a complete-looking file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kldkit.h"
#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/full_disk.h"
#include "tests/capi/capi_test_util.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("capi_kldz_writer", name);
}

bool Exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

struct Fixture {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // 252 x 32000
};

Fixture LoadFixture(const std::string& llama, const std::string& npy) {
  Fixture f;
  const LlamaFileReader r(llama);
  f.tokens.assign(r.Tokens().begin(), r.Tokens().end());
  const NpyReader n(npy);
  f.logits.resize(n.Rows() * 32000);
  for (uint64_t i = 0; i < n.Rows(); ++i) {
    n.ReadRow(i, {f.logits.data() + i * 32000, 32000});
  }
  return f;
}

TEST(CapiKldzWriter, StrictRowsEqualLlamaCppsFileImported) {
  KLDKIT_REQUIRE_FIXTURE(llama, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  const Fixture f = LoadFixture(llama, npy);
  const std::string imported = TempPath("imported.kldz");
  ImportLlamaFile(llama, imported);
  kldkit_quantize_options strict = KLDKIT_QUANTIZE_OPTIONS_INIT;
  strict.strict = 1;
  for (uint32_t threads : {1u, 2u}) {
    const std::string path = TempPath("written.kldz");
    kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
    o.threads = threads;
    kldkit_kldz_writer* w = nullptr;
    ASSERT_EQ(kldkit_kldz_writer_create(&w, path.c_str(), 128, 32000,
                                        f.tokens.data(), f.tokens.size(), &o),
              KLDKIT_OK)
        << kldkit_last_error();
    double nll = 0;
    if (threads == 1) {  // row by row
      for (size_t r = 0; r < 252; ++r) {
        const kldkit_row row = {f.logits.data() + r * 32000, 32000,
                                KLDKIT_ROW_F32};
        kldkit_appended_row a = KLDKIT_APPENDED_ROW_INIT;
        ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, &strict, &a),
                  KLDKIT_OK)
            << kldkit_last_error();
        nll += a.nll;
      }
    } else {  // two batches, quantized on the writer's two threads
      std::vector<kldkit_appended_row> a(126, KLDKIT_APPENDED_ROW_INIT);
      for (size_t first : {size_t{0}, size_t{126}}) {
        const kldkit_row_batch b = {f.logits.data() + first * 32000, 126,
                                    32000, 4 * 32000, KLDKIT_ROW_F32};
        ASSERT_EQ(kldkit_kldz_writer_append_logits_batch(w, &b, &strict,
                                                         a.data(), a.size()),
                  KLDKIT_OK)
            << kldkit_last_error();
        for (const auto& x : a) nll += x.nll;
      }
    }
    ASSERT_EQ(kldkit_kldz_writer_close(w), KLDKIT_OK) << kldkit_last_error();
    kldkit_kldz_writer_free(w);
    // v32k-c128x4-q8_0.base-run.txt: Final estimate: PPL = 9.9409
    char ppl[16];
    std::snprintf(ppl, sizeof(ppl), "%.4f", std::exp(nll / 252));
    EXPECT_STREQ(ppl, "9.9409");
    EXPECT_TRUE(testing::ReadFileBytes(path) ==
                testing::ReadFileBytes(imported))
        << threads << " threads";
    std::remove(path.c_str());
  }
  std::remove(imported.c_str());
}

// n_ctx 4 (1 row a chunk), 3 chunks, vocab 5.
const int32_t kTokens[] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1};

kldkit_kldz_writer* Small(const std::string& path,
                          const kldkit_kldz_options* o = nullptr) {
  kldkit_kldz_writer* w = nullptr;
  EXPECT_EQ(kldkit_kldz_writer_create(&w, path.c_str(), 4, 5, kTokens, 12, o),
            KLDKIT_OK)
      << kldkit_last_error();
  return w;
}

TEST(CapiKldzWriter, BadArgumentsAreStatusesAndChangeNothing) {
  const std::string path = TempPath("bad.kldz");
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  kldkit_kldz_writer* w = nullptr;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(nullptr, path.c_str(), 4, 5, kTokens, 12,
                                nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, nullptr, 4, 5, kTokens, 12, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, path.c_str(), 4, 5, nullptr, 12, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, path.c_str(), 4, 5, kTokens, 11, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, path.c_str(), 4, 4, kTokens, 12, nullptr),
      inv);  // token 4 outside a vocabulary of 4
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.floor = -1;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, path.c_str(), 4, 5, kTokens, 12, &o), inv);
  EXPECT_EQ(w, nullptr);
  EXPECT_FALSE(Exists(path) || Exists(path + ".tmp"));

  w = Small(path);
  const float good[5] = {1, 2, 3, 4, 5};
  float bad[5] = {1, 2, std::numeric_limits<float>::quiet_NaN(), 4, 5};
  kldkit_row row = {bad, 5, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
      KLDKIT_ERROR_NON_FINITE);
  bad[2] = HUGE_VALF;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
      KLDKIT_ERROR_NON_FINITE);
  row = {good, 4, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, nullptr, nullptr, nullptr), inv);
  row = {good, 5, KLDKIT_ROW_F32};
  kldkit_quantize_options q24 = KLDKIT_QUANTIZE_OPTIONS_INIT;
  q24.floor = 24;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, &q24, nullptr), inv);
  kldkit_appended_row small = KLDKIT_APPENDED_ROW_INIT;
  small.struct_size = 8;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, &small), inv);
  uint16_t words[10] = {};
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_append_row(w, words, 9), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_append_row(w, nullptr, 10), inv);
  const kldkit_row_batch batch = {good, 1, 5, 20, KLDKIT_ROW_F32};
  kldkit_appended_row results[2] = {KLDKIT_APPENDED_ROW_INIT,
                                    KLDKIT_APPENDED_ROW_INIT};
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits_batch(w, &batch, nullptr, results, 2),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits_batch(w, nullptr, nullptr, nullptr, 0),
      inv);
  // Nothing of the above was written; three good rows, then one too many.
  kldkit_appended_row a = KLDKIT_APPENDED_ROW_INIT;
  ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, nullptr, &a), KLDKIT_OK);
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) +
                              std::exp(4.0) + std::exp(5.0));
  EXPECT_NEAR(a.log_sum_exp, lse, 1e-6);
  EXPECT_NEAR(a.nll, lse - good[3], 1e-6);  // row 0 of chunk 0 predicts 3
  ASSERT_EQ(kldkit_kldz_writer_append_logits_batch(w, &batch, nullptr,
                                                   results, 1),
            KLDKIT_OK);
  ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
            KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
      KLDKIT_ERROR_MISMATCH);
  ASSERT_EQ(kldkit_kldz_writer_close(w), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_close(w), KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
      KLDKIT_ERROR_CLOSED);
  kldkit_kldz_writer_free(w);
  EXPECT_EQ(ContainerReader(path).RowCount(), 3u);
  EXPECT_EQ(ContainerReader(path).RecordedFloor(), 16.0);
  std::remove(path.c_str());
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_close(nullptr), inv);
  kldkit_kldz_writer_free(nullptr);
}

TEST(CapiKldzWriter, NoFailureLeavesACompleteLookingFile) {
  const std::string path = TempPath("short.kldz");
  const float logits[5] = {1, 2, 3, 4, 5};
  const kldkit_row row = {logits, 5, KLDKIT_ROW_F32};
  kldkit_kldz_writer* w = Small(path);
  ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
            KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_close(w), KLDKIT_ERROR_MISMATCH);
  kldkit_kldz_writer_free(w);
  EXPECT_FALSE(Exists(path) || Exists(path + ".tmp"));
  w = Small(path);
  ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, nullptr, nullptr),
            KLDKIT_OK);
  kldkit_kldz_writer_free(w);  // without close
  EXPECT_FALSE(Exists(path) || Exists(path + ".tmp"));
  // A run cut short on purpose keeps its rows.
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.allow_partial = 1;
  o.floor = 24;
  w = Small(path, &o);
  kldkit_quantize_options q24 = KLDKIT_QUANTIZE_OPTIONS_INIT;
  q24.floor = 24;
  ASSERT_EQ(kldkit_kldz_writer_append_logits(w, &row, &q24, nullptr),
            KLDKIT_OK);
  ASSERT_EQ(kldkit_kldz_writer_close(w), KLDKIT_OK) << kldkit_last_error();
  kldkit_kldz_writer_free(w);
  EXPECT_EQ(ContainerReader(path).RowCount(), 1u);
  EXPECT_EQ(ContainerReader(path).RecordedFloor(), 24.0);
  std::remove(path.c_str());
  // The disk fills at any point: IO, and nothing left.
  for (size_t b : {size_t{0}, size_t{30}, size_t{90}, size_t{200}}) {
    kldkit_status s;
    {
    const testing::FullDisk disk(b);
    kldkit_kldz_options one_row_blocks = KLDKIT_KLDZ_OPTIONS_INIT;
    one_row_blocks.rows_per_block = 1;
    kldkit_kldz_writer* d = nullptr;
    s = kldkit_kldz_writer_create(&d, path.c_str(), 4, 5, kTokens, 12,
                                  &one_row_blocks);
    for (int r = 0; r < 3 && s == KLDKIT_OK; ++r) {
      s = kldkit_kldz_writer_append_logits(d, &row, nullptr, nullptr);
    }
    if (s == KLDKIT_OK) s = kldkit_kldz_writer_close(d);
    kldkit_kldz_writer_free(d);
    }
    EXPECT_EQ(s, KLDKIT_ERROR_IO) << "budget " << b;
    EXPECT_FALSE(Exists(path) || Exists(path + ".tmp")) << "budget " << b;
  }
}

// Since 0.2: options->shard writes chunks [1, 3) of the fixture's run, the
// same bytes WriteShard cuts from llama.cpp's file.
TEST(CapiKldzWriter, ShardEqualsTheShardCutFromTheFile) {
  KLDKIT_REQUIRE_FIXTURE(src, "v32k-c128x4-f16.logits");
  const std::string path = TempPath("shard.kldz"), cut = TempPath("cut.kldz");
  const LlamaFileReader in(src);
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.shard = 1;
  o.first_chunk = 1;
  o.end_chunk = 3;
  kldkit_kldz_writer* w = nullptr;
  ASSERT_EQ(kldkit_kldz_writer_create(&w, path.c_str(), 128, 32000,
                                      in.Tokens().data(), in.Tokens().size(),
                                      &o),
            KLDKIT_OK);
  std::vector<uint16_t> row(in.RowWords());
  for (uint64_t r = 63; r < 189; ++r) {
    in.ReadRow(r, row);
    ASSERT_EQ(kldkit_kldz_writer_append_row(w, row.data(), row.size()),
              KLDKIT_OK);
  }
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_writer_append_row(w, row.data(), row.size()),
                        KLDKIT_ERROR_MISMATCH);  // past chunk 3
  ASSERT_EQ(kldkit_kldz_writer_close(w), KLDKIT_OK) << kldkit_last_error();
  kldkit_kldz_writer_free(w);
  WriteShard(src, cut, 1, 3);
  EXPECT_TRUE(testing::ReadFileBytes(path) == testing::ReadFileBytes(cut));
  o.end_chunk = 5;  // past n_chunk
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_writer_create(&w, path.c_str(), 128, 32000,
                                in.Tokens().data(), in.Tokens().size(), &o),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  std::remove(path.c_str());
  std::remove(cut.c_str());
}

}  // namespace
}  // namespace kldkit
