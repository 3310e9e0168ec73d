// The floors of stored rows and the keep-kld storage profile: the rule
// against a long-double reference, per-token results and reports that stay
// bit-identical on every SIMD target, floors 16/24/30, narrow and
// disagreeing rows, the 1.1 header flag, and the fixtures of llama.cpp and
// ik_llama.cpp.
#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <hwy/tests/hwy_gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kldkit/batch.hpp"
#include "kldkit/container.hpp"
#include "kldkit/keep.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/synth.hpp"
#include "lib/storage/checksum.h"
#include "lib/common/bytes.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("keep", name);
}

// A llama.cpp row with this header and these codes.
std::vector<uint16_t> MakeRow(float scale, float min_lp,
                              const std::vector<uint16_t>& codes) {
  std::vector<uint16_t> row(LlamaRowWords(codes.size()), 0x5a5a);
  std::memcpy(row.data(), &scale, 4);
  std::memcpy(row.data() + 2, &min_lp, 4);
  std::copy(codes.begin(), codes.end(), row.begin() + 4);
  return row;
}

// Codes crowding both edges kKld decides on: the -16 cut of the kernels
// (float scale * code + min_lp) and the margin 4 * scale below it.
std::vector<uint16_t> CodesAtTheCut(float scale, float min_lp, size_t n,
                                    uint64_t seed) {
  int cut = 0;
  while (scale * static_cast<float>(cut) + min_lp <= kLlamaKldCut) ++cut;
  std::mt19937_64 rng(seed);
  std::vector<uint16_t> codes(n);
  for (uint16_t& c : codes) {
    const int pick = static_cast<int>(rng() % 10);
    int v = pick < 3   ? cut + static_cast<int>(rng() % 5) - 2
            : pick < 6 ? cut - 4 + static_cast<int>(rng() % 5) - 2
            : pick < 8 ? static_cast<int>(rng() % 65536)
                       : 0;
    c = static_cast<uint16_t>(std::min(std::max(v, 0), 65535));
  }
  codes[rng() % n] = 65535;  // the row's top
  return codes;
}

// Bit-for-bit equality of two per-token results.
void ExpectSameBits(const TokenResult& a, const TokenResult& b,
                    const std::string& what) {
  EXPECT_EQ(std::memcmp(&a.kld, &b.kld, sizeof(a.kld)), 0)
      << what << ": kld " << a.kld << " vs " << b.kld;
  EXPECT_EQ(std::memcmp(&a.nll, &b.nll, sizeof(float)), 0) << what;
  EXPECT_EQ(std::memcmp(&a.nll_base, &b.nll_base, sizeof(float)), 0) << what;
  EXPECT_EQ(std::memcmp(&a.dp, &b.dp, sizeof(float)), 0) << what;
  EXPECT_EQ(a.top, b.top) << what;
  EXPECT_EQ(a.top_base, b.top_base) << what;
  EXPECT_EQ(a.flags, b.flags) << what;
}

TEST(KeepKld, ZeroesExactlyWhatTheRuleDrops) {
  std::mt19937_64 rng(7);
  for (float floor : {16.0f, 24.0f}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{7}, size_t{1001}}) {
      const float scale = floor / 65535.0f;
      const float min_lp = -floor - 0.3f - static_cast<float>(rng() % 3);
      const std::vector<uint16_t> codes = CodesAtTheCut(scale, min_lp, n, n);
      const auto target = static_cast<int32_t>(rng() % n);
      std::vector<uint16_t> row = MakeRow(scale, min_lp, codes);
      const std::vector<uint16_t> before = row;
      const size_t zeroed = ApplyKeepKld(row, n, target);
      const uint16_t top = *std::max_element(codes.begin(), codes.end());
      size_t want_zeroed = 0;
      for (size_t i = 0; i < n; ++i) {
        const long double lp = static_cast<long double>(scale) * codes[i] +
                               static_cast<long double>(min_lp);
        const bool keep = lp > -16.0L - 4.0L * scale ||
                          i == static_cast<size_t>(target) || codes[i] == top;
        want_zeroed += !keep && codes[i] != 0;
        EXPECT_EQ(row[4 + i], keep ? codes[i] : 0)
            << "floor " << floor << " n " << n << " token " << i;
      }
      EXPECT_EQ(zeroed, want_zeroed);
      EXPECT_TRUE(std::equal(before.begin(), before.begin() + 4, row.begin()))
          << "row head changed";
      EXPECT_EQ(row.back(), before.back()) << "padding word changed";
    }
  }
}

