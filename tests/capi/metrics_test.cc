// C ABI over the metrics layer: kldkit_accumulator, kldkit_report and its
// renderings, kldkit_compare_batch. Every result is checked against the C++
// API on the same data (serialised bytes, report fields, rendered text);
// every bad argument returns its documented status without touching state.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "kldkit/batch.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"
#include "tests/capi/capi_test_util.h"

namespace kldkit {
namespace {

constexpr size_t kVocab = 37;  // odd: a padded llama.cpp row
constexpr size_t kRows = 333;  // > 100 tokens (statistics), partial block

// Base rows as llama.cpp rows, model rows as float logits, targets.
struct Data {
  std::vector<uint16_t> base;  // kRows * LlamaRowWords(kVocab)
  std::vector<float> model;    // kRows * kVocab
  std::vector<int32_t> targets;
  kldkit_row_batch base_batch() const {
    return {base.data(), kRows, kVocab, 2 * LlamaRowWords(kVocab),
            KLDKIT_ROW_LLAMA_U16};
  }
  kldkit_row_batch model_batch() const {
    return {model.data(), kRows, kVocab, 4 * kVocab, KLDKIT_ROW_F32};
  }
};

Data MakeData() {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 2.5f);
  std::uniform_int_distribution<int32_t> tok(0, kVocab - 1);
  Data d;
  const size_t words = LlamaRowWords(kVocab);
  d.base.resize(kRows * words);
  d.model.resize(kRows * kVocab);
  std::vector<float> logits(kVocab);
  for (size_t i = 0; i < kRows; ++i) {
    for (size_t j = 0; j < kVocab; ++j) {
      logits[j] = dist(rng);
      d.model[i * kVocab + j] = logits[j] + 0.3f * dist(rng);
    }
    QuantizeRow(RowView::F32(logits),
                gsl::span<uint16_t>(d.base.data() + i * words, words));
    d.targets.push_back(tok(rng));
  }
  d.model[7 * kVocab + 3] = NAN;  // one skipped token
  return d;
}

RowBatch CppBase(const Data& d) {
  return RowBatch::Strided(d.base.data(), kRows, kVocab,
                           2 * LlamaRowWords(kVocab), RowType::kLlamaU16);
}
RowBatch CppModel(const Data& d) {
  return RowBatch::Strided(d.model.data(), kRows, kVocab, 4 * kVocab,
                           RowType::kF32);
}

std::vector<uint8_t> Serialize(const kldkit_accumulator* acc) {
  size_t n = 0;
  EXPECT_EQ(kldkit_accumulator_serialize(nullptr, 0, &n, acc), KLDKIT_OK);
  std::vector<uint8_t> out(n);
  EXPECT_EQ(kldkit_accumulator_serialize(out.data(), out.size(), &n, acc),
            KLDKIT_OK);
  return out;
}

kldkit_accumulator* NewAcc(uint32_t mode = KLDKIT_PERCENTILES_EXACT) {
  kldkit_accumulator_options o = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  o.percentile_mode = mode;
  kldkit_accumulator* acc = nullptr;
  EXPECT_EQ(kldkit_accumulator_create(&acc, &o), KLDKIT_OK);
  return acc;
}

std::string RenderC(const kldkit_report& r, bool json) {
  size_t n = 0;
  auto fn = json ? kldkit_render_json : kldkit_render_text;
  EXPECT_EQ(fn(nullptr, 0, &n, &r), KLDKIT_OK);
  std::string s(n, '\0');
  EXPECT_EQ(fn(&s[0], s.size(), &n, &r), KLDKIT_OK);
  EXPECT_EQ(s.back(), '\0');
  s.pop_back();
  return s;
}

TEST(CapiBatch, EqualsCppCompareBatchOnAnyThreadCount) {
  const Data d = MakeData();
  Accumulator cpp;
  CompareBatch(CppBase(d), CppModel(d), d.targets, cpp);
  const std::vector<uint8_t> expected = cpp.Serialize();
  for (uint32_t threads : {1u, 3u}) {
    kldkit_accumulator* acc = NewAcc();
    const kldkit_row_batch b = d.base_batch(), m = d.model_batch();
    kldkit_batch_options o = KLDKIT_BATCH_OPTIONS_INIT;
    o.threads = threads;
    ASSERT_EQ(kldkit_compare_batch(acc, nullptr, 0, &b, &m, d.targets.data(),
                                   kRows, &o),
              KLDKIT_OK)
        << kldkit_last_error();
    EXPECT_EQ(Serialize(acc), expected) << threads << " threads";
    kldkit_accumulator_free(acc);
  }
}

TEST(CapiBatch, ExportsEachTokenResultAsCompareRow) {
  const Data d = MakeData();
  const kldkit_row_batch b = d.base_batch(), m = d.model_batch();
  std::vector<kldkit_token_result> results(kRows, KLDKIT_TOKEN_RESULT_INIT);
  kldkit_accumulator* acc = NewAcc();
  kldkit_batch_options o = KLDKIT_BATCH_OPTIONS_INIT;
  o.mode = KLDKIT_COMPARE_TAIL;
  o.threads = 2;
  ASSERT_EQ(kldkit_compare_batch(acc, results.data(), kRows, &b, &m,
                                 d.targets.data(), kRows, &o),
            KLDKIT_OK);
  CompareOptions co;
  co.mode = CompareMode::kTail;
  for (size_t i = 0; i < kRows; ++i) {
    const TokenResult r = CompareRow(CppBase(d).Row(i), CppModel(d).Row(i),
                                     d.targets[i], co);
    if (i == 7) {
      EXPECT_NE(results[i].flags & KLDKIT_TOKEN_INVALID_MODEL_NAN, 0u);
      continue;
    }
    EXPECT_EQ(results[i].struct_size, sizeof(kldkit_token_result));
    EXPECT_EQ(results[i].kld, r.kld) << i;
    EXPECT_EQ(results[i].nll, r.nll) << i;
    EXPECT_EQ(results[i].dp, r.dp) << i;
    EXPECT_EQ(results[i].top, r.top) << i;
    EXPECT_EQ(results[i].flags, r.flags) << i;
  }
  // Adding the exported results one by one gives the same counts.
  kldkit_accumulator* again = NewAcc();
  ASSERT_EQ(kldkit_accumulator_add(again, results.data(), kRows), KLDKIT_OK);
  kldkit_report r1 = KLDKIT_REPORT_INIT, r2 = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&r1, acc, 1), KLDKIT_OK);
  ASSERT_EQ(kldkit_accumulator_report(&r2, again, 1), KLDKIT_OK);
  EXPECT_EQ(r1.n_tokens, kRows - 1);
  EXPECT_EQ(r1.n_skipped_model_nan, 1u);
  EXPECT_EQ(r2.n_tokens, r1.n_tokens);
  EXPECT_EQ(r2.kld_max, r1.kld_max);
  EXPECT_NEAR(r2.kld.value, r1.kld.value, 1e-12);
  kldkit_accumulator_free(acc);
  kldkit_accumulator_free(again);
}

