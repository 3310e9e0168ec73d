// MaxAndArgmax and LogSumExp against the long-double reference, on every
// compiled Highway target.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "tests/kernels/reference.h"
#include "tests/kernels/test_util.h"

// The tests live outside kldkit:: because the helpers' namespace
// kldkit::testing would hide ::testing from gtest's and hwy's macros.
namespace {

using kldkit::LlamaRowWords;
using kldkit::LogSumExp;
using kldkit::MaxAndArgmax;
using kldkit::MaxArg;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::testing::ForEachRow;
using kldkit::testing::kFloatTypes;
using kldkit::testing::GuardedRow;
using kldkit::testing::LargeSizes;
using kldkit::testing::MakeRow;
using kldkit::testing::RefLogSumExp;
using kldkit::testing::RefMaxAndArgmax;
using kldkit::testing::RefMaxArg;
using kldkit::testing::Shape;
using kldkit::testing::ShapeName;
using kldkit::testing::SmallSizes;
using kldkit::testing::StatusOf;
using kldkit::testing::Tol;
using kldkit::testing::TypeName;

// Makes sure the kernel dispatched at least once on this target (Highway's
// fixture checks it), even if the checks below throw before dispatching.
void WarmUpDispatch() {
  const float x[3] = {1.0f, 2.0f, 3.0f};
  MaxAndArgmax(RowView::F32(x));
}

class ReduceTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ReduceTest);

TEST_P(ReduceTest, MaxAndArgmaxMatchesReference) {
  ForEachRow([](const GuardedRow& row, const std::string& label) {
    const RefMaxArg want =
        RefMaxAndArgmax(row.Values().data(), row.Values().size());
    const MaxArg got = MaxAndArgmax(row.View());
    EXPECT_EQ(got.value, want.value) << label;
    EXPECT_EQ(got.index, want.index) << label << " (first index must win)";
  });
}

TEST_P(ReduceTest, LogSumExpWithinFourUlp) {
  ForEachRow([](const GuardedRow& row, const std::string& label) {
    const long double want =
        RefLogSumExp(row.Values().data(), row.Values().size());
    const float got = LogSumExp(row.View());
    if (std::isinf(want)) {
      EXPECT_EQ(got, -INFINITY) << label;
      return;
    }
    EXPECT_NEAR(got, static_cast<double>(want),
                Tol(4, static_cast<double>(want)))
        << label;
  });
}

TEST_P(ReduceTest, PlusInfinityIsAValidMaximum) {
  std::vector<float> x(37, 1.0f);
  x[20] = INFINITY;
  x[30] = INFINITY;
  const MaxArg got = MaxAndArgmax(RowView::F32(x));
  EXPECT_EQ(got.value, INFINITY);
  EXPECT_EQ(got.index, 20u);
}

TEST_P(ReduceTest, AllNegativeInfinity) {
  for (size_t n : {size_t{1}, size_t{17}, size_t{300}}) {
    const std::vector<float> x(n, -INFINITY);
    const MaxArg m = MaxAndArgmax(RowView::F32(x));
    EXPECT_EQ(m.value, -INFINITY);
    EXPECT_EQ(m.index, 0u);
    EXPECT_EQ(LogSumExp(RowView::F32(x)), -INFINITY) << "n=" << n;
  }
}

TEST_P(ReduceTest, NonFiniteInputThrows) {
  // NaN in f16 needs care on targets without F16C: Highway 1.0.3's emulated
  // f16 widening maps exponent 31 to a finite 2^16.
  WarmUpDispatch();
  for (RowType type : kFloatTypes) {
    for (size_t n : {size_t{1}, size_t{5}, size_t{16}, size_t{33},
                     size_t{1000}}) {
      for (size_t pos : {size_t{0}, n / 2, n - 1}) {
        std::vector<float> x = MakeRow(Shape::kUniform, n, 4.0f, n + pos);
        x[pos] = std::numeric_limits<float>::quiet_NaN();
        GuardedRow nan_row(x, type, pos % 16);
        EXPECT_EQ(StatusOf([&] { MaxAndArgmax(nan_row.View()); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " n=" << n << " NaN at " << pos;
        EXPECT_EQ(StatusOf([&] { LogSumExp(nan_row.View()); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " n=" << n << " NaN at " << pos;
        x[pos] = INFINITY;
        GuardedRow inf_row(x, type, pos % 16);
        EXPECT_EQ(StatusOf([&] { LogSumExp(inf_row.View()); }),
                  KLDKIT_ERROR_NON_FINITE)
            << TypeName(type) << " n=" << n << " +inf at " << pos;
      }
    }
  }
}

// Argument checks come before dispatch: a plain test.
TEST(ReduceArgs, BadArgumentsThrow) {
  const std::vector<float> x(8, 1.0f);
  const std::vector<uint16_t> words(LlamaRowWords(8), 0);
  const RowView empty{x.data(), 0, RowType::kF32};
  const RowView null_data{nullptr, 8, RowType::kF32};
  const RowView llama = RowView::Llama(words.data(), 8);
  for (const RowView& bad : {empty, null_data, llama}) {
    EXPECT_EQ(StatusOf([&] { MaxAndArgmax(bad); }),
              KLDKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(StatusOf([&] { LogSumExp(bad); }),
              KLDKIT_ERROR_INVALID_ARGUMENT);
  }
}

}  // namespace