TEST(KeepKld, RowsItCannotReadStayAsTheyAre) {
  const std::vector<uint16_t> codes = {0, 5, 65535, 7};
  for (float scale : {std::nanf(""), -1.0f, HUGE_VALF}) {
    std::vector<uint16_t> row = MakeRow(scale, -20.0f, codes);
    const std::vector<uint16_t> before = row;
    EXPECT_EQ(ApplyKeepKld(row, 4, 1), 0u);
    EXPECT_EQ(row, before);
  }
  // A narrow row (every log-probability above the cut) keeps everything.
  std::vector<uint16_t> row = MakeRow(8.0f / 65535, -9.0f, codes);
  EXPECT_EQ(ApplyKeepKld(row, 4, 0), 0u);
}

TEST(KeepKld, RefusesABadTargetOrSize) {
  std::vector<uint16_t> row = MakeRow(16.0f / 65535, -17.0f, {1, 2, 3});
  EXPECT_THROW(ApplyKeepKld(row, 3, 3), Error);
  EXPECT_THROW(ApplyKeepKld(row, 3, -1), Error);
  EXPECT_THROW(ApplyKeepKld(row, 5, 0), Error);  // 10 words needed, 8 given
  EXPECT_EQ(ParseKeepProfile("kld"), KeepProfile::kKld);
  EXPECT_STREQ(KeepProfileName(KeepProfile::kAll), "all");
  EXPECT_THROW(ParseKeepProfile("tail"), Error);
}

// ---- Floors -------------------------------------------------------------------

// Writes a llama.cpp file of `rows` generated rows (n_vocab 4096, ctx 10:
// 4 rows a chunk) quantized with floors[r % floors.size()]; rows in
// `narrow` hold logits spanning 6.05 to 8 nats only.
std::string WriteFloorFile(const std::string& name, size_t rows,
                           const std::vector<float>& floors,
                           const std::vector<size_t>& narrow = {}) {
  constexpr size_t kVocab = 4096;
  constexpr uint32_t kCtx = 10;
  GeneratorOptions g;
  g.n_vocab = kVocab;
  g.spread = 1.5f;  // rows span well over 30 nats
  const LogitGenerator gen(g);
  LlamaFileHeader h;
  h.n_ctx = kCtx;
  h.n_vocab = kVocab;
  h.n_chunk = static_cast<int32_t>(rows / RowsPerChunk(kCtx));
  std::vector<int32_t> tokens(size_t{kCtx} * h.n_chunk);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t(i * 37 % kVocab);
  const std::string path = TempPath(name);
  LlamaFileWriter out(path, h, tokens);
  std::vector<float> logits(kVocab);
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  for (size_t r = 0; r < rows; ++r) {
    gen.BaseRow(r, logits);
    if (std::find(narrow.begin(), narrow.end(), r) != narrow.end()) {
      const float span = 6.05f + 0.05f * static_cast<float>(r);
      for (size_t i = 0; i < kVocab; ++i) logits[i] = span * float(i % 97) / 96;
    }
    QuantizeOptions q;
    q.floor = floors[r % floors.size()];
    QuantizeRow(RowView::F32(logits), row, q);
    out.AppendRow(row);
  }
  out.Close();
  return path;
}

TEST(RowFloor, FindsTheFloorRowsWereWrittenWith) {
  for (float floor : {16.0f, 24.0f, 30.0f}) {
    const std::string path = WriteFloorFile("floor.logits", 40, {floor});
    const RowFloor f = LlamaFileReader(path).ScanFloor();
    EXPECT_EQ(f.nats, floor);
    EXPECT_EQ(f.rows, 40u);
    EXPECT_EQ(f.at_floor, 40u);
    EXPECT_FALSE(f.disagree);
    EXPECT_FALSE(f.sampled);
    const RowFloor first = LlamaFileReader(path).ScanFloor(4);
    EXPECT_EQ(first.rows, 4u);
    EXPECT_TRUE(first.sampled);
    // A container records it, and its row heads give it back.
    const std::string kldz = TempPath("floor.kldz");
    ImportLlamaFile(path, kldz);
    const ContainerReader c(kldz);
    EXPECT_EQ(c.RecordedFloor(), floor);
    EXPECT_EQ(c.Metadata().at("floor"), std::to_string(int(floor)));
    EXPECT_EQ(c.ScanFloor().nats, floor);
    EXPECT_EQ(c.ScanFloor().at_floor, 40u);
    std::remove(kldz.c_str());
    std::remove(path.c_str());
  }
}

