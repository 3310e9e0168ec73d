// CompareRow on every compiled Highway target against the long-double
// reference (reference.h) and against llama.cpp's own scalar loop
// (llamacpp_loop.h): small adversarial rows in every mode and row type,
// realistic 248,320-entry rows from LogitGenerator, the noise floor of
// llama.cpp's KLD definition, the non-finite flags and argument errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "kldkit/synth.hpp"
#include "tests/kernels/llamacpp_loop.h"
#include "tests/kernels/reference.h"
#include "tests/kernels/test_util.h"

// Outside kldkit:: so that kldkit::testing cannot hide ::testing.
namespace {

using kldkit::CompareMode;
using kldkit::CompareOptions;
using kldkit::CompareRow;
using kldkit::GeneratorOptions;
using kldkit::kInvalidBase;
using kldkit::kInvalidModelEmpty;
using kldkit::kInvalidModelInf;
using kldkit::kInvalidModelNaN;
using kldkit::kSameTop;
using kldkit::LlamaRowHeader;
using kldkit::LlamaRowWords;
using kldkit::LogitGenerator;
using kldkit::ReadLlamaRowHeader;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::TokenResult;
using kldkit::testing::GaussianLogits;
using kldkit::testing::GuardedRow;
using kldkit::testing::kFloatTypes;
using kldkit::testing::LlamaCppLoop;
using kldkit::testing::MakeRow;
using kldkit::testing::QuantizeRowReference;
using kldkit::testing::RefCompareExact;
using kldkit::testing::RefCompareLlama;
using kldkit::testing::RefModel;
using kldkit::testing::RefToken;
using kldkit::testing::Shape;
using kldkit::testing::StatusOf;
using kldkit::testing::Tol;
using kldkit::testing::TypeName;

CompareOptions Mode(CompareMode mode) {
  CompareOptions o;
  o.mode = mode;
  return o;
}

// A llama.cpp row of x (floor 16) with 0xFFFF in the odd-vocab padding word
// and after the row: a kernel that reads either sees a maximal code.
std::vector<uint16_t> LlamaRow(const std::vector<float>& x) {
  std::vector<uint16_t> row(LlamaRowWords(x.size()) + 8, 0xFFFF);
  QuantizeRowReference(x.data(), x.size(), 16.0f, row.data());
  if (x.size() % 2 != 0) row[4 + x.size()] = 0xFFFF;
  return row;
}

// The documented accuracy of the KLD.
double KldTol(long double want) {
  return std::max(1e-6, 1e-4 * std::fabs(static_cast<double>(want)));
}

float MaxAbs(const std::vector<float>& x) {
  float m = 0;
  for (float v : x) {
    if (std::isfinite(v)) m = std::max(m, std::fabs(v));
  }
  return m;
}

// Checks every statistic of `got` against the reference. `nll_scale` and
// `base_scale` are the magnitudes the float NLLs are computed from.
void ExpectToken(const TokenResult& got, const RefToken& want,
                 double nll_scale, double base_scale,
                 const std::string& label) {
  EXPECT_EQ(got.flags, want.flags) << label;
  EXPECT_EQ(got.top, want.top) << label;
  EXPECT_EQ(got.top_base, want.top_base) << label;
  if (std::isinf(want.kld)) {
    EXPECT_EQ(got.kld, static_cast<double>(want.kld)) << label;
  } else {
    EXPECT_NEAR(got.kld, static_cast<double>(want.kld), KldTol(want.kld))
        << label;
  }
  const double nll_tol = Tol(8, static_cast<double>(want.nll), nll_scale);
  const double base_tol =
      Tol(8, static_cast<double>(want.nll_base), base_scale);
  if (std::isinf(want.nll)) {
    EXPECT_EQ(got.nll, static_cast<double>(want.nll)) << label;
  } else {
    EXPECT_NEAR(got.nll, static_cast<double>(want.nll), nll_tol) << label;
  }
  EXPECT_NEAR(got.nll_base, static_cast<double>(want.nll_base), base_tol)
      << label;
  const double p_tol = static_cast<double>(want.p) * nll_tol + Tol(4, 0);
  const double p_base_tol =
      static_cast<double>(want.p_base) * base_tol + Tol(4, 0);
  EXPECT_NEAR(got.p, static_cast<double>(want.p), p_tol) << label;
  EXPECT_NEAR(got.p_base, static_cast<double>(want.p_base), p_base_tol)
      << label;
  EXPECT_NEAR(got.dp, static_cast<double>(want.dp), p_tol + p_base_tol)
      << label;
}

class CompareTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(CompareTest);

constexpr size_t kSizes[] = {1, 2, 3, 7, 16, 17, 33, 255, 1000, 32000};

// Base and model rows for the small tests: a base of the given shape and a
// model that is the base plus noise, so the KLD is small but not zero.
struct SmallCase {
  std::vector<float> base;
  std::vector<float> model;
  int32_t target;
};

SmallCase MakeSmallCase(Shape shape, size_t n, float spread, uint64_t seed) {
  SmallCase c;
  c.base = shape == Shape::kUniform ? GaussianLogits(n, spread, seed)
                                    : MakeRow(shape, n, spread, seed);
  c.model = c.base;
  std::mt19937_64 rng(seed + 99);
  std::normal_distribution<float> noise(0.0f, 0.05f * spread + 0.01f);
  for (float& v : c.model) {
    if (std::isfinite(v)) v += noise(rng);
  }
  c.target = static_cast<int32_t>(rng() % n);
  if (!std::isfinite(c.base[static_cast<size_t>(c.target)])) c.target = 0;
  return c;
}

TEST_P(CompareTest, LlamaModesMatchReferenceOnSmallRows) {
  uint64_t seed = 1;
  for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
    for (Shape shape : {Shape::kUniform, Shape::kAllEqual, Shape::kDominant,
                        Shape::kTiesAtMax, Shape::kMaxAtEnd}) {
      for (float spread : {0.3f, 3.0f, 30.0f}) {
        for (size_t n : kSizes) {
          const SmallCase c = MakeSmallCase(shape, n, spread, seed++);
          const std::vector<uint16_t> base = LlamaRow(c.base);
          const RowView base_view = RowView::Llama(base.data(), n);
          const double base_scale =
              ReadLlamaRowHeader(base.data()).min_log_prob;
          const RowType type = kFloatTypes[seed % 3];
          GuardedRow model(c.model, type, seed % 16);
          const std::string label =
              "mode " + std::to_string(static_cast<int>(mode)) + " shape " +
              std::to_string(static_cast<int>(shape)) + " spread " +
              std::to_string(spread) + " n " + std::to_string(n) + " " +
              TypeName(type);
          const RefToken want =
              RefCompareLlama(base.data(), RefModel{model.Values().data()}, n,
                              c.target, mode);
          ExpectToken(CompareRow(base_view, model.View(), c.target, Mode(mode)),
                      want, MaxAbs(model.Values()), base_scale, label);
          // The model as a stored llama.cpp row, read as stored.
          const std::vector<uint16_t> model_row = LlamaRow(model.Values());
          const RefToken want_u16 =
              RefCompareLlama(base.data(), RefModel{nullptr, model_row.data()},
                              n, c.target, mode);
          TokenResult got_u16;
          const kldkit_status status = StatusOf([&] {
                      got_u16 = CompareRow(base_view,
                                           RowView::Llama(model_row.data(), n),
                                           c.target, Mode(mode));
          });
          EXPECT_EQ(status, KLDKIT_OK)
              << label << ": a llama.cpp model row is documented as valid";
          if (status != KLDKIT_OK) continue;
          ExpectToken(got_u16, want_u16,
                      ReadLlamaRowHeader(model_row.data()).min_log_prob,
                      base_scale, label + " u16 model");
        }
      }
    }
  }
}