struct Progress {
  std::vector<uint64_t> done;
  uint64_t total = 0;
  size_t cancel_at = SIZE_MAX;  // call index that cancels
};

int OnProgress(void* user, uint64_t done, uint64_t total) {
  auto* p = static_cast<Progress*>(user);
  p->done.push_back(done);
  p->total = total;
  return p->done.size() > p->cancel_at ? 1 : 0;
}

TEST(CapiBatch, ProgressReportsAndCancelsLeavingTheAccumulatorUnchanged) {
  Data d = MakeData();
  // 20 blocks of 16 rows: two progress groups at one thread.
  const kldkit_row_batch b = d.base_batch(), m = d.model_batch();
  Progress p;
  kldkit_batch_options o = KLDKIT_BATCH_OPTIONS_INIT;
  o.progress = OnProgress;
  o.progress_user_data = &p;
  kldkit_accumulator* acc = NewAcc();
  ASSERT_EQ(kldkit_compare_batch(acc, nullptr, 0, &b, &m, d.targets.data(),
                                 kRows, &o),
            KLDKIT_OK);
  ASSERT_EQ(p.done.size(), 2u);
  EXPECT_EQ(p.done[0], 256u);
  EXPECT_EQ(p.done[1], kRows);
  EXPECT_EQ(p.total, kRows);
  const std::vector<uint8_t> before = Serialize(acc);
  Progress cancel;
  cancel.cancel_at = 0;
  o.progress_user_data = &cancel;
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, nullptr, 0, &b, &m,
                                             d.targets.data(), kRows, &o),
                        KLDKIT_ERROR_CANCELLED);
  EXPECT_EQ(cancel.done.size(), 1u);
  EXPECT_EQ(Serialize(acc), before);
  kldkit_accumulator_free(acc);
}