TEST(RowFloor, NarrowRowsAreNormal) {
  const std::string path =
      WriteFloorFile("narrow.logits", 40, {16.0f}, {1, 5, 6, 7, 20, 21, 22, 23, 30, 39});
  const RowFloor f = LlamaFileReader(path).ScanFloor();
  EXPECT_EQ(f.nats, 16.0);
  EXPECT_EQ(f.rows, 40u);
  EXPECT_EQ(f.at_floor, 30u);
  EXPECT_FALSE(f.disagree) << "narrow rows are not a second floor";
  std::remove(path.c_str());
}

TEST(RowFloor, RowsThatDisagreeAreNamed) {
  const std::string path = WriteFloorFile("mixed.logits", 40, {16.0f, 24.0f});
  const RowFloor f = LlamaFileReader(path).ScanFloor();
  EXPECT_EQ(f.nats, 24.0);
  EXPECT_EQ(f.at_floor, 20u);
  EXPECT_TRUE(f.disagree);
  EXPECT_EQ(f.other, 16.0);
  std::remove(path.c_str());
}

// ---- The container ------------------------------------------------------------

// Imports `src` with kKld; checks what the file says about itself.
std::string ImportKeepKld(const std::string& src, const std::string& name) {
  const std::string kldz = TempPath(name);
  ContainerOptions o;
  o.keep = KeepProfile::kKld;
  ImportLlamaFile(src, kldz, o);
  const ContainerReader r(kldz);
  EXPECT_EQ(r.Keep(), KeepProfile::kKld);
  EXPECT_EQ(r.Metadata().at("keep"), "kld");
  const std::string bytes = testing::ReadFileBytes(kldz);
  EXPECT_EQ(detail::GetLE(reinterpret_cast<const uint8_t*>(bytes.data()) + 10, 2), 1u)
      << "a keep-kld file is version 1.1";
  EXPECT_EQ(detail::GetLE(reinterpret_cast<const uint8_t*>(bytes.data()) + 12, 4), 1u);
  return kldz;
}

// Every row head and every code the profile keeps come back from an
// exported file; the others are 0.
void ExpectExportKeepsWhatItKept(const std::string& src, const std::string& kldz) {
  const std::string back = TempPath("back.logits");
  ExportLlamaFile(kldz, back);
  const LlamaFileReader a(src), b(back);
  ASSERT_EQ(a.RowCount(), b.RowCount());
  std::vector<uint16_t> ra(a.RowWords()), rb(a.RowWords()), rk(a.RowWords());
  const size_t n = static_cast<size_t>(a.Header().n_vocab);
  for (uint64_t r = 0; r < a.RowCount(); ++r) {
    a.ReadRow(r, ra);
    b.ReadRow(r, rb);
    rk = ra;
    ApplyKeepKld(rk, n, a.TargetToken(r));
    ASSERT_TRUE(std::equal(ra.begin(), ra.begin() + 4, rb.begin())) << "row " << r;
    ASSERT_EQ(rb, rk) << "row " << r;
  }
  std::remove(back.c_str());
}

// llama.cpp-mode results of base `a` and `b` against `model`: per token
// and as reports, on 1 and 2 threads, bit for bit.
template <class ReadModel>
void ExpectSameReports(const std::string& a_path, const std::string& b_path,
                       size_t model_stride, RowType model_type,
                       const ReadModel& read_model) {
  const LlamaFileReader a(a_path);
  const ContainerReader b(b_path);
  const size_t n = static_cast<size_t>(a.Header().n_vocab);
  const size_t rows = a.RowCount(), words = a.RowWords();
  std::vector<uint16_t> ra(rows * words), rb(rows * words);
  std::vector<int32_t> targets(rows);
  for (size_t r = 0; r < rows; ++r) {
    a.ReadRow(r, {ra.data() + r * words, words});
    b.ReadRow(r, {rb.data() + r * words, words});
    targets[r] = a.TargetToken(r);
  }
  std::vector<unsigned char> model(rows * model_stride);
  read_model(model.data());
  const RowBatch m = RowBatch::Strided(model.data(), rows, n, model_stride, model_type);
  for (size_t r = 0; r < rows; ++r) {
    ExpectSameBits(CompareRow(RowView::Llama(ra.data() + r * words, n), m.Row(r), targets[r]),
                   CompareRow(RowView::Llama(rb.data() + r * words, n), m.Row(r), targets[r]),
                   b_path + " row " + std::to_string(r));
  }
  for (size_t threads : {1, 2}) {
    Accumulator acc_a, acc_b;
    BatchOptions o;
    o.threads = threads;
    CompareBatch(RowBatch::Strided(ra.data(), rows, n, 2 * words, RowType::kLlamaU16),
                 m, targets, acc_a, o);
    CompareBatch(RowBatch::Strided(rb.data(), rows, n, 2 * words, RowType::kLlamaU16),
                 m, targets, acc_b, o);
    EXPECT_EQ(acc_a.Serialize(), acc_b.Serialize()) << threads << " threads";
    EXPECT_EQ(RenderText(acc_a.MakeReport()), RenderText(acc_b.MakeReport()));
    EXPECT_EQ(RenderJson(acc_a.MakeReport()), RenderJson(acc_b.MakeReport()));
  }
}