TEST_P(CompareTest, ExactModeMatchesReferenceOnSmallRows) {
  uint64_t seed = 500;
  for (Shape shape : {Shape::kUniform, Shape::kAllEqual, Shape::kDominant,
                      Shape::kTiesAtMax, Shape::kNegInf, Shape::kMaxAtEnd}) {
    for (float spread : {0.3f, 3.0f, 30.0f}) {
      for (size_t n : kSizes) {
        SmallCase c = MakeSmallCase(shape, n, spread, seed++);
        if (!std::isfinite(c.base[0])) c.base[0] = c.model[0] = 0.0f;
        const RowType base_type = kFloatTypes[seed % 3];
        const RowType model_type = kFloatTypes[(seed / 3) % 3];
        GuardedRow base(c.base, base_type, (seed + 7) % 16);
        GuardedRow model(c.model, model_type, seed % 16);
        const RefToken want =
            RefCompareExact(base.Values().data(), model.Values().data(), n,
                            c.target);
        ExpectToken(CompareRow(base.View(), model.View(), c.target,
                               Mode(CompareMode::kExact)),
                    want, MaxAbs(model.Values()), MaxAbs(base.Values()),
                    "exact shape " + std::to_string(static_cast<int>(shape)) +
                        " spread " + std::to_string(spread) + " n " +
                        std::to_string(n) + " " + TypeName(base_type) + "/" +
                        TypeName(model_type));
      }
    }
  }
}