TEST(CapiBatch, ArgumentErrors) {
  Data d = MakeData();
  kldkit_accumulator* acc = NewAcc();
  const std::vector<uint8_t> empty = Serialize(acc);
  const kldkit_row_batch b = d.base_batch(), m = d.model_batch();
  const int32_t* t = d.targets.data();
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(nullptr, nullptr, 0, &b, &m, t, kRows, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, nullptr, &m, t, kRows, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, nullptr, t, kRows, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, nullptr, kRows, nullptr),
      inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows - 1, nullptr),
      KLDKIT_ERROR_MISMATCH);
  kldkit_row_batch bad = b;
  bad.type = 9;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &bad, &m, t, kRows, nullptr), inv);
  bad = b;
  bad.stride_bytes = 2;  // shorter than a row
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &bad, &m, t, kRows, nullptr), inv);
  bad = b;
  bad.data = nullptr;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &bad, &m, t, kRows, nullptr), inv);
  kldkit_row_batch other_vocab = m;
  other_vocab.n_vocab = kVocab - 1;
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, nullptr, 0, &b,
                                             &other_vocab, t, kRows, nullptr),
                        inv);
  // A float base row in llama.cpp mode is rejected by the kernel.
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &m, &m, t, kRows, nullptr), inv);
  std::vector<int32_t> bad_targets = d.targets;
  bad_targets[kRows - 1] = static_cast<int32_t>(kVocab);
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, nullptr, 0, &b, &m,
                                             bad_targets.data(), kRows,
                                             nullptr),
                        inv);
  bad_targets[kRows - 1] = -1;
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, nullptr, 0, &b, &m,
                                             bad_targets.data(), kRows,
                                             nullptr),
                        inv);
  std::vector<kldkit_token_result> results(kRows, KLDKIT_TOKEN_RESULT_INIT);
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, results.data(), kRows - 1,
                                             &b, &m, t, kRows, nullptr),
                        inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 3, &b, &m, t, kRows, nullptr), inv);
  results[0].struct_size = 8;
  KLDKIT_EXPECT_FAILURE(kldkit_compare_batch(acc, results.data(), kRows, &b,
                                             &m, t, kRows, nullptr),
                        inv);
  kldkit_batch_options o = KLDKIT_BATCH_OPTIONS_INIT;
  o.threads = 0;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows, &o), inv);
  o.threads = 1025;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows, &o), inv);
  o = kldkit_batch_options KLDKIT_BATCH_OPTIONS_INIT;
  o.mode = 3;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows, &o), inv);
  o.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(
      kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows, &o), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_batch_options_init(nullptr), inv);
  // No failure changed the accumulator; an old, shorter options struct
  // (struct_size covering threads only) still works.
  EXPECT_EQ(Serialize(acc), empty);
  o = kldkit_batch_options KLDKIT_BATCH_OPTIONS_INIT;
  o.struct_size = offsetof(kldkit_batch_options, mode);
  o.mode = 99;  // not covered: ignored
  EXPECT_EQ(kldkit_compare_batch(acc, nullptr, 0, &b, &m, t, kRows, &o),
            KLDKIT_OK);
  kldkit_accumulator_free(acc);
}

