// C ABI over the kernels: every function's result equals the C++ API's on
// the same input (and a hand-computed value where one is easy), and every
// bad argument returns the documented status with a message.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "kldkit/kernels.hpp"
#include "tests/capi/capi_test_util.h"

namespace kldkit {
namespace {

std::vector<float> Logits(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.5f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

kldkit_row F32Row(const std::vector<float>& x) {
  return kldkit_row{x.data(), x.size(), KLDKIT_ROW_F32};
}

TEST(CapiVersion, MatchesHeaderAndSoname) {
  EXPECT_EQ(kldkit_version_number(), unsigned{KLDKIT_VERSION_NUMBER});
  EXPECT_STREQ(kldkit_version_string(), "0.1.0");
  EXPECT_EQ(kldkit_abi_version(), unsigned{KLDKIT_ABI_VERSION});
  EXPECT_EQ(KLDKIT_ABI_VERSION, KLDKIT_VERSION_MAJOR);  // SONAME = major
}

TEST(CapiStatus, EveryCodeHasADistinctName) {
  std::vector<std::string> names;
  for (int s = KLDKIT_OK; s <= KLDKIT_ERROR_INTERNAL; ++s) {
    const std::string name = kldkit_status_string(static_cast<kldkit_status>(s));
    EXPECT_NE(name, "unknown status") << s;
    for (const std::string& other : names) EXPECT_NE(name, other);
    names.push_back(name);
  }
  EXPECT_STREQ(kldkit_status_string(static_cast<kldkit_status>(14)),
               "unknown status");
  EXPECT_EQ(KLDKIT_ERROR_CLOSED, 12);  // pinned values
  EXPECT_EQ(KLDKIT_ERROR_INTERNAL, 13);
}

TEST(CapiStatus, LastErrorIsPerThread) {
  float f = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_log_sum_exp(&f, nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  const std::string mine = kldkit_last_error();
  std::string other_before, other_after;
  std::thread t([&] {
    other_before = kldkit_last_error();
    kldkit_log_sum_exp(nullptr, nullptr);
    other_after = kldkit_last_error();
  });
  t.join();
  EXPECT_EQ(other_before, "");  // a new thread starts clean
  EXPECT_NE(other_after, "");
  EXPECT_NE(other_after, mine);  // "out is NULL" vs "row is NULL"
  EXPECT_EQ(kldkit_last_error(), mine);  // untouched by the other thread
  // A success leaves the message in place.
  const float one = 1.0f;
  const kldkit_row row{&one, 1, KLDKIT_ROW_F32};
  ASSERT_EQ(kldkit_log_sum_exp(&f, &row), KLDKIT_OK);
  EXPECT_EQ(kldkit_last_error(), mine);
}

TEST(CapiRows, LlamaRowWords) {
  EXPECT_EQ(kldkit_llama_row_words(1), 6u);
  EXPECT_EQ(kldkit_llama_row_words(32000), 32004u);
  EXPECT_EQ(kldkit_llama_row_words(32001), 32006u);
  EXPECT_EQ(kldkit_llama_row_words(0), 0u);
  EXPECT_EQ(kldkit_llama_row_words(SIZE_MAX), 0u);
}

TEST(CapiKernels, MaxArgmaxAndLogSumExpMatchCpp) {
  std::vector<float> x = Logits(1001, 1);
  x[17] = 40.0f;
  x[500] = 40.0f;  // tie: the first index wins
  const kldkit_row row = F32Row(x);
  float max = 0;
  size_t index = 0;
  ASSERT_EQ(kldkit_max_argmax(&max, &index, &row), KLDKIT_OK);
  EXPECT_EQ(max, 40.0f);
  EXPECT_EQ(index, 17u);
  float lse = 0;
  ASSERT_EQ(kldkit_log_sum_exp(&lse, &row), KLDKIT_OK);
  EXPECT_EQ(lse, LogSumExp(RowView::F32(x)));
  // Hand value: log(e^0 + e^0) = log 2.
  const float two[2] = {0.0f, 0.0f};
  const kldkit_row r2{two, 2, KLDKIT_ROW_F32};
  ASSERT_EQ(kldkit_log_sum_exp(&lse, &r2), KLDKIT_OK);
  EXPECT_NEAR(lse, std::log(2.0), 1e-6);
}

TEST(CapiKernels, LogSoftmaxAllInputTypes) {
  // Hand value: logits {0, log 3} -> {log 1/4, log 3/4}, in f32, f16, bf16
  // (f16 0x0000/0x4000 and bf16 0x0000/0x4000 are 0 and 2).
  const float f32[2] = {0.0f, std::log(3.0f)};
  const kldkit_row r32{f32, 2, KLDKIT_ROW_F32};
  float out[2];
  ASSERT_EQ(kldkit_log_softmax(out, 2, &r32), KLDKIT_OK);
  EXPECT_NEAR(out[0], std::log(0.25), 1e-6);
  EXPECT_NEAR(out[1], std::log(0.75), 1e-6);
  const uint16_t bits[2] = {0x0000, 0x4000};
  const double expect1 = 2.0 - std::log(1.0 + std::exp(2.0));
  const kldkit_row r16{bits, 2, KLDKIT_ROW_F16};
  ASSERT_EQ(kldkit_log_softmax(out, 2, &r16), KLDKIT_OK);
  EXPECT_NEAR(out[1], expect1, 1e-6);
  const kldkit_row rb16{bits, 2, KLDKIT_ROW_BF16};
  ASSERT_EQ(kldkit_log_softmax(out, 2, &rb16), KLDKIT_OK);
  EXPECT_NEAR(out[1], expect1, 1e-6);
  // Large row: identical to the C++ API.
  const std::vector<float> x = Logits(4099, 2);
  std::vector<float> c(x.size()), cpp(x.size());
  const kldkit_row row = F32Row(x);
  ASSERT_EQ(kldkit_log_softmax(c.data(), c.size(), &row), KLDKIT_OK);
  LogSoftmax(RowView::F32(x), cpp);
  EXPECT_EQ(c, cpp);
}

TEST(CapiKernels, QuantizeDequantizeMatchCpp) {
  const std::vector<float> x = Logits(32001, 3);
  const kldkit_row row = F32Row(x);
  std::vector<uint16_t> c(kldkit_llama_row_words(x.size()));
  std::vector<uint16_t> cpp(c.size());
  for (float floor : {16.0f, 24.0f}) {
    for (uint32_t strict : {0u, 1u}) {
      kldkit_quantize_options opt = KLDKIT_QUANTIZE_OPTIONS_INIT;
      opt.floor = floor;
      opt.strict = strict;
      ASSERT_EQ(kldkit_quantize_row(c.data(), c.size(), &row, &opt),
                KLDKIT_OK);
      QuantizeOptions o;
      o.floor = floor;
      o.strict = strict != 0;
      QuantizeRow(RowView::F32(x), cpp, o);
      EXPECT_EQ(c, cpp) << floor << " " << strict;
    }
  }
  // NULL options = defaults (floor 16, not strict).
  ASSERT_EQ(kldkit_quantize_row(c.data(), c.size(), &row, nullptr), KLDKIT_OK);
  QuantizeRow(RowView::F32(x), cpp);
  EXPECT_EQ(c, cpp);
  std::vector<float> lp(x.size()), lp_cpp(x.size());
  ASSERT_EQ(kldkit_dequantize_row(lp.data(), lp.size(), c.data(), c.size(),
                                  x.size()),
            KLDKIT_OK);
  DequantizeRow(cpp, x.size(), lp_cpp);
  EXPECT_EQ(lp, lp_cpp);
  // Hand check: code u maps to scale*u + min_log_prob.
  const LlamaRowHeader h = ReadLlamaRowHeader(c.data());
  EXPECT_FLOAT_EQ(lp[5], h.scale * c[4 + 5] + h.min_log_prob);
}

TEST(CapiKernels, QuantizeOptionsStructSizeRules) {
  const std::vector<float> x = Logits(100, 4);
  const kldkit_row row = F32Row(x);
  std::vector<uint16_t> out(kldkit_llama_row_words(x.size())), cpp(out.size());
  kldkit_quantize_options opt;
  ASSERT_EQ(kldkit_quantize_options_init(&opt), KLDKIT_OK);
  EXPECT_EQ(opt.struct_size, sizeof(opt));
  EXPECT_EQ(opt.floor, 16.0f);
  EXPECT_EQ(opt.strict, 0u);
  // An older caller's struct that ends before `floor`: floor defaults to 16
  // even though the field holds garbage.
  opt.floor = -5.0f;
  opt.struct_size = sizeof(size_t);
  ASSERT_EQ(kldkit_quantize_row(out.data(), out.size(), &row, &opt), KLDKIT_OK);
  QuantizeRow(RowView::F32(x), cpp);
  EXPECT_EQ(out, cpp);
  opt.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(out.data(), out.size(), &row, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.struct_size = 3;
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(out.data(), out.size(), &row, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt = kldkit_quantize_options KLDKIT_QUANTIZE_OPTIONS_INIT;
  opt.floor = -1.0f;  // read now: out of range
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(out.data(), out.size(), &row, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_options_init(nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST(CapiKernels, KernelArgumentErrors) {
  const std::vector<float> x = Logits(10, 5);
  const kldkit_row row = F32Row(x);
  float f = 0;
  size_t i = 0;
  std::vector<float> out(10);
  std::vector<uint16_t> words(kldkit_llama_row_words(10));
  KLDKIT_EXPECT_FAILURE(kldkit_max_argmax(nullptr, &i, &row),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_max_argmax(&f, &i, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_log_sum_exp(nullptr, &row),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  const kldkit_row empty{x.data(), 0, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(kldkit_log_sum_exp(&f, &empty), KLDKIT_ERROR_INVALID_ARGUMENT);
  const kldkit_row null_data{nullptr, 10, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(kldkit_log_sum_exp(&f, &null_data),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  const kldkit_row bad_type{x.data(), 10, 7};
  KLDKIT_EXPECT_FAILURE(kldkit_log_sum_exp(&f, &bad_type),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  const kldkit_row llama{words.data(), 10, KLDKIT_ROW_LLAMA_U16};
  KLDKIT_EXPECT_FAILURE(kldkit_log_softmax(out.data(), 10, &llama),
                KLDKIT_ERROR_INVALID_ARGUMENT);  // wrong kind of row
  KLDKIT_EXPECT_FAILURE(kldkit_log_softmax(out.data(), 9, &row),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_log_softmax(nullptr, 10, &row),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(words.data(), words.size() - 1, &row,
                                    nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(nullptr, words.size(), &row, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_dequantize_row(out.data(), 10, words.data(),
                                      words.size() + 2, 10),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_dequantize_row(out.data(), 10, nullptr, words.size(),
                                      10),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_dequantize_row(out.data(), 0, words.data(), 0, 0),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  // Non-finite data: NON_FINITE, never a crash.
  std::vector<float> nan = x;
  nan[3] = std::nanf("");
  const kldkit_row nan_row = F32Row(nan);
  KLDKIT_EXPECT_FAILURE(kldkit_max_argmax(&f, &i, &nan_row), KLDKIT_ERROR_NON_FINITE);
  KLDKIT_EXPECT_FAILURE(kldkit_quantize_row(words.data(), words.size(), &nan_row,
                                    nullptr),
                KLDKIT_ERROR_NON_FINITE);
}

// The three modes on one pair: base = quantized row A, model = row B.
class CapiCompare : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = Logits(3001, 6);
    b_ = Logits(3001, 7);
    for (size_t i = 0; i < b_.size(); ++i) b_[i] = 0.8f * a_[i] + 0.2f * b_[i];
    base_words_.resize(LlamaRowWords(a_.size()));
    model_words_.resize(base_words_.size());
    QuantizeRow(RowView::F32(a_), base_words_);
    QuantizeRow(RowView::F32(b_), model_words_);
  }
  std::vector<float> a_, b_;
  std::vector<uint16_t> base_words_, model_words_;
};

void ExpectSame(const kldkit_token_result& c, const TokenResult& r) {
  EXPECT_EQ(c.kld, r.kld);
  EXPECT_EQ(c.nll, r.nll);
  EXPECT_EQ(c.nll_base, r.nll_base);
  EXPECT_EQ(c.p, r.p);
  EXPECT_EQ(c.p_base, r.p_base);
  EXPECT_EQ(c.dp, r.dp);
  EXPECT_EQ(c.top, r.top);
  EXPECT_EQ(c.top_base, r.top_base);
  EXPECT_EQ(c.flags, r.flags);
}

TEST_F(CapiCompare, ThreeModesMatchCpp) {
  const kldkit_row base{base_words_.data(), a_.size(), KLDKIT_ROW_LLAMA_U16};
  const kldkit_row model_f32 = F32Row(b_);
  const kldkit_row model_u16{model_words_.data(), b_.size(),
                             KLDKIT_ROW_LLAMA_U16};
  const kldkit_row base_f32 = F32Row(a_);
  const RowView cb = RowView::Llama(base_words_.data(), a_.size());
  const int32_t target = 1234;
  struct Case {
    uint32_t mode;
    const kldkit_row* base;
    const kldkit_row* model;
    RowView cpp_base, cpp_model;
  };
  const Case cases[] = {
      {KLDKIT_COMPARE_LLAMACPP, &base, &model_f32, cb, RowView::F32(b_)},
      {KLDKIT_COMPARE_LLAMACPP, &base, &model_u16, cb,
       RowView::Llama(model_words_.data(), b_.size())},
      {KLDKIT_COMPARE_TAIL, &base, &model_f32, cb, RowView::F32(b_)},
      {KLDKIT_COMPARE_EXACT, &base_f32, &model_f32, RowView::F32(a_),
       RowView::F32(b_)},
  };
  for (const Case& k : cases) {
    kldkit_compare_options opt = KLDKIT_COMPARE_OPTIONS_INIT;
    opt.mode = k.mode;
    kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
    ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, k.base, k.model, target,
                                 &opt),
              KLDKIT_OK)
        << kldkit_last_error();
    CompareOptions o;
    o.mode = static_cast<CompareMode>(k.mode);
    ExpectSame(c, CompareRow(k.cpp_base, k.cpp_model, target, o));
    EXPECT_GT(c.kld, 0.0);
    EXPECT_EQ(c.struct_size, sizeof(c));
  }
  // The token flag macros are the C++ bits.
  EXPECT_EQ(KLDKIT_TOKEN_SAME_TOP, uint32_t{kSameTop});
  EXPECT_EQ(KLDKIT_TOKEN_INVALID_MASK, uint32_t{kInvalidMask});
  EXPECT_EQ(KLDKIT_TOKEN_INVALID_MODEL_NAN, uint32_t{kInvalidModelNaN});
  EXPECT_EQ(KLDKIT_TOKEN_INVALID_BASE, uint32_t{kInvalidBase});
}

TEST_F(CapiCompare, ExactModeHandValueAndSelfCompare) {
  // Identical rows: KLD 0, same top, p == p_base.
  const kldkit_row r = F32Row(a_);
  kldkit_compare_options opt = KLDKIT_COMPARE_OPTIONS_INIT;
  opt.mode = KLDKIT_COMPARE_EXACT;
  kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
  ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, &r, &r, 5, &opt), KLDKIT_OK);
  EXPECT_NEAR(c.kld, 0.0, 1e-7);
  EXPECT_TRUE(c.flags & KLDKIT_TOKEN_SAME_TOP);
  EXPECT_EQ(c.dp, 0.0f);
  // Two tokens: base {0, 0} (p = 1/2, 1/2), model {0, log 3} (1/4, 3/4):
  // KLD = 1/2 log(2) + 1/2 log(2/3); target 1: nll = -log(3/4).
  const float base2[2] = {0.0f, 0.0f};
  const float model2[2] = {0.0f, std::log(3.0f)};
  const kldkit_row rb{base2, 2, KLDKIT_ROW_F32}, rm{model2, 2, KLDKIT_ROW_F32};
  ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, &rb, &rm, 1, &opt), KLDKIT_OK);
  EXPECT_NEAR(c.kld, 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-6);
  EXPECT_NEAR(c.nll, -std::log(0.75), 1e-6);
  EXPECT_NEAR(c.p, 0.75, 1e-6);
  EXPECT_EQ(c.top, 1);
  EXPECT_EQ(c.top_base, 0);
}

TEST_F(CapiCompare, ShortResultStructIsFilledOnlyUpToItsSize) {
  const kldkit_row base{base_words_.data(), a_.size(), KLDKIT_ROW_LLAMA_U16};
  const kldkit_row model = F32Row(b_);
  // An older caller whose struct ends after `kld`.
  kldkit_token_result c;
  std::memset(&c, 0x5A, sizeof(c));
  c.struct_size = offsetof(kldkit_token_result, kld) + sizeof(double);
  ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, &base, &model, 7, nullptr),
            KLDKIT_OK);
  const TokenResult r = CompareRow(
      RowView::Llama(base_words_.data(), a_.size()), RowView::F32(b_), 7);
  EXPECT_EQ(c.kld, r.kld);
  uint32_t untouched;
  std::memcpy(&untouched, &c.flags, sizeof(untouched));
  EXPECT_EQ(untouched, 0x5A5A5A5Au);
  EXPECT_EQ(c.struct_size, offsetof(kldkit_token_result, kld) + 8);
}

TEST_F(CapiCompare, ArgumentErrors) {
  const kldkit_row base{base_words_.data(), a_.size(), KLDKIT_ROW_LLAMA_U16};
  const kldkit_row model = F32Row(b_);
  const kldkit_row base_f32 = F32Row(a_);
  kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
  const auto compare = [&](const kldkit_row* b, const kldkit_row* m,
                           int32_t target, const kldkit_compare_options* o) {
    return kldkit_compare_row(&c, nullptr, 0, b, m, target, o);
  };
  KLDKIT_EXPECT_FAILURE(kldkit_compare_row(nullptr, nullptr, 0, &base, &model, 0,
                                   nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(compare(nullptr, &model, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(compare(&base, nullptr, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, -1, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, static_cast<int32_t>(a_.size()),
                        nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  // Wrong kinds: a float base in llama.cpp mode, a llama base in exact mode.
  KLDKIT_EXPECT_FAILURE(compare(&base_f32, &model, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_compare_options opt = KLDKIT_COMPARE_OPTIONS_INIT;
  opt.mode = KLDKIT_COMPARE_EXACT;
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, 0, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.mode = 3;
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, 0, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt = kldkit_compare_options KLDKIT_COMPARE_OPTIONS_INIT;
  opt.extras = 1u << 31;  // no such measure
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, 0, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.extras = 0;
  opt.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, 0, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  double extra = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_compare_row(&c, nullptr, 1, &base, &model, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.extras = 3;  // reverse KL and JSD: two values
  KLDKIT_EXPECT_FAILURE(kldkit_compare_row(&c, &extra, 1, &base, &model, 0, &opt),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  opt.extras = 0;
  const kldkit_row short_model{b_.data(), b_.size() - 1, KLDKIT_ROW_F32};
  KLDKIT_EXPECT_FAILURE(compare(&base, &short_model, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  c.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(compare(&base, &model, 0, nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_compare_options_init(nullptr),
                KLDKIT_ERROR_INVALID_ARGUMENT);
}

TEST_F(CapiCompare, NonFiniteModelSetsFlagsNotAnError) {
  const kldkit_row base{base_words_.data(), a_.size(), KLDKIT_ROW_LLAMA_U16};
  b_[10] = std::nanf("");
  const kldkit_row model = F32Row(b_);
  kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
  ASSERT_EQ(kldkit_compare_row(&c, nullptr, 0, &base, &model, 0, nullptr),
            KLDKIT_OK);
  EXPECT_TRUE(c.flags & KLDKIT_TOKEN_INVALID_MODEL_NAN);
  EXPECT_TRUE(std::isnan(c.kld));
}

}  // namespace
}  // namespace kldkit