// -inf model logits are valid (probability 0): on tokens the base drops
// (lp_b <= -16) kLlamaCpp adds nothing; on a token the base keeps, the KLD
// is +inf. (kTail is left out: its T_b is ~1e-9 here, so whether it is
// clamped to 0 or gives +inf is down to rounding.)
TEST_P(CompareTest, NegativeInfinityInModel) {
  const size_t n = 301;
  const std::vector<float> x = GaussianLogits(n, 3.0f, 3);
  const std::vector<uint16_t> base = LlamaRow(x);
  const uint16_t* codes = base.data() + 4;
  std::vector<float> model = x;
  size_t top = 0;
  size_t dropped = 0;
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (codes[i] == 0) model[i] = -INFINITY, ++dropped;
    if (codes[i] > codes[top]) top = i;
  }
  for (size_t i = 0; i < n; ++i) {
    if (codes[i] > 0 && i != top) kept = i;
  }
  ASSERT_GT(dropped, 10u);
  ASSERT_GT(kept, 0u);
  const int32_t target = static_cast<int32_t>(top);
  const RowView base_view = RowView::Llama(base.data(), n);
  const RefToken want = RefCompareLlama(base.data(), RefModel{model.data()},
                                        n, target, CompareMode::kLlamaCpp);
  ASSERT_TRUE(std::isfinite(want.kld));
  ExpectToken(CompareRow(base_view, RowView::F32(model), target, {}), want,
              MaxAbs(model), 32.0, "dropped tokens at -inf");
  model[kept] = -INFINITY;
  const TokenResult got =
      CompareRow(base_view, RowView::F32(model), target, {});
  EXPECT_EQ(got.kld, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(got.Valid());
}

// A stored row whose every log-prob is below -16 keeps no token in
// kLlamaCpp mode: the KLD is an empty sum, and the base top-1 (the first
// largest code) comes from codes the kept-token pass never sees.
TEST_P(CompareTest, RowKeepingNoTokenStillFindsBaseTop) {
  // A header whose top code would be at -8.37 nats (above -log n, so
  // valid) while every stored code lies below -16: no token is kept.
  const size_t n = 5000;
  std::vector<uint16_t> base(LlamaRowWords(n), 0);
  const float scale = 3.3e-4f, min_log_prob = -30.0f;
  std::memcpy(base.data(), &scale, sizeof scale);
  std::memcpy(base.data() + 2, &min_log_prob, sizeof min_log_prob);
  std::mt19937_64 rng(11);
  for (size_t i = 0; i < n; ++i) base[4 + i] = static_cast<uint16_t>(rng() % 40000);
  base[4 + 3001] = base[4 + 4500] = 42000;  // first maximum at 3001, -16.14
  const std::vector<float> model = GaussianLogits(n, 4.0f, 12);
  const RefToken want = RefCompareLlama(base.data(), RefModel{model.data()},
                                        n, 17, CompareMode::kLlamaCpp);
  ASSERT_EQ(want.top_base, 3001);
  ASSERT_EQ(want.kld, 0.0L);
  ExpectToken(CompareRow(RowView::Llama(base.data(), n), RowView::F32(model),
                         17, {}),
              want, MaxAbs(model), 32.0, "no kept token");
}