TEST(CapiAccumulator, AddMergeReportEqualCpp) {
  const Data d = MakeData();
  std::vector<TokenResult> cpp_results;
  std::vector<kldkit_token_result> c_results;
  for (size_t i = 0; i < kRows; ++i) {
    cpp_results.push_back(CompareRow(CppBase(d).Row(i), CppModel(d).Row(i),
                                     d.targets[i]));
    kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
    const kldkit_row b{&d.base[i * LlamaRowWords(kVocab)], kVocab,
                       KLDKIT_ROW_LLAMA_U16};
    const kldkit_row m{&d.model[i * kVocab], kVocab, KLDKIT_ROW_F32};
    ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, &b, &m, d.targets[i],
                                 nullptr),
              KLDKIT_OK);
    c_results.push_back(c);
  }
  // Two halves merged, on both sides.
  const size_t half = kRows / 2;
  Accumulator cpp_a, cpp_b;
  cpp_a.Add(gsl::span<const TokenResult>(cpp_results.data(), half));
  cpp_b.Add(gsl::span<const TokenResult>(cpp_results.data() + half,
                                         kRows - half));
  cpp_a.Merge(cpp_b);
  kldkit_accumulator* a = NewAcc();
  kldkit_accumulator* b = NewAcc();
  ASSERT_EQ(kldkit_accumulator_add(a, c_results.data(), half), KLDKIT_OK);
  ASSERT_EQ(kldkit_accumulator_add(b, c_results.data() + half, kRows - half),
            KLDKIT_OK);
  ASSERT_EQ(kldkit_accumulator_merge(a, b), KLDKIT_OK);
  EXPECT_EQ(Serialize(a), cpp_a.Serialize());

  const Report expected = cpp_a.MakeReport();
  kldkit_report r = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&r, a, 1), KLDKIT_OK);
  EXPECT_EQ(r.struct_size, sizeof(kldkit_report));
  EXPECT_EQ(r.n_tokens, expected.n_tokens);
  EXPECT_EQ(r.n_skipped_model_nan, 1u);
  EXPECT_EQ(r.n_same_top, expected.n_same_top);
  EXPECT_EQ(r.has_statistics, 1u);
  EXPECT_EQ(r.ppl.value, expected.ppl.value);
  EXPECT_EQ(r.ln_ppl_correlation, expected.ln_ppl_correlation);
  EXPECT_EQ(r.kld.value, expected.kld.value);
  EXPECT_EQ(r.kld.uncertainty, expected.kld.uncertainty);
  for (int i = 0; i < kKldPercentileCount; ++i) {
    EXPECT_EQ(r.kld_percentiles[i], expected.kld_percentiles[i]);
  }
  for (int i = 0; i < kDpPercentileCount; ++i) {
    EXPECT_EQ(r.dp_percentiles[i], expected.dp_percentiles[i]);
  }
  EXPECT_EQ(r.same_top.value, expected.same_top.value);
  // Renderings through the C struct equal the C++ ones: the round trip
  // kldkit_report -> Report loses nothing.
  EXPECT_EQ(RenderC(r, false), RenderText(expected));
  EXPECT_EQ(RenderC(r, true), RenderJson(expected));
  kldkit_report running = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&running, a, 0), KLDKIT_OK);
  EXPECT_TRUE(std::isnan(running.kld_percentiles[0]));
  char line[512];
  size_t n = 0;
  ASSERT_EQ(kldkit_render_chunk_line(line, sizeof(line), &n, 3, &running),
            KLDKIT_OK);
  EXPECT_EQ(std::string(line), FormatChunkLine(3, cpp_a.MakeReport(false)));
  EXPECT_EQ(n, std::strlen(line) + 1);
  ASSERT_EQ(kldkit_render_chunk_header(line, sizeof(line), &n), KLDKIT_OK);
  EXPECT_EQ(std::string(line), ChunkHeader());
  kldkit_accumulator_free(a);
  kldkit_accumulator_free(b);
}

