// Token files: an evaluation's per-token results saved and read back feed
// an accumulator whose report is the run's, byte for byte; the info names
// the evaluation; damage, truncation and hostile trailers are refused with
// the right status, and a failed write leaves no file.
#include "kldkit/token_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/partial.hpp"
#include "tests/fixtures.h"
#include "tests/metrics/test_tokens.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using testing::FileExists;
using testing::ReadFileBytes;
using testing::TempPath;
using testing::WriteFileBytes;

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr char kModel[] = "v32k-c128x4-q8_0.logits";

kldkit_status LoadStatus(const std::string& path) {
  try {
    LoadTokenFile(path);
  } catch (const Error& e) {
    return e.Status();
  }
  return KLDKIT_OK;
}

// Evaluates the fixtures over `chunks`, saving the model's tokens.
Evaluation SaveRun(const std::string& base, const std::string& model,
                   const std::string& path, ChunkRange chunks,
                   MeasureMask measures) {
  EvaluateOptions o;
  o.chunks = chunks;
  o.accumulator.measures = measures;
  o.threads = 2;
  TokenFileSaver saver(path, 0, &o);
  const Evaluation e = EvaluateFiles(base, {model}, o);
  saver.Finish(e, "/some/dir/" + std::string(kModel), 8'500'000'000, 8.5);
  return e;
}

TEST(TokenFile, RefoldedTokensGiveTheRunsReport) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  const std::string path = TempPath("tokens", "all.kldt");
  for (const MeasureMask measures : {MeasureMask{0}, AllMeasures()}) {
    const Evaluation e = SaveRun(base, model, path, {}, measures);
    const TokenFile f = LoadTokenFile(path);
    EXPECT_EQ(f.tokens.Rows(), e.rows);
    EXPECT_EQ(FoldTokenFile(f).Serialize(), e.accumulators[0].Serialize());
    EXPECT_EQ(RenderText(FoldTokenFile(f).MakeReport()),
              RenderText(e.accumulators[0].MakeReport()));
  }
  std::remove(path.c_str());
}

TEST(TokenFile, InfoIdentifiesTheEvaluationAndTheModel) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  const std::string path = TempPath("tokens", "range.kldt");
  const Evaluation e = SaveRun(base, model, path, {1, 3}, 0);
  const TokenFile f = LoadTokenFile(path);
  const PartialEvaluation p = MakePartial(e, CompareMode::kLlamaCpp, {model});
  EXPECT_EQ(f.info.identity, p.identity);
  EXPECT_EQ(f.info.n_ctx, 128u);
  EXPECT_EQ(f.info.n_chunk, 4u);
  EXPECT_EQ(f.info.rows, 4u * 63);
  EXPECT_EQ(f.info.chunks.begin, 1u);
  EXPECT_EQ(f.info.chunks.end, 3u);
  EXPECT_FALSE(f.info.Whole());
  EXPECT_EQ(f.tokens.Rows(), 2u * 63);
  EXPECT_EQ(f.info.n_vocab, e.n_vocab);
  EXPECT_GT(f.info.base_floor, 0);  // a stored llama.cpp base
  EXPECT_EQ(f.info.model, kModel);
  EXPECT_EQ(f.info.model_bytes, 8'500'000'000u);
  EXPECT_EQ(f.info.bits_per_weight, 8.5);
  TokenFileInfo other = f.info;
  EXPECT_TRUE(other.SameBase(f.info));
  other.mode = CompareMode::kTail;
  EXPECT_FALSE(other.SameBase(f.info));
  other = f.info;
  other.base_floor += 8;  // ik_llama.cpp's floor, not llama.cpp's
  EXPECT_FALSE(other.SameBase(f.info));
  std::remove(path.c_str());
}

