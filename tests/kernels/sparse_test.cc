// CompareRow with a sparse base row (SparseLlamaRow) on every compiled
// Highway target: the same results, bit for bit, as the dense llama.cpp
// row it was made from, in llama.cpp and tail mode, for every float model
// type, every row shape and size (including the rows that keep code 0 and
// take the expanded-block path), realistic 248,320-entry rows, non-finite
// models; and the checks on a malformed sparse row.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "kldkit/sparse_rows.hpp"
#include "kldkit/synth.hpp"
#include "tests/kernels/test_util.h"

namespace {

using kldkit::CompareMode;
using kldkit::CompareOptions;
using kldkit::CompareRow;
using kldkit::LlamaRowWords;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::SparseLlamaRow;
using kldkit::SparseRows;
using kldkit::TokenResult;
using kldkit::testing::GuardedRow;

std::vector<uint16_t> LlamaRow(const std::vector<float>& x) {
  std::vector<uint16_t> row(LlamaRowWords(x.size()));
  kldkit::QuantizeRow(RowView::F32(x), row);
  return row;
}

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof(b));
  return b;
}
uint32_t Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof(b));
  return b;
}

// Every field of the two results, as bits (NaN included).
void ExpectSame(const TokenResult& dense, const TokenResult& sparse,
                const std::string& label) {
  EXPECT_EQ(Bits(dense.kld), Bits(sparse.kld))
      << label << ": kld " << dense.kld << " vs " << sparse.kld;
  EXPECT_EQ(Bits(dense.nll), Bits(sparse.nll)) << label;
  EXPECT_EQ(Bits(dense.nll_base), Bits(sparse.nll_base)) << label;
  EXPECT_EQ(Bits(dense.p), Bits(sparse.p)) << label;
  EXPECT_EQ(Bits(dense.p_base), Bits(sparse.p_base)) << label;
  EXPECT_EQ(Bits(dense.dp), Bits(sparse.dp)) << label;
  EXPECT_EQ(dense.top, sparse.top) << label;
  EXPECT_EQ(dense.top_base, sparse.top_base) << label;
  EXPECT_EQ(dense.flags, sparse.flags) << label;
}

// Compares `model` against the dense row and its sparse form, in both
// modes, for a target at a floor code and one above it where there are.
void ExpectSparseAsDense(const std::vector<uint16_t>& dense,
                         const RowView& model, const std::string& label,
                         size_t* compared) {
  const size_t n = model.n_vocab;
  SparseRows rows(n);
  rows.AppendDense(dense.data());
  const SparseLlamaRow sparse = rows.Row(0);
  std::vector<int32_t> targets = {0, static_cast<int32_t>(n - 1)};
  for (size_t i = 0; i < n; ++i) {
    if (dense[4 + i] != 0) {
      targets.push_back(static_cast<int32_t>(i));
      break;
    }
  }
  for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
    CompareOptions options;
    options.mode = mode;
    for (int32_t t : targets) {
      ExpectSame(CompareRow(RowView::Llama(dense.data(), n), model, t, options),
                 CompareRow(RowView::LlamaSparse(&sparse, n), model, t,
                            options),
                 label + (mode == CompareMode::kTail ? " tail" : " llama") +
                     " target " + std::to_string(t));
      ++*compared;
    }
  }
}

class SparseCompareTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(SparseCompareTest);

// Base rows of every shape (flat rows, rows within 16 nats that keep code
// 0, dominant tokens, -inf entries) against a noisy copy as the model.
TEST_P(SparseCompareTest, EveryShapeSizeAndTypeAsTheDenseRow) {
  size_t compared = 0;
  kldkit::testing::ForEachRow([&](const GuardedRow& base_row,
                                  const std::string& label) {
    std::vector<float> base = base_row.Values();
    bool finite = false;
    for (float v : base) finite = finite || std::isfinite(v);
    if (!finite) return;  // a base row needs a finite logit to quantize
    std::vector<float> model = base;
    std::mt19937_64 rng(base.size() * 31 + compared);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    for (float& v : model) {
      if (std::isfinite(v)) v += noise(rng);
    }
    for (RowType type : kldkit::testing::kFloatTypes) {
      const GuardedRow m(model, type, compared % 16);
      ExpectSparseAsDense(LlamaRow(base), m.View(),
                          label + " model " +
                              kldkit::testing::TypeName(type),
                          &compared);
    }
  });
  EXPECT_GT(compared, 1000u);
}

// Realistic rows: 248,320 tokens (capped), floor shares 43-96%.
TEST_P(SparseCompareTest, RealisticRowsAsTheDenseRow) {
  const size_t n = kldkit::testing::CappedVocab(248320);
  size_t compared = 0;
  for (float spread : {0.5f, 1.0f, 2.0f}) {
    const kldkit::LogitGenerator gen(kldkit::GeneratorOptions{n, 42, spread});
    std::vector<float> base(n), model(n);
    for (uint64_t r = 0; r < 3; ++r) {
      gen.BaseRow(r, base);
      gen.ModelRow(r, 0.01 * static_cast<double>(r + 1), 1, model);
      ExpectSparseAsDense(LlamaRow(base), RowView::F32(model),
                          "spread " + std::to_string(spread) + " row " +
                              std::to_string(r),
                          &compared);
    }
  }
  EXPECT_EQ(compared, 3u * 3u * 2u * 3u);
}