TEST(CapiAccumulator, SerializeDeserializeAndDecodeMerge) {
  const Data d = MakeData();
  kldkit_accumulator* a = NewAcc(KLDKIT_PERCENTILES_SKETCH);
  const kldkit_row_batch b = d.base_batch(), m = d.model_batch();
  ASSERT_EQ(kldkit_compare_batch(a, nullptr, 0, &b, &m, d.targets.data(),
                                 kRows, nullptr),
            KLDKIT_OK);
  const std::vector<uint8_t> bytes = Serialize(a);
  // The allocating form gives the same bytes.
  uint8_t* alloc = nullptr;
  size_t n = 0;
  ASSERT_EQ(kldkit_accumulator_serialize_alloc(&alloc, &n, a), KLDKIT_OK);
  EXPECT_EQ(std::vector<uint8_t>(alloc, alloc + n), bytes);
  kldkit_free(alloc);
  kldkit_free(nullptr);
  // Deserialize keeps the options (sketch) and the state.
  kldkit_accumulator* copy = nullptr;
  ASSERT_EQ(kldkit_accumulator_deserialize(&copy, bytes.data(), bytes.size()),
            KLDKIT_OK);
  EXPECT_EQ(Serialize(copy), bytes);
  kldkit_report r = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&r, copy, 1), KLDKIT_OK);
  EXPECT_EQ(r.percentile_mode, KLDKIT_PERCENTILES_SKETCH);
  EXPECT_EQ(r.sketch_relative_accuracy, 1e-3);
  // decode_merge of the same bytes twice = C++ DecodeAndMerge twice.
  kldkit_accumulator* twice = NewAcc(KLDKIT_PERCENTILES_SKETCH);
  AccumulatorOptions sketch_options;
  sketch_options.percentiles = PercentileMode::kSketch;
  Accumulator cpp(sketch_options);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(kldkit_accumulator_decode_merge(twice, bytes.data(),
                                              bytes.size()),
              KLDKIT_OK);
    cpp.DecodeAndMerge(bytes);
  }
  EXPECT_EQ(Serialize(twice), cpp.Serialize());
  // Differently configured state: INCOMPATIBLE, state unchanged.
  kldkit_accumulator* exact = NewAcc(KLDKIT_PERCENTILES_EXACT);
  const std::vector<uint8_t> exact_bytes = Serialize(exact);
  KLDKIT_EXPECT_FAILURE(
      kldkit_accumulator_decode_merge(exact, bytes.data(), bytes.size()),
      KLDKIT_ERROR_INCOMPATIBLE);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_merge(exact, a),
                        KLDKIT_ERROR_INCOMPATIBLE);
  EXPECT_EQ(Serialize(exact), exact_bytes);
  // Damaged bytes: a flipped byte fails the checksum or the format, a cut
  // encoding is truncated; neither creates a handle.
  std::vector<uint8_t> bad = bytes;
  bad[bad.size() / 2] ^= 0x5a;
  kldkit_accumulator* none = reinterpret_cast<kldkit_accumulator*>(&bad);
  ::kldkit::detail::SetLastError("");
  const kldkit_status s =
      kldkit_accumulator_deserialize(&none, bad.data(), bad.size());
  EXPECT_TRUE(s == KLDKIT_ERROR_CHECKSUM || s == KLDKIT_ERROR_FORMAT) << s;
  EXPECT_EQ(none, nullptr);
  KLDKIT_EXPECT_FAILURE(
      kldkit_accumulator_deserialize(&none, bytes.data(), bytes.size() - 3),
      KLDKIT_ERROR_TRUNCATED);
  const uint8_t junk[16] = {1, 2, 3};
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_deserialize(&none, junk, 16),
                        KLDKIT_ERROR_FORMAT);
  for (kldkit_accumulator* h : {a, copy, twice, exact}) {
    kldkit_accumulator_free(h);
  }
}

TEST(CapiAccumulator, ShortReportStructIsFilledOnlyUpToItsSize) {
  kldkit_accumulator* a = NewAcc();
  kldkit_token_result t = KLDKIT_TOKEN_RESULT_INIT;
  t.kld = 0.5;
  t.nll = 1.0f;
  t.nll_base = 1.0f;
  t.p = t.p_base = std::exp(-1.0f);
  t.top = t.top_base = 2;
  t.flags = KLDKIT_TOKEN_SAME_TOP;
  ASSERT_EQ(kldkit_accumulator_add(a, &t, 1), KLDKIT_OK);
  kldkit_report r;
  std::memset(&r, 0x7f, sizeof(r));
  r.struct_size = offsetof(kldkit_report, n_skipped);
  ASSERT_EQ(kldkit_accumulator_report(&r, a, 1), KLDKIT_OK);
  EXPECT_EQ(r.struct_size, offsetof(kldkit_report, n_skipped));
  EXPECT_EQ(r.n_tokens, 1u);
  EXPECT_EQ(r.has_statistics, 0u);
  uint64_t untouched;
  std::memset(&untouched, 0x7f, sizeof(untouched));
  EXPECT_EQ(r.n_skipped, untouched);
  // A struct too short to hold n_tokens is refused; so is rendering a
  // partial report.
  r.struct_size = offsetof(kldkit_report, n_tokens);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_report(&r, a, 1),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  size_t n = 0;
  const size_t v1_size = offsetof(kldkit_report, same_top) +
                         sizeof(kldkit_estimate);  // 0.1's kldkit_report
  r.struct_size = v1_size - 8;
  KLDKIT_EXPECT_FAILURE(kldkit_render_text(nullptr, 0, &n, &r),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  // A report of 0.1's size (a caller built against 0.1) still renders,
  // as a report without measures.
  kldkit_report full = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&full, a, 1), KLDKIT_OK);
  std::memcpy(&r, &full, v1_size);
  r.struct_size = v1_size;
  size_t n_full = 0;
  EXPECT_EQ(kldkit_render_json(nullptr, 0, &n, &r), KLDKIT_OK);
  EXPECT_EQ(kldkit_render_json(nullptr, 0, &n_full, &full), KLDKIT_OK);
  EXPECT_EQ(n, n_full);
  kldkit_accumulator_free(a);
}