// A header whose top log-probability lies below -log n holds no probability
// mass a row of n tokens can have (its largest probability is at least
// 1/n): the base is invalid (0.1 compared it; its lumped measures were
// NaN).
TEST_P(CompareTest, HeaderBelowMinusLogNIsAnInvalidBase) {
  const size_t n = 5000;
  std::vector<uint16_t> base(LlamaRowWords(n), 0);
  const float scale = 1e-4f, min_log_prob = -30.0f;  // top lp = -23.4
  std::memcpy(base.data(), &scale, sizeof scale);
  std::memcpy(base.data() + 2, &min_log_prob, sizeof min_log_prob);
  base[4 + 7] = 65535;
  const std::vector<float> model = GaussianLogits(n, 4.0f, 12);
  for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
    const TokenResult r =
        CompareRow(RowView::Llama(base.data(), n), RowView::F32(model), 17,
                   Mode(mode));
    EXPECT_EQ(r.flags, kInvalidBase);
  }
  // As a stored model, the same header is a malformed model row.
  const std::vector<uint16_t> good = LlamaRow(model);
  const TokenResult r = CompareRow(RowView::Llama(good.data(), n),
                                   RowView::Llama(base.data(), n), 17,
                                   Mode(CompareMode::kTail));
  EXPECT_EQ(r.flags, kInvalidModelNaN);
}

// A header within [-log n, 0] over codes that all sit at the floor, 200
// nats below it: the row has no probability mass a float can hold, so
// kTail's lumped KLD of two stored rows has no distributions to compare.
// It is an invalid row, never a NaN KLD on a valid token.
TEST_P(CompareTest, StoredModelWithoutMassIsInvalidInTailMode) {
  const size_t n = 7;
  const std::vector<float> x = GaussianLogits(n, 2.0f, 5);
  const std::vector<uint16_t> base = LlamaRow(x);
  std::vector<uint16_t> model(LlamaRowWords(n), 0);  // every code 0
  const float scale = 200.0f / 65535.0f, min_log_prob = -200.0f;
  std::memcpy(model.data(), &scale, sizeof scale);
  std::memcpy(model.data() + 2, &min_log_prob, sizeof min_log_prob);
  const TokenResult r = CompareRow(RowView::Llama(base.data(), n),
                                   RowView::Llama(model.data(), n), 2,
                                   Mode(CompareMode::kTail));
  EXPECT_EQ(r.flags, kInvalidModelNaN);
  EXPECT_TRUE(std::isnan(r.kld));
  EXPECT_EQ(r.top, -1);
}