// Models with NaN, +inf, all -inf, and -inf on a kept token: the same flags
// and values as the dense row.
TEST_P(SparseCompareTest, NonFiniteModelsAsTheDenseRow) {
  const size_t n = 1000;
  const std::vector<float> base = kldkit::testing::GaussianLogits(n, 3.0f, 5);
  const std::vector<uint16_t> dense = LlamaRow(base);
  size_t top = 0;
  for (size_t i = 1; i < n; ++i) top = base[i] > base[top] ? i : top;
  const float inf = INFINITY;
  const std::vector<std::pair<std::string, std::vector<float>>> models = [&] {
    std::vector<std::pair<std::string, std::vector<float>>> m;
    std::vector<float> x = base;
    x[17] = NAN;
    m.emplace_back("NaN", x);
    x = base;
    x[900] = inf;
    m.emplace_back("+inf", x);
    m.emplace_back("all -inf", std::vector<float>(n, -inf));
    x = base;
    x[top] = -inf;
    m.emplace_back("-inf on the top token", x);
    x = base;
    for (size_t i = 0; i < n; i += 3) x[i] = -inf;
    m.emplace_back("-inf on a third", x);
    return m;
  }();
  size_t compared = 0;
  for (const auto& [name, x] : models) {
    ExpectSparseAsDense(dense, RowView::F32(x), name, &compared);
  }
  EXPECT_EQ(compared, models.size() * 2 * 3);
}

// A header no row can have gives kInvalidBase either way.
TEST_P(SparseCompareTest, InvalidHeaderAsTheDenseRow) {
  const std::vector<float> x = kldkit::testing::GaussianLogits(300, 2.0f, 9);
  std::vector<uint16_t> dense = LlamaRow(x);
  const float bad_scale = -1.0f;
  std::memcpy(dense.data(), &bad_scale, sizeof(float));
  size_t compared = 0;
  ExpectSparseAsDense(dense, RowView::F32(x), "negative scale", &compared);
  EXPECT_EQ(compared, 6u);
}

// A sparse row whose pieces disagree is refused before any code is read.
TEST(SparseCompareArgs, MalformedRowsAndUnsupportedPairsThrow) {
  const size_t n = 100;
  const std::vector<float> x = kldkit::testing::GaussianLogits(n, 4.0f, 3);
  const std::vector<uint16_t> dense = LlamaRow(x);
  SparseRows rows(n);
  rows.AppendDense(dense.data());
  const SparseLlamaRow good = rows.Row(0);
  ASSERT_GT(good.count, 2u);
  const RowView model = RowView::F32(x);
  const auto throws = [&](const SparseLlamaRow& row, CompareOptions options,
                          RowView m) {
    try {
      CompareRow(RowView::LlamaSparse(&row, n), m, 0, options);
    } catch (const kldkit::Error& e) {
      return e.Status() == KLDKIT_ERROR_INVALID_ARGUMENT;
    }
    return false;
  };
  EXPECT_FALSE(throws(good, {}, model));

  SparseLlamaRow row = good;
  row.count = good.count - 1;  // one code fewer than the bits say
  EXPECT_TRUE(throws(row, {}, model));
  row.count = good.count + 1;
  EXPECT_TRUE(throws(row, {}, model));

  std::vector<uint64_t> bits(good.nonzero, good.nonzero + 2);
  bits[1] |= uint64_t{1} << 40;  // token 104: past n_vocab
  row = good;
  row.nonzero = bits.data();
  row.count = good.count + 1;
  EXPECT_TRUE(throws(row, {}, model));

  std::vector<uint16_t> codes(good.codes, good.codes + good.count);
  codes[1] = 0;  // a "non-zero" code of 0
  row = good;
  row.codes = codes.data();
  EXPECT_TRUE(throws(row, {}, model));

  row = good;
  row.nonzero = nullptr;
  EXPECT_TRUE(throws(row, {}, model));
  row = good;
  row.codes = nullptr;
  EXPECT_TRUE(throws(row, {}, model));

  // Pairs the sparse kernel does not make: a stored model, the measures,
  // exact mode.
  EXPECT_TRUE(throws(good, {}, RowView::Llama(dense.data(), n)));
  CompareOptions measures;
  measures.extras = kldkit::MeasureBit(kldkit::Measure::kReverseKld);
  EXPECT_TRUE(throws(good, measures, model));
  CompareOptions exact;
  exact.mode = CompareMode::kExact;
  EXPECT_TRUE(throws(good, exact, model));

  // A sparse row is a base row only: as the model it is refused, whatever
  // the base (found by the kernels fuzz target, which read it as logits).
  for (const CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
    CompareOptions options;
    options.mode = mode;
    for (const RowView base :
         {RowView::Llama(dense.data(), n), RowView::LlamaSparse(&good, n)}) {
      try {
        CompareRow(base, RowView::LlamaSparse(&good, n), 0, options);
        ADD_FAILURE() << "a sparse model row was accepted";
      } catch (const kldkit::Error& e) {
        EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
      }
    }
  }
}

// SparseRows round trip: ToDense gives back the row AppendDense took.
TEST(SparseRowsTest, DenseRoundTrip) {
  for (size_t n : {1, 63, 64, 65, 1001}) {
    const std::vector<float> x = kldkit::testing::GaussianLogits(n, 6.0f, n);
    const std::vector<uint16_t> dense = LlamaRow(x);
    SparseRows rows(n);
    rows.AppendDense(dense.data());
    rows.AppendDense(dense.data());
    std::vector<uint16_t> back(LlamaRowWords(n), 0xFFFF);
    rows.ToDense(1, back.data());
    std::vector<uint16_t> want = dense;
    if (n % 2 == 1) want.back() = 0;  // the padding word
    EXPECT_EQ(back, want) << n;
    size_t nonzero = 0;
    for (size_t i = 0; i < n; ++i) nonzero += dense[4 + i] != 0;
    EXPECT_EQ(rows.Row(1).count, nonzero);
  }
}

}  // namespace
