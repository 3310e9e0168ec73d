// kldkit_handles.hpp against the shared library alone: handles freed on
// every path (early returns, exceptions), failures thrown with the C
// status and message, and the _alloc renderings.
#include "kldkit_handles.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string TempPath(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/kldkit_handles_" +
         std::to_string(getpid()) + "_" + name;
}

const int32_t kTokens[] = {0, 1, 2, 3, 4, 0, 1, 2};  // n_ctx 4, 2 chunks

TEST(Handles, AWriterLeftInAnExceptionLeavesNoFile) {
  const std::string path = TempPath("w.kldz");
  const float logits[5] = {1, 2, 3, 4, 5};
  const kldkit_row row = {logits, 5, KLDKIT_ROW_F32};
  try {
    kldkit::c::KldzWriter w =
        kldkit::c::CreateKldzWriter(path.c_str(), 4, 5, kTokens, 8);
    kldkit::c::Check(
        kldkit_kldz_writer_append_logits(w.get(), &row, nullptr, nullptr));
    const float nan_logits[5] = {1, NAN, 3, 4, 5};
    const kldkit_row bad = {nan_logits, 5, KLDKIT_ROW_F32};
    kldkit::c::Check(
        kldkit_kldz_writer_append_logits(w.get(), &bad, nullptr, nullptr));
    FAIL() << "no exception";
  } catch (const kldkit::c::Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_NON_FINITE);
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  // The same, completed: the file is there and reads back.
  {
    kldkit::c::KldzWriter w =
        kldkit::c::CreateKldzWriter(path.c_str(), 4, 5, kTokens, 8);
    for (int i = 0; i < 2; ++i) {
      kldkit::c::Check(
          kldkit_kldz_writer_append_logits(w.get(), &row, nullptr, nullptr));
    }
    kldkit::c::Check(kldkit_kldz_writer_close(w.get()));
  }
  kldkit::c::Reader r = kldkit::c::OpenReader(path.c_str());
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  kldkit::c::Check(kldkit_reader_info_get(&info, r.get()));
  EXPECT_EQ(info.n_rows, 2u);
  std::remove(path.c_str());
  EXPECT_THROW(kldkit::c::OpenReader(path.c_str()), kldkit::c::Error);
}

TEST(Handles, RenderingsAllocatedMatchTheSizeQueryOnes) {
  kldkit::c::Accumulator acc = kldkit::c::CreateAccumulator();
  kldkit_token_result t = KLDKIT_TOKEN_RESULT_INIT;
  t.kld = 0.01;
  t.nll = 2;
  t.nll_base = 1.9f;
  t.p = 0.13f;
  t.p_base = 0.15f;
  t.dp = t.p - t.p_base;
  for (int i = 0; i < 200; ++i) {
    kldkit::c::Check(kldkit_accumulator_add(acc.get(), &t, 1));
  }
  kldkit_report report = KLDKIT_REPORT_INIT;
  kldkit::c::Check(kldkit_accumulator_report(&report, acc.get(), 1));
  size_t size = 0;
  kldkit::c::Check(kldkit_render_json(nullptr, 0, &size, &report));
  std::string json(size, '\0');
  kldkit::c::Check(kldkit_render_json(&json[0], size, &size, &report));
  char* text = nullptr;
  kldkit::c::Check(kldkit_render_json_alloc(&text, &report));
  EXPECT_EQ(kldkit::c::Text(text).get(), json.substr(0, size - 1));
  EXPECT_NE(kldkit::c::RenderText(report).find("Mean    KLD"),
            std::string::npos);
  char* line = nullptr;
  kldkit::c::Check(kldkit_render_chunk_line_alloc(&line, 3, &report));
  EXPECT_EQ(std::string(kldkit::c::Text(line).get()).substr(0, 4), "   3");
  char* header = nullptr;
  kldkit::c::Check(kldkit_render_chunk_header_alloc(&header));
  kldkit::c::Text owned(header);
  EXPECT_NE(std::string(owned.get()).find("KL Divergence"), std::string::npos);
  char* none = reinterpret_cast<char*>(1);
  EXPECT_EQ(kldkit_render_chunk_line_alloc(&none, 0, &report),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(kldkit_render_text_alloc(nullptr, &report),
            KLDKIT_ERROR_INVALID_ARGUMENT);
}

}  // namespace