TEST_P(CompareTest, NonFiniteDataSetsFlagsAndNeverThrows) {
  const size_t n = 77;
  const std::vector<float> x = GaussianLogits(n, 2.0f, 11);
  const std::vector<uint16_t> base = LlamaRow(x);
  const RowView base_view = RowView::Llama(base.data(), n);
  CompareRow(base_view, RowView::F32(x), 0);  // dispatch on this target
  struct Case {
    float value;
    bool everywhere;
    uint32_t flag;
  };
  const Case cases[] = {
      {std::numeric_limits<float>::quiet_NaN(), false, kInvalidModelNaN},
      {INFINITY, false, kInvalidModelInf},
      {-INFINITY, true, kInvalidModelEmpty}};
  for (const Case& bad : cases) {
    for (RowType type : kFloatTypes) {
      std::vector<float> model = x;
      if (bad.everywhere) {
        std::fill(model.begin(), model.end(), bad.value);
      } else {
        model[n - 2] = bad.value;
      }
      GuardedRow row(model, type, 1);
      for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
        TokenResult r;
        ASSERT_EQ(StatusOf([&] {
                    r = CompareRow(base_view, row.View(), 5, Mode(mode));
                  }),
                  KLDKIT_OK);
        EXPECT_EQ(r.flags & bad.flag, bad.flag) << TypeName(type);
        EXPECT_FALSE(r.Valid());
        EXPECT_TRUE(std::isnan(r.kld) && std::isnan(r.nll) &&
                    std::isnan(r.p) && std::isnan(r.dp))
            << TypeName(type);
        EXPECT_EQ(r.top, -1);
        EXPECT_EQ(r.top_base, -1);
      }
      // The same bad row as the base of an exact comparison.
      GuardedRow good(x, RowType::kF32, 0);
      const TokenResult r =
          CompareRow(row.View(), good.View(), 5, Mode(CompareMode::kExact));
      EXPECT_EQ(r.flags & kInvalidBase, kInvalidBase) << TypeName(type);
      EXPECT_TRUE(std::isnan(r.kld));
    }
  }
  // A llama.cpp base row with a NaN scale.
  std::vector<uint16_t> bad_base = base;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bad_base.data(), &nan, sizeof(float));
  const TokenResult r =
      CompareRow(RowView::Llama(bad_base.data(), n), RowView::F32(x), 5);
  EXPECT_EQ(r.flags & kInvalidBase, kInvalidBase);
  EXPECT_TRUE(std::isnan(r.kld));
}

TEST(CompareArgs, BadArgumentsThrow) {
  const size_t n = 10;
  const std::vector<float> x = GaussianLogits(n, 1.0f, 1);
  const std::vector<float> y = GaussianLogits(n + 1, 1.0f, 2);
  const std::vector<uint16_t> base = LlamaRow(x);
  const RowView llama = RowView::Llama(base.data(), n);
  const RowView f32 = RowView::F32(x);
  auto status = [](RowView b, RowView m, int32_t t, CompareMode mode) {
    return StatusOf([&] { CompareRow(b, m, t, Mode(mode)); });
  };
  const auto kLlama = CompareMode::kLlamaCpp;
  const auto kInvalid = KLDKIT_ERROR_INVALID_ARGUMENT;
  EXPECT_EQ(status(llama, RowView::F32(y), 0, kLlama), kInvalid);
  EXPECT_EQ(status(llama, f32, -1, kLlama), kInvalid);
  EXPECT_EQ(status(llama, f32, static_cast<int32_t>(n), kLlama), kInvalid);
  EXPECT_EQ(status({nullptr, n, RowType::kLlamaU16}, f32, 0, kLlama),
            kInvalid);
  EXPECT_EQ(status(llama, {nullptr, n, RowType::kF32}, 0, kLlama), kInvalid);
  EXPECT_EQ(status({x.data(), 0, RowType::kF32}, {x.data(), 0, RowType::kF32},
                   0, CompareMode::kExact),
            kInvalid);
  EXPECT_EQ(status(f32, f32, 0, kLlama), kInvalid);
  EXPECT_EQ(status(f32, f32, 0, CompareMode::kTail), kInvalid);
  EXPECT_EQ(status(llama, f32, 0, CompareMode::kExact), kInvalid);
  EXPECT_EQ(status(f32, llama, 0, CompareMode::kExact), kInvalid);
  EXPECT_EQ(status(llama, f32, 0, static_cast<CompareMode>(7)), kInvalid);
}

// ---- Realistic rows -----------------------------------------------------------

const size_t kVocab = kldkit::testing::CappedVocab(248320);

// One scored token on LogitGenerator rows, with everything that does not
// depend on the Highway target computed once: the stored base row, the
// long-double references and llama.cpp's own loop.
struct RealisticToken {
  float spread;
  double target_kld;
  std::vector<float> base_logits;
  std::vector<float> model;
  std::vector<uint16_t> base;
  std::vector<uint16_t> model_row;
  int32_t target;
  RefToken want[3];  // by CompareMode, float model
  RefToken want_u16;  // kLlamaCpp, stored model row
  TokenResult loop;   // LlamaCppLoop
};