void ExpectFixturePair(const std::string& base, const std::string& quant,
                       const std::string& folder, double min_ratio) {
  const std::string kldz = ImportKeepKld(base, folder + ".kldz");
  const double ratio = double(testing::ReadFileBytes(base).size()) /
                       double(testing::ReadFileBytes(kldz).size());
  EXPECT_GE(ratio, min_ratio) << folder << ": the issue's size target";
  ExpectExportKeepsWhatItKept(base, kldz);
  const LlamaFileReader q(quant);
  const size_t words = q.RowWords();
  ExpectSameReports(base, kldz, 2 * words, RowType::kLlamaU16, [&](unsigned char* out) {
    auto* w = reinterpret_cast<uint16_t*>(out);
    for (uint64_t r = 0; r < q.RowCount(); ++r) q.ReadRow(r, {w + r * words, words});
  });
  std::remove(kldz.c_str());
}

TEST(KeepKldContainer, LlamaCppFixtureReportsAreBitIdentical) {
  KLDKIT_REQUIRE_FIXTURE(base, "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE(quant, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, "v32k-c128x4-q8_0.f32.npy");
  ExpectFixturePair(base, quant, "llamacpp", 2.35);
  // Against the model's float logits: llama.cpp's own comparison.
  const std::string kldz = ImportKeepKld(base, "llamacpp-npy.kldz");
  const NpyReader logits(npy);
  const size_t cols = static_cast<size_t>(logits.Cols());
  ExpectSameReports(base, kldz, 4 * cols, RowType::kF32, [&](unsigned char* out) {
    auto* f = reinterpret_cast<float*>(out);
    for (uint64_t r = 0; r < logits.Rows(); ++r) logits.ReadRow(r, {f + r * cols, cols});
  });
  std::remove(kldz.c_str());
}

TEST(KeepKldContainer, IkLlamaFixtureReportsAreBitIdentical) {
  KLDKIT_REQUIRE_FIXTURE_IN(base, "ik_llama", "v32k-c128x4-f16.logits");
  KLDKIT_REQUIRE_FIXTURE_IN(quant, "ik_llama", "v32k-c128x4-q8_0.logits");
  EXPECT_EQ(LlamaFileReader(base).ScanFloor().nats, 24.0);
  ExpectFixturePair(base, quant, "ik_llama", 2.45);
}

// A 1.0 reader refuses the flag (reserved bits); this reader refuses the
// flag in a 1.0 file, and any other flag bit.
TEST(KeepKldContainer, HeaderFlagRules) {
  const std::string src = WriteFloorFile("flag.logits", 8, {16.0f});
  const std::string kldz = ImportKeepKld(src, "flag.kldz");
  const std::string good = testing::ReadFileBytes(kldz);
  const auto patched = [&](size_t at, uint8_t value) {
    std::string bad = good;
    bad[at] = static_cast<char>(value);
    const uint64_t size =
        detail::GetLE(reinterpret_cast<const uint8_t*>(bad.data()) + 16, 8);
    const uint64_t sum = detail::Checksum64(bad.data(), size - 8);
    for (int i = 0; i < 8; ++i) bad[size - 8 + i] = static_cast<char>(sum >> (8 * i));
    testing::WriteFileBytes(kldz, bad);
    try {
      ContainerReader r(kldz);
      return KLDKIT_OK;
    } catch (const Error& e) {
      return e.Status();
    }
  };
  EXPECT_EQ(patched(10, 0), KLDKIT_ERROR_FORMAT) << "flag in a 1.0 file";
  EXPECT_EQ(patched(12, 3), KLDKIT_ERROR_FORMAT) << "unknown flag bit";
  EXPECT_EQ(patched(12, 2), KLDKIT_ERROR_FORMAT) << "unknown flag bit";
  EXPECT_EQ(patched(12, 1), KLDKIT_OK);
  std::remove(kldz.c_str());
  std::remove(src.c_str());
}

TEST(KeepKldContainer, RowsPastTheTokenLayoutAreRefused) {
  LlamaFileHeader h;
  h.n_ctx = 6;  // 2 rows a chunk
  h.n_vocab = 5;
  h.n_chunk = 1;
  ContainerInfo info;
  info.header = h;
  info.tokens = {0, 1, 2, 3, 4, 0};
  ContainerOptions o;
  o.keep = KeepProfile::kKld;
  const std::string path = TempPath("past.kldz");
  ContainerWriter w(path, info, o);
  const std::vector<uint16_t> row = MakeRow(16.0f / 65535, -17.0f, {1, 2, 65535, 4, 5});
  w.AppendRow(row);
  w.AppendRow(row);
  EXPECT_THROW(w.AppendRow(row), Error) << "a third row has no target token";
  w.Close();  // the writer is still usable: the refused row changed nothing
  EXPECT_EQ(ContainerReader(path).RowCount(), 2u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kldkit

// ---- Bit-identical results on every SIMD target ----------------------------
// Outside namespace kldkit: Highway's macro names ::testing unqualified.
namespace {

using kldkit::ApplyKeepKld;
using kldkit::CompareRow;
using kldkit::GeneratorOptions;
using kldkit::kLlamaKldCut;
using kldkit::LlamaRowWords;
using kldkit::LogitGenerator;
using kldkit::QuantizeOptions;
using kldkit::QuantizeRow;
using kldkit::RowView;
using kldkit::TokenResult;

class KeepKldTarget : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(KeepKldTarget);

// Compares `base` and its kKld copy with `model` for every target token
// class: a kept one, and ones the profile would drop but keeps as targets.
void ExpectSameResults(const std::vector<uint16_t>& base, size_t n,
                       RowView model, const std::string& what) {
  for (int32_t target : {0, static_cast<int32_t>(n / 2),
                         static_cast<int32_t>(n - 1)}) {
    std::vector<uint16_t> kept = base;
    EXPECT_GT(ApplyKeepKld(kept, n, target), 0u) << what << ": nothing dropped";
    const TokenResult a = CompareRow(RowView::Llama(base.data(), n), model, target);
    const TokenResult b = CompareRow(RowView::Llama(kept.data(), n), model, target);
    kldkit::ExpectSameBits(a, b, what + " target " + std::to_string(target));
  }
}

TEST_P(KeepKldTarget, RowsAtTheCutCompareBitIdentically) {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (float floor : {16.0f, 24.0f}) {
    for (size_t n : {size_t{33}, size_t{1000}, size_t{4099}, size_t{32000}}) {
      const float scale = floor / 65535.0f;
      const float min_lp = -floor - 0.7f;
      const std::vector<uint16_t> base =
          kldkit::MakeRow(scale, min_lp, kldkit::CodesAtTheCut(scale, min_lp, n, n + 3));
      std::vector<float> logits(n);
      for (size_t i = 0; i < n; ++i) {
        logits[i] = scale * base[4 + i] + min_lp + noise(rng);
      }
      const std::string what = std::string(hwy::TargetName(GetParam())) +
                               " floor " + std::to_string(floor) + " n " +
                               std::to_string(n);
      ExpectSameResults(base, n, RowView::F32(logits), what + " f32 model");
      std::vector<uint16_t> stored(LlamaRowWords(n));
      QuantizeRow(RowView::F32(logits), stored);
      ExpectSameResults(base, n, RowView::Llama(stored.data(), n),
                        what + " stored model");
    }
  }
}

TEST_P(KeepKldTarget, GeneratedRowsCompareBitIdentically) {
  GeneratorOptions g;
  g.n_vocab = 32000;
  g.spread = 0.75f;
  const LogitGenerator gen(g);
  std::vector<float> logits(g.n_vocab), model(g.n_vocab);
  std::vector<uint16_t> base(LlamaRowWords(g.n_vocab));
  for (float floor : {16.0f, 24.0f}) {
    QuantizeOptions q;
    q.floor = floor;
    for (uint64_t r = 0; r < 4; ++r) {
      gen.BaseRow(r, logits);
      gen.ModelRow(r, 0.05, 1, model);
      QuantizeRow(RowView::F32(logits), base, q);
      ExpectSameResults(base, g.n_vocab, RowView::F32(model),
                        std::string(hwy::TargetName(GetParam())) +
                            " generated row " + std::to_string(r));
    }
  }
}

}  // namespace
