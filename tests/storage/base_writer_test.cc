// BaseWriter: float logits straight into a .kldz or a llama.cpp file. On the
// real fixture, strict rows give llama.cpp's own bytes and the returned
// NLLs give the perplexity llama.cpp's base run printed; a batch on several
// threads writes the same bytes; bad input changes nothing and a full disk
// or a short run leaves no complete-looking file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kldkit/base_writer.hpp"
#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/full_disk.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("base_writer", name);
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

TEST(BaseWriter, StrictLogitsGiveLlamaCppsBytesAndBaseRunPerplexity) {
  KLDKIT_REQUIRE_FIXTURE(npy_path, "v32k-c128x4-q8_0.f32.npy");
  KLDKIT_REQUIRE_FIXTURE(llama_path, "v32k-c128x4-q8_0.logits");
  const LlamaFileReader llama(llama_path);
  const NpyReader npy(npy_path);
  const std::vector<int32_t> tokens(llama.Tokens().begin(),
                                    llama.Tokens().end());
  BaseWriterOptions o;
  o.quantize.strict = true;
  const std::string kldz = TempPath("q8.kldz");
  BaseWriter writer(kldz, 128, 32000, tokens, o);
  EXPECT_EQ(writer.ExpectedRows(), 252u);
  std::vector<float> row(32000);
  double nll_sum = 0;
  std::vector<std::string> running;
  for (uint64_t r = 0; r < npy.Rows(); ++r) {
    npy.ReadRow(r, row);
    const AppendedRow a = writer.AppendLogits(RowView::F32(row));
    nll_sum += a.nll;
    if ((r + 1) % 63 == 0) {
      char ppl[32];
      std::snprintf(ppl, sizeof(ppl), "%.4f", std::exp(nll_sum / double(r + 1)));
      running.push_back(ppl);
    }
  }
  writer.Close();
  // v32k-c128x4-q8_0.base-run.txt: [1]9.7178,[2]9.3133,[3]10.1097,[4]9.9409
  EXPECT_EQ(running,
            (std::vector<std::string>{"9.7178", "9.3133", "10.1097", "9.9409"}));
  const std::string back = TempPath("q8.logits");
  ExportLlamaFile(kldz, back);
  EXPECT_TRUE(testing::ReadFileBytes(back) == testing::ReadFileBytes(llama_path))
      << "the .kldz does not hold llama.cpp's own rows";
  EXPECT_EQ(ContainerReader(kldz).RecordedFloor(), 16.0);
  // Straight into a llama.cpp file: the same bytes.
  BaseWriter direct(back, 128, 32000, tokens, o);
  for (uint64_t r = 0; r < npy.Rows(); ++r) {
    npy.ReadRow(r, row);
    direct.AppendLogits(RowView::F32(row));
  }
  direct.Close();
  EXPECT_TRUE(testing::ReadFileBytes(back) == testing::ReadFileBytes(llama_path));
  std::remove(kldz.c_str());
  std::remove(back.c_str());
}

// A small evaluation: n_ctx 8 (3 rows a chunk), 2 chunks, vocab 50.
struct Small {
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // 6 rows
  Small() {
    for (int i = 0; i < 16; ++i) tokens.push_back((i * 7) % 50);
    for (int i = 0; i < 6 * 50; ++i) {
      logits.push_back(std::sin(0.37f * static_cast<float>(i)) * 9);
    }
  }
  RowView Row(size_t r) const { return RowView::F32({logits.data() + r * 50, 50}); }
};

TEST(BaseWriter, BatchOnThreadsWritesTheSameBytes) {
  const Small s;
  const std::string one = TempPath("one.kldz"), batch = TempPath("batch.kldz");
  std::vector<AppendedRow> want;
  {
    BaseWriter w(one, 8, 50, s.tokens);
    for (size_t r = 0; r < 6; ++r) want.push_back(w.AppendLogits(s.Row(r)));
    w.Close();
  }
  BaseWriterOptions o;
  o.threads = 3;
  BaseWriter w(batch, 8, 50, s.tokens, o);
  std::vector<AppendedRow> got(4);
  w.AppendLogitsBatch(
      RowBatch::Strided(s.logits.data(), 4, 50, 200, RowType::kF32), got);
  w.AppendLogitsBatch(
      RowBatch::Strided(s.logits.data() + 200, 2, 50, 200, RowType::kF32));
  w.Close();
  EXPECT_TRUE(testing::ReadFileBytes(one) == testing::ReadFileBytes(batch));
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(got[r].nll, want[r].nll) << r;
    EXPECT_EQ(got[r].log_sum_exp, want[r].log_sum_exp) << r;
    // An independent check of the row's numbers, in double.
    double sum = 0;
    for (int i = 0; i < 50; ++i) sum += std::exp(double(s.logits[r * 50 + i]));
    EXPECT_NEAR(got[r].log_sum_exp, std::log(sum), 1e-5);
    const int32_t t = LlamaTargetToken(s.tokens, 8, r);
    EXPECT_NEAR(got[r].nll, std::log(sum) - s.logits[r * 50 + t], 1e-5);
  }
  std::remove(one.c_str());
  std::remove(batch.c_str());
}