// Rows over several blocks, invalid ones included, written directly.
TEST(TokenFile, ManyBlocksRoundTripEveryField) {
  const std::string path = TempPath("tokens", "blocks.kldt");
  const MeasureMask measures = MeasureBit(Measure::kJsd);
  const uint32_t chunks = 3, per_chunk = 50'000;  // 3 blocks of 65,536
  std::vector<TokenResult> rows =
      testing::RandomTokens(chunks * per_chunk, 17);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].measures.mask = measures;
    rows[i].measures.v[FindMeasure(Measure::kJsd)->slot] = 1e-3 * static_cast<double>(i);
  }
  rows[70'000] = testing::InvalidToken(kInvalidModelNaN);
  TokenFileInfo info;
  info.n_ctx = 2 * per_chunk + 2;
  info.n_chunk = chunks;
  info.rows = rows.size();
  info.chunks = {0, chunks};
  info.measures = measures;
  info.model = "m";
  {
    TokenFileWriter w(path, measures);
    w.Add({rows.data(), 1000});
    w.Add({rows.data() + 1000, rows.size() - 1000});
    w.Close(info);
  }
  const TokenFile f = LoadTokenFile(path);
  ASSERT_EQ(f.tokens.Rows(), rows.size());
  for (size_t i = 0; i < rows.size(); i += 997) {
    const TokenResult r = f.tokens.Result(i, measures);
    EXPECT_EQ(r.kld, rows[i].kld);
    EXPECT_EQ(r.nll, rows[i].nll);
    EXPECT_EQ(r.p_base, rows[i].p_base);
    EXPECT_EQ(r.dp, rows[i].dp);
    EXPECT_EQ(r.flags, rows[i].flags);
    EXPECT_EQ(r.measures.mask, measures);
    EXPECT_EQ(r.measures.v[FindMeasure(Measure::kJsd)->slot], 1e-3 * static_cast<double>(i));
  }
  const TokenResult bad = f.tokens.Result(70'000, measures);
  EXPECT_FALSE(bad.Valid());
  EXPECT_EQ(bad.measures.mask, 0u);
  EXPECT_TRUE(std::isnan(bad.kld));
  EXPECT_TRUE(std::isnan(f.info.bits_per_weight));
  std::remove(path.c_str());
}

TEST(TokenFile, DamageAndTruncationAreRefused) {
  const std::string path = TempPath("tokens", "damage.kldt");
  const std::vector<TokenResult> rows = testing::RandomTokens(200, 3);
  TokenFileInfo info;
  info.n_ctx = 202;  // 100 rows per chunk
  info.n_chunk = 2;
  info.rows = 200;
  info.chunks = {0, 2};
  info.model = "q";
  {
    TokenFileWriter w(path, 0);
    w.Add(rows);
    w.Close(info);
  }
  const std::string good = ReadFileBytes(path);
  ASSERT_EQ(LoadStatus(path), KLDKIT_OK);
  const auto with = [&](size_t at, char c) {
    std::string b = good;
    b[at] = c;
    WriteFileBytes(path, b);
    return LoadStatus(path);
  };
  EXPECT_EQ(with(0, 'X'), KLDKIT_ERROR_FORMAT);        // magic
  EXPECT_EQ(with(8, 2), KLDKIT_ERROR_UNSUPPORTED);     // version
  EXPECT_EQ(with(30, good[30] ^ 1), KLDKIT_ERROR_CHECKSUM);  // block
  EXPECT_EQ(with(good.size() - 40, good[good.size() - 40] ^ 1),
            KLDKIT_ERROR_CHECKSUM);                    // trailer
  EXPECT_EQ(with(good.size() - 1, '0'), KLDKIT_ERROR_TRUNCATED);  // end magic
  for (const size_t keep : {size_t{5}, size_t{40}, good.size() - 1}) {
    WriteFileBytes(path, good.substr(0, keep));
    const kldkit_status s = LoadStatus(path);
    EXPECT_TRUE(s == KLDKIT_ERROR_TRUNCATED || s == KLDKIT_ERROR_FORMAT)
        << keep << " bytes: " << s;
  }
  std::remove(path.c_str());
}

TEST(TokenFile, WrongRowCountWritesNothing) {
  const std::string path = TempPath("tokens", "short.kldt");
  std::remove(path.c_str());
  TokenFileInfo info;
  info.n_ctx = 202;
  info.n_chunk = 2;
  info.rows = 200;
  info.chunks = {0, 2};
  {
    TokenFileWriter w(path, 0);
    w.Add(testing::RandomTokens(150, 1));
    EXPECT_THROW(w.Close(info), Error);
  }
  EXPECT_FALSE(FileExists(path));
  EXPECT_FALSE(FileExists(path + ".tmp"));
  // A valid result without the file's measures is refused as it arrives.
  TokenFileWriter w(path, MeasureBit(Measure::kTvd));
  EXPECT_THROW(w.Add(testing::RandomTokens(1, 2)), Error);
}

}  // namespace
}  // namespace kldkit
