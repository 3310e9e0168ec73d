// LogSoftmax against the long-double reference, on every compiled Highway
// target: accuracy per element, -inf entries, in-place use, no writes
// outside `out`, and the non-finite and argument policies.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "tests/kernels/reference.h"
#include "tests/kernels/test_util.h"

// Outside kldkit:: so that kldkit::testing cannot hide ::testing.
namespace {

using kldkit::LlamaRowWords;
using kldkit::LogSoftmax;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::testing::ForEachRow;
using kldkit::testing::GuardedOut;
using kldkit::testing::GuardedRow;
using kldkit::testing::kFloatTypes;
using kldkit::testing::MakeRow;
using kldkit::testing::RefLogSoftmax;
using kldkit::testing::Shape;
using kldkit::testing::StatusOf;
using kldkit::testing::Tol;
using kldkit::testing::TypeName;

// Each output within 8 eps of its own magnitude: out_i = (x_i - max) -
// log(sum) loses nothing to cancellation, since |out_i| >= log(sum).
void ExpectMatchesReference(const std::vector<long double>& want,
                            gsl::span<const float> got,
                            const std::string& label) {
  size_t bad = 0;
  for (size_t i = 0; i < want.size() && bad < 3; ++i) {
    const double w = static_cast<double>(want[i]);
    const bool ok = std::isinf(w) ? got[i] == w
                                  : std::fabs(got[i] - w) <= Tol(8, w);
    if (!ok) {
      ++bad;
      ADD_FAILURE() << label << " i=" << i << " got " << got[i] << " want "
                    << w << " tolerance " << Tol(8, w);
    }
  }
}

class SoftmaxTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(SoftmaxTest);

TEST_P(SoftmaxTest, MatchesReference) {
  ForEachRow([](const GuardedRow& row, const std::string& label) {
    const std::vector<float>& x = row.Values();
    bool any_finite = false;
    for (float v : x) any_finite |= std::isfinite(v);
    if (!any_finite) return;  // all -inf: covered by the policy test
    const std::vector<long double> want = RefLogSoftmax(x.data(), x.size());
    GuardedOut out(x.size(), x.size() % 16);
    LogSoftmax(row.View(), out.Span());
    EXPECT_TRUE(out.GuardsIntact()) << label << ": wrote outside out";
    ExpectMatchesReference(want, out.Span(), label);
  });
}

TEST_P(SoftmaxTest, InPlaceOnF32) {
  for (size_t n : {size_t{1}, size_t{19}, size_t{4099}}) {
    std::vector<float> x = MakeRow(Shape::kUniform, n, 20.0f, n);
    const std::vector<long double> want = RefLogSoftmax(x.data(), n);
    LogSoftmax(RowView::F32(x), x);
    ExpectMatchesReference(want, x, "in place n=" + std::to_string(n));
  }
}

// Rows of >= 256 KiB take the streaming-store path, which writes a head
// up to an aligned address first: every misalignment of the output.
TEST_P(SoftmaxTest, LargeRowAtEveryOutputOffset) {
  const size_t n = 70001;
  const std::vector<float> x = MakeRow(Shape::kNegInf, n, 30.0f, 7);
  const std::vector<long double> want = RefLogSoftmax(x.data(), n);
  for (size_t offset = 0; offset < 17; ++offset) {
    GuardedOut out(n, offset);
    LogSoftmax(RowView::F32(x), out.Span());
    EXPECT_TRUE(out.GuardsIntact()) << "offset " << offset;
    ExpectMatchesReference(want, out.Span(),
                           "offset " + std::to_string(offset));
  }
}

TEST_P(SoftmaxTest, NonFiniteInputThrows) {
  const float warm[2] = {0.0f, 1.0f};
  float warm_out[2];
  LogSoftmax(RowView::F32(warm), warm_out);  // dispatch on this target
  for (RowType type : kFloatTypes) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{16}, size_t{300}}) {
      std::vector<float> out(n);
      std::vector<float> x(n, -INFINITY);
      GuardedRow empty(x, type, 3);
      EXPECT_EQ(StatusOf([&] { LogSoftmax(empty.View(), out); }),
                KLDKIT_ERROR_NON_FINITE)
          << TypeName(type) << " all -inf n=" << n;
      x = MakeRow(Shape::kUniform, n, 3.0f, n);
      x[n / 2] = std::numeric_limits<float>::quiet_NaN();
      GuardedRow nan_row(x, type, n % 16);
      EXPECT_EQ(StatusOf([&] { LogSoftmax(nan_row.View(), out); }),
                KLDKIT_ERROR_NON_FINITE)
          << TypeName(type) << " NaN n=" << n;
      x[n / 2] = INFINITY;
      GuardedRow inf_row(x, type, n % 16);
      EXPECT_EQ(StatusOf([&] { LogSoftmax(inf_row.View(), out); }),
                KLDKIT_ERROR_NON_FINITE)
          << TypeName(type) << " +inf n=" << n;
    }
  }
}

TEST(SoftmaxArgs, BadArgumentsThrow) {
  const std::vector<float> x(8, 1.0f);
  const std::vector<uint16_t> words(LlamaRowWords(8), 0);
  std::vector<float> out(8);
  std::vector<float> short_out(7);
  const RowView empty{x.data(), 0, RowType::kF32};
  const RowView null_data{nullptr, 8, RowType::kF32};
  const RowView llama = RowView::Llama(words.data(), 8);
  for (const RowView& bad : {empty, null_data, llama}) {
    EXPECT_EQ(StatusOf([&] { LogSoftmax(bad, out); }),
              KLDKIT_ERROR_INVALID_ARGUMENT);
  }
  EXPECT_EQ(StatusOf([&] { LogSoftmax(RowView::F32(x), short_out); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
}

}  // namespace