TEST(CapiAccumulator, ArgumentErrors) {
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  kldkit_accumulator* acc = reinterpret_cast<kldkit_accumulator*>(&acc);
  kldkit_accumulator_options o = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  o.percentile_mode = 2;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(&acc, &o), inv);
  EXPECT_EQ(acc, nullptr);
  o.percentile_mode = KLDKIT_PERCENTILES_SKETCH;
  o.sketch_relative_accuracy = 0.5;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(&acc, &o), inv);
  o.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(&acc, &o), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(nullptr, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_options_init(nullptr), inv);
  ASSERT_EQ(kldkit_accumulator_options_init(&o), KLDKIT_OK);
  EXPECT_EQ(o.sketch_relative_accuracy, 1e-3);
  // An options struct from before sketch_relative_accuracy: default used.
  o.struct_size = offsetof(kldkit_accumulator_options,
                           sketch_relative_accuracy);
  o.sketch_relative_accuracy = 7;
  ASSERT_EQ(kldkit_accumulator_create(&acc, &o), KLDKIT_OK);
  kldkit_accumulator_free(acc);

  kldkit_accumulator* a = NewAcc();
  kldkit_token_result t[2] = {KLDKIT_TOKEN_RESULT_INIT,
                              KLDKIT_TOKEN_RESULT_INIT};
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_add(nullptr, t, 1), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_add(a, nullptr, 1), inv);
  EXPECT_EQ(kldkit_accumulator_add(a, nullptr, 0), KLDKIT_OK);
  t[0].struct_size = 12;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_add(a, t, 1), inv);
  t[0].struct_size = sizeof(kldkit_token_result);
  t[1].struct_size = 16;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_add(a, t, 2), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_merge(nullptr, a), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_merge(a, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_merge(a, a), inv);
  size_t n = 0;
  uint8_t small[4];
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize(nullptr, 0, &n, nullptr),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize(nullptr, 0, nullptr, a),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize(nullptr, 4, &n, a), inv);
  n = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize(small, 4, &n, a), inv);
  EXPECT_GT(n, 4u);  // the size is reported even when the buffer is short
  uint8_t* alloc = small;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize_alloc(&alloc, &n, nullptr),
                        inv);
  EXPECT_EQ(alloc, nullptr);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize_alloc(nullptr, &n, a),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_serialize_alloc(&alloc, nullptr, a),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_deserialize(nullptr, small, 4),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_deserialize(&acc, nullptr, 4), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_decode_merge(nullptr, small, 4),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_decode_merge(a, nullptr, 4), inv);
  kldkit_report r = KLDKIT_REPORT_INIT;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_report(nullptr, a, 1), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_report(&r, nullptr, 1), inv);
  ASSERT_EQ(kldkit_accumulator_report(&r, a, 1), KLDKIT_OK);
  EXPECT_EQ(r.n_tokens, 0u);  // nothing above was added
  char text[8];
  KLDKIT_EXPECT_FAILURE(kldkit_render_text(text, 8, nullptr, &r), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_render_text(text, 8, &n, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_render_json(text, 8, &n, &r), inv);  // short
  KLDKIT_EXPECT_FAILURE(kldkit_render_json(nullptr, 8, &n, &r), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_render_chunk_header(text, 8, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_render_chunk_line(nullptr, 0, &n, 0, &r), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_render_chunk_line(nullptr, 0, &n, 1, nullptr),
                        inv);
  kldkit_accumulator_free(a);
  kldkit_accumulator_free(nullptr);
}

}  // namespace
}  // namespace kldkit