const std::vector<RealisticToken>& RealisticTokens() {
  static const std::vector<RealisticToken>* tokens = [] {
    auto* out = new std::vector<RealisticToken>;
    uint64_t row = 0;
    for (float spread : {0.5f, 1.0f, 2.0f}) {
      LogitGenerator gen(GeneratorOptions{kVocab, 42, spread});
      for (double kld : {1e-4, 3e-3, 0.1}) {
        RealisticToken t;
        t.spread = spread;
        t.target_kld = kld;
        t.base_logits.resize(kVocab);
        t.model.resize(kVocab);
        gen.BaseRow(row, t.base_logits);
        gen.ModelRow(row, kld, 1, t.model);
        t.target = gen.Target(row);
        ++row;
        t.base = LlamaRow(t.base_logits);
        t.model_row = LlamaRow(t.model);
        for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
          t.want[static_cast<int>(mode)] = RefCompareLlama(
              t.base.data(), RefModel{t.model.data()}, kVocab, t.target, mode);
        }
        t.want[2] = RefCompareExact(t.base_logits.data(), t.model.data(),
                                    kVocab, t.target);
        t.want_u16 =
            RefCompareLlama(t.base.data(), RefModel{nullptr, t.model_row.data()},
                            kVocab, t.target, CompareMode::kLlamaCpp);
        t.loop = LlamaCppLoop(t.base.data(), t.model.data(), kVocab, t.target);
        out->push_back(std::move(t));
      }
    }
    return out;
  }();
  return *tokens;
}

std::string Label(const RealisticToken& t, const char* what) {
  return std::string(what) + " spread " + std::to_string(t.spread) +
         " target KLD " + std::to_string(t.target_kld);
}

TEST_P(CompareTest, RealisticRowsMatchReference) {
  for (const RealisticToken& t : RealisticTokens()) {
    const RowView base = RowView::Llama(t.base.data(), kVocab);
    const double base_scale = ReadLlamaRowHeader(t.base.data()).min_log_prob;
    for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
      ExpectToken(CompareRow(base, RowView::F32(t.model), t.target, Mode(mode)),
                  t.want[static_cast<int>(mode)], MaxAbs(t.model), base_scale,
                  Label(t, mode == CompareMode::kTail ? "tail" : "llama.cpp"));
    }
    ExpectToken(CompareRow(RowView::F32(t.base_logits), RowView::F32(t.model),
                           t.target, Mode(CompareMode::kExact)),
                t.want[2], MaxAbs(t.model), MaxAbs(t.base_logits),
                Label(t, "exact"));
    ExpectToken(CompareRow(base, RowView::Llama(t.model_row.data(), kVocab),
                           t.target, {}),
                t.want_u16, ReadLlamaRowHeader(t.model_row.data()).min_log_prob,
                base_scale, Label(t, "two llama.cpp rows"));
  }
}

// The kernel must be at least as accurate as llama.cpp's scalar loop.
TEST_P(CompareTest, RealisticRowsAtLeastAsAccurateAsLlamaCppLoop) {
  double max_kernel = 0, max_loop = 0, sq_kernel = 0, sq_loop = 0;
  for (const RealisticToken& t : RealisticTokens()) {
    const RefToken& want = t.want[0];
    const TokenResult got = CompareRow(RowView::Llama(t.base.data(), kVocab),
                                       RowView::F32(t.model), t.target, {});
    const double e_kernel = std::fabs(got.kld - static_cast<double>(want.kld));
    const double e_loop = std::fabs(t.loop.kld - static_cast<double>(want.kld));
    max_kernel = std::max(max_kernel, e_kernel);
    max_loop = std::max(max_loop, e_loop);
    sq_kernel += e_kernel * e_kernel;
    sq_loop += e_loop * e_loop;
    // llama.cpp's loop and the reference agree on the discrete results.
    EXPECT_EQ(t.loop.top, want.top);
    EXPECT_EQ(t.loop.top_base, want.top_base);
  }
  const double n = static_cast<double>(RealisticTokens().size());
  const double rms_kernel = std::sqrt(sq_kernel / n);
  const double rms_loop = std::sqrt(sq_loop / n);
  std::printf("[%s] KLD error vs long double: kernel max %.3g rms %.3g; "
              "llama.cpp loop max %.3g rms %.3g\n",
              hwy::TargetName(GetParam()), max_kernel, rms_kernel, max_loop,
              rms_loop);
  EXPECT_LE(max_kernel, max_loop);
  EXPECT_LE(rms_kernel, rms_loop);
}