kldkit_status StatusOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.Status();
  }
  return KLDKIT_OK;
}

TEST(BaseWriter, BadInputChangesNothing) {
  const Small s;
  const std::string path = TempPath("bad.kldz");
  BaseWriter w(path, 8, 50, s.tokens);
  std::vector<float> nan_row(s.logits.begin(), s.logits.begin() + 50);
  nan_row[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(StatusOf([&] { w.AppendLogits(RowView::F32(nan_row)); }),
            KLDKIT_ERROR_NON_FINITE);
  nan_row[7] = HUGE_VALF;
  EXPECT_EQ(StatusOf([&] { w.AppendLogits(RowView::F32(nan_row)); }),
            KLDKIT_ERROR_NON_FINITE);
  std::vector<float> batch(s.logits.begin(), s.logits.begin() + 150);
  batch[120] = std::numeric_limits<float>::quiet_NaN();  // row 2
  EXPECT_EQ(StatusOf([&] {
              w.AppendLogitsBatch(
                  RowBatch::Strided(batch.data(), 3, 50, 200, RowType::kF32));
            }),
            KLDKIT_ERROR_NON_FINITE);
  EXPECT_EQ(w.RowCount(), 0u) << "a failed row or batch appended something";
  EXPECT_EQ(StatusOf([&] {
              w.AppendLogits(RowView::F32({s.logits.data(), 49}));
            }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { w.AppendRow(std::vector<uint16_t>(5)); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  for (size_t r = 0; r < 6; ++r) w.AppendLogits(s.Row(r));
  EXPECT_EQ(StatusOf([&] { w.AppendLogits(s.Row(0)); }), KLDKIT_ERROR_MISMATCH);
  w.Close();
  EXPECT_EQ(ContainerReader(path).RowCount(), 6u);
  EXPECT_EQ(StatusOf([&] { w.AppendLogits(s.Row(0)); }), KLDKIT_ERROR_CLOSED);
  EXPECT_EQ(StatusOf([&] { w.Close(); }), KLDKIT_ERROR_CLOSED);
  std::remove(path.c_str());
  // Bad construction: nothing created.
  std::vector<int32_t> bad = s.tokens;
  bad[3] = 50;
  EXPECT_EQ(StatusOf([&] { BaseWriter(path, 8, 50, bad); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { BaseWriter(path, 7, 50, s.tokens); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  BaseWriterOptions partial;
  partial.allow_partial = true;
  EXPECT_EQ(StatusOf([&] {
              BaseWriter(TempPath("p.logits"), 8, 50, s.tokens, partial);
            }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_FALSE(Exists(path) || Exists(path + ".tmp"));
}

TEST(BaseWriter, ShortRunsAndFullDisksLeaveNoCompleteLookingFile) {
  const Small s;
  for (const char* name : {"short.kldz", "short.logits"}) {
    const std::string path = TempPath(name);
    {
      BaseWriter w(path, 8, 50, s.tokens);
      for (size_t r = 0; r < 4; ++r) w.AppendLogits(s.Row(r));
      EXPECT_EQ(StatusOf([&] { w.Close(); }), KLDKIT_ERROR_MISMATCH) << name;
    }
    EXPECT_FALSE(Exists(path) || Exists(path + ".tmp")) << name;
    {
      BaseWriter w(path, 8, 50, s.tokens);
      w.AppendLogits(s.Row(0));
    }  // destroyed unclosed
    EXPECT_FALSE(Exists(path) || Exists(path + ".tmp")) << name;
  }
  // A run cut short on purpose: the chunks written, readable.
  BaseWriterOptions partial;
  partial.allow_partial = true;
  const std::string path = TempPath("partial.kldz");
  BaseWriter w(path, 8, 50, s.tokens, partial);
  for (size_t r = 0; r < 3; ++r) w.AppendLogits(s.Row(r));
  w.Close();
  EXPECT_EQ(ContainerReader(path).RowCount(), 3u);
  std::remove(path.c_str());
  // ENOSPC at every point of the write.
  for (size_t b : {size_t{0}, size_t{40}, size_t{150}, size_t{400}}) {
    const kldkit_status status = StatusOf([&] {
      const testing::FullDisk disk(b);
      BaseWriterOptions o;
      o.container.rows_per_block = 1;
      BaseWriter full(path, 8, 50, s.tokens, o);
      for (size_t r = 0; r < 6; ++r) full.AppendLogits(s.Row(r));
      full.Close();
    });
    EXPECT_EQ(status, KLDKIT_ERROR_IO) << "budget " << b;
    EXPECT_FALSE(Exists(path) || Exists(path + ".tmp")) << "budget " << b;
  }
}

}  // namespace
}  // namespace kldkit
