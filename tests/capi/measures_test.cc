// The measures through the C ABI: the descriptor table, compare_row's
// extras and result slots, accumulator options, the report's measure
// quantities and their rendering, each against the C++ API; 0.1-sized
// structs keep working.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/metrics.hpp"
#include "tests/capi/capi_test_util.h"

namespace {

std::vector<float> Logits(size_t n, uint64_t seed, float noise,
                          const std::vector<float>* base = nullptr) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 2.0f), e(0.0f, noise);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = base ? (*base)[i] + e(rng) : d(rng);
  return x;
}

kldkit_row Row(const std::vector<float>& x) {
  return kldkit_row{x.data(), x.size(), KLDKIT_ROW_F32};
}

TEST(CapiMeasures, TheTableIsTheLibrarys) {
  ASSERT_EQ(kldkit_measure_count(), kldkit::MeasureTable().size());
  for (const kldkit::MeasureDescriptor& d : kldkit::MeasureTable()) {
    kldkit_measure_info info = KLDKIT_MEASURE_INFO_INIT;
    ASSERT_EQ(kldkit_measure_describe(&info, static_cast<uint32_t>(d.id)),
              KLDKIT_OK);
    EXPECT_STREQ(info.name, d.name);
    EXPECT_STREQ(info.label, d.label);
    EXPECT_EQ(info.kind, static_cast<uint32_t>(d.kind));
    EXPECT_EQ(info.slot, static_cast<uint32_t>(d.slot));
    EXPECT_EQ(info.slots, static_cast<uint32_t>(d.slots));
  }
  kldkit_measure_info info = KLDKIT_MEASURE_INFO_INIT;
  KLDKIT_EXPECT_FAILURE(kldkit_measure_describe(&info, kldkit_measure_count()),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_measure_describe(nullptr, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST(CapiMeasures, CompareRowFillsExtrasAndSlotsAsTheCppApi) {
  const std::vector<float> x = Logits(3000, 1, 0.0f);
  const std::vector<float> y = Logits(3000, 2, 0.2f, &x);
  kldkit_compare_options opt = KLDKIT_COMPARE_OPTIONS_INIT;
  opt.mode = KLDKIT_COMPARE_EXACT;
  opt.extras = KLDKIT_MEASURE_BIT(KLDKIT_MEASURE_JSD) |
               KLDKIT_MEASURE_BIT(KLDKIT_MEASURE_TOP_K_OVERLAP);
  opt.top_k[0] = 7;
  opt.top_k[1] = 0;
  kldkit_token_result r = KLDKIT_TOKEN_RESULT_INIT;
  double extras[5];
  const kldkit_row b = Row(x), m = Row(y);
  ASSERT_EQ(kldkit_compare_row(&r, extras, 5, &b, &m, 4, &opt), KLDKIT_OK);
  kldkit::CompareOptions cpp;
  cpp.mode = kldkit::CompareMode::kExact;
  cpp.extras = opt.extras;
  cpp.top_k = kldkit::TopKList{{7, 0, 0, 0}};
  const kldkit::TokenResult want = kldkit::CompareRow(
      kldkit::RowView::F32(x), kldkit::RowView::F32(y), 4, cpp);
  EXPECT_EQ(r.measures_mask, opt.extras);
  EXPECT_EQ(extras[0], want.measures.v[1]);  // jsd
  EXPECT_EQ(extras[1], want.measures.v[3]);  // overlap, K = 7
  for (int i = 0; i < KLDKIT_MEASURE_SLOTS; ++i) {
    if (std::isnan(want.measures.v[i])) {
      EXPECT_TRUE(std::isnan(r.measures[i])) << i;
    } else {
      EXPECT_EQ(r.measures[i], want.measures.v[i]) << i;
    }
  }
  // A 0.1-sized result struct gets the 0.1 fields; the extras still come.
  kldkit_token_result old;
  std::memset(&old, 0x7f, sizeof(old));
  old.struct_size = offsetof(kldkit_token_result, flags) + sizeof(uint32_t);
  ASSERT_EQ(kldkit_compare_row(&old, extras, 5, &b, &m, 4, &opt), KLDKIT_OK);
  EXPECT_EQ(old.kld, r.kld);
  uint32_t untouched;
  std::memset(&untouched, 0x7f, sizeof(untouched));
  EXPECT_EQ(old.measures_mask, untouched);
  // 0.1-sized options (no top_k) take the default K list.
  opt.struct_size = offsetof(kldkit_compare_options, top_k);
  ASSERT_EQ(kldkit_compare_row(&r, nullptr, 0, &b, &m, 4, &opt), KLDKIT_OK);
  cpp.top_k = kldkit::TopKList{};
  const kldkit::TokenResult by_default = kldkit::CompareRow(
      kldkit::RowView::F32(x), kldkit::RowView::F32(y), 4, cpp);
  EXPECT_EQ(r.measures[3], by_default.measures.v[3]) << "K = 5 by default";
  EXPECT_EQ(r.measures[4], by_default.measures.v[4]) << "K = 10 by default";
}

TEST(CapiMeasures, AccumulatorReportsAndRendersTheMeasures) {
  kldkit_accumulator_options o = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  o.measures = KLDKIT_MEASURE_BIT(KLDKIT_MEASURE_REVERSE_KLD) |
               KLDKIT_MEASURE_BIT(KLDKIT_MEASURE_CONFIDENCE_BUCKETS);
  kldkit_accumulator* acc = nullptr;
  ASSERT_EQ(kldkit_accumulator_create(&acc, &o), KLDKIT_OK);
  kldkit::AccumulatorOptions cpp_options;
  cpp_options.measures = o.measures;
  kldkit::Accumulator cpp(cpp_options);
  kldkit_compare_options opt = KLDKIT_COMPARE_OPTIONS_INIT;
  opt.mode = KLDKIT_COMPARE_EXACT;
  opt.extras = o.measures;
  kldkit::CompareOptions cpp_compare;
  cpp_compare.mode = kldkit::CompareMode::kExact;
  cpp_compare.extras = o.measures;
  for (uint64_t s = 0; s < 150; ++s) {
    const std::vector<float> x = Logits(400, s, 0.0f);
    const std::vector<float> y = Logits(400, s + 1000, 0.3f, &x);
    const kldkit_row b = Row(x), m = Row(y);
    kldkit_token_result r = KLDKIT_TOKEN_RESULT_INIT;
    ASSERT_EQ(kldkit_compare_row(&r, nullptr, 0, &b, &m, 3, &opt), KLDKIT_OK);
    ASSERT_EQ(kldkit_accumulator_add(acc, &r, 1), KLDKIT_OK);
    cpp.Add(kldkit::CompareRow(kldkit::RowView::F32(x),
                               kldkit::RowView::F32(y), 3, cpp_compare));
  }
  kldkit_report report = KLDKIT_REPORT_INIT;
  ASSERT_EQ(kldkit_accumulator_report(&report, acc, 1), KLDKIT_OK);
  const kldkit::Report want = cpp.MakeReport();
  ASSERT_EQ(report.n_measure_stats, want.n_measure_stats);
  EXPECT_EQ(report.n_measure_stats, 1u + kldkit::kBucketCount);
  for (uint32_t i = 0; i < report.n_measure_stats; ++i) {
    EXPECT_EQ(report.measure_stats[i].measure, want.measure_stats[i].measure);
    EXPECT_EQ(report.measure_stats[i].n, want.measure_stats[i].n);
    EXPECT_EQ(report.measure_stats[i].mean.value,
              want.measure_stats[i].mean.value);
  }
  char* text = nullptr;
  ASSERT_EQ(kldkit_render_text_alloc(&text, &report), KLDKIT_OK);
  EXPECT_EQ(std::string(text), kldkit::RenderText(want));
  kldkit_free(text);
  // A serialized state keeps them; other measures do not merge.
  uint8_t* bytes = nullptr;
  size_t n = 0;
  ASSERT_EQ(kldkit_accumulator_serialize_alloc(&bytes, &n, acc), KLDKIT_OK);
  EXPECT_EQ(std::vector<uint8_t>(bytes, bytes + n), cpp.Serialize());
  kldkit_free(bytes);
  kldkit_accumulator* plain = nullptr;
  ASSERT_EQ(kldkit_accumulator_create(&plain, nullptr), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_merge(acc, plain),
                        KLDKIT_ERROR_INCOMPATIBLE);
  kldkit_accumulator_free(plain);
  kldkit_accumulator_free(acc);
}

TEST(CapiMeasures, BadMeasureOptionsAreRefused) {
  kldkit_accumulator_options o = KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  o.measures = 1u << 30;
  kldkit_accumulator* acc = nullptr;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(&acc, &o),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(acc, nullptr);
  o = kldkit_accumulator_options KLDKIT_ACCUMULATOR_OPTIONS_INIT;
  o.measures = KLDKIT_MEASURE_BIT(KLDKIT_MEASURE_TOP_K_OVERLAP);
  o.top_k[0] = 33;
  KLDKIT_EXPECT_FAILURE(kldkit_accumulator_create(&acc, &o),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
}

}  // namespace