// kTail keeps a top token of p >= 1/2 apart (BigTerms); when a later block
// raises the reference by less than the lag that forces a redo, every kept
// term's a_i moves, the big one's too (0.1 left it out: KLD -0.64 here).
TEST_P(CompareTest, TailBigTermFollowsASmallReferenceRaise) {
  std::vector<float> x(5000, 0.0f);
  x[10] = 19.1f;    // the first block's maximum
  x[3000] = 20.0f;  // p = 0.71, 0.9 nat above it, in a later block
  const std::vector<uint16_t> base = LlamaRow(x);
  const RefToken want = RefCompareLlama(base.data(), RefModel{x.data()},
                                        x.size(), 7, CompareMode::kTail);
  const TokenResult got =
      CompareRow(RowView::Llama(base.data(), x.size()), RowView::F32(x), 7,
                 Mode(CompareMode::kTail));
  EXPECT_GE(got.kld, -1e-7);
  ExpectToken(got, want, 20.0, 20.0, "big term, small raise");
}

// Comparing a base row with the very logits it was stored from measures the
// noise floor of each KLD definition: llama.cpp's drops the tail and keeps
// the first-order quantization error (std ~1e-5, negative values); kTail
// cancels it.
TEST_P(CompareTest, NoiseFloorOfStoredRows) {
  static const auto* rows = [] {
    auto* out = new std::vector<std::pair<std::vector<float>,
                                          std::vector<uint16_t>>>;
    LogitGenerator gen(GeneratorOptions{kVocab, 7, 1.0f});
    for (uint64_t r = 0; r < 16; ++r) {
      std::vector<float> x(kVocab);
      gen.BaseRow(r, x);
      std::vector<uint16_t> row = LlamaRow(x);
      out->emplace_back(std::move(x), std::move(row));
    }
    return out;
  }();
  struct Stats {
    double sum = 0, sum2 = 0, min = INFINITY, max_abs = 0;
    void Add(double v) {
      sum += v;
      sum2 += v * v;
      min = std::min(min, v);
      max_abs = std::max(max_abs, std::fabs(v));
    }
    double Std(double n) const {
      return std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
    }
  };
  Stats llama, tail, two_rows;
  for (const auto& [x, row] : *rows) {
    const RowView base = RowView::Llama(row.data(), kVocab);
    llama.Add(CompareRow(base, RowView::F32(x), 0, {}).kld);
    tail.Add(CompareRow(base, RowView::F32(x), 0, Mode(CompareMode::kTail)).kld);
    two_rows.Add(CompareRow(base, base, 0, {}).kld);
  }
  const double n = static_cast<double>(rows->size());
  std::printf("[%s] noise floor over %zu rows of %zu: kLlamaCpp mean %.3g "
              "std %.3g min %.3g; kTail mean %.3g std %.3g min %.3g; "
              "two stored rows max |KLD| %.3g\n",
              hwy::TargetName(GetParam()), rows->size(), kVocab,
              llama.sum / n, llama.Std(n), llama.min, tail.sum / n,
              tail.Std(n), tail.min, two_rows.max_abs);
  EXPECT_LT(llama.min, 0.0);  // llama.cpp's definition goes negative
  EXPECT_LE(10 * tail.Std(n), llama.Std(n));
  EXPECT_EQ(two_rows.max_abs, 0.0);  // a row against itself, as stored
}

}  // namespace
