// The evaluation engine on the real llama.cpp fixture: per-token results
// from the accumulating pass equal CompareRow's, reports do not depend on
// threads or batch size within a model set, progress cancels, warnings
// reach the callback, and a float base is quantized as llama.cpp stores it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kldkit/evaluate.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/fixtures.h"

namespace kldkit {
namespace {

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr char kNpy[] = "v32k-c128x4-q8_0.f32.npy";

TEST(Engine, PerTokenResultsComeFromTheAccumulatingPass) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  std::vector<TokenResult> seen(252);
  uint64_t calls = 0;
  EvaluateOptions o;
  o.threads = 2;
  o.on_tokens = [&](size_t model, uint64_t first,
                    gsl::span<const TokenResult> results,
                    gsl::span<const int32_t> targets, const TokenLayout&) {
    EXPECT_EQ(model, 0u);
    for (size_t i = 0; i < results.size(); ++i) seen[first + i] = results[i];
    calls += targets.size();
  };
  const Evaluation e = EvaluateFiles(base, {npy}, o);
  EXPECT_EQ(calls, 252u);
  const LlamaFileReader b(base);
  const NpyReader m(npy);
  std::vector<uint16_t> row(b.RowWords());
  std::vector<float> logits(32000);
  Accumulator want;
  for (uint64_t r = 0; r < 252; ++r) {
    b.ReadRow(r, row);
    m.ReadRow(r, logits);
    const TokenResult t = CompareRow(RowView::Llama(row.data(), 32000),
                                     RowView::F32(logits), b.TargetToken(r));
    EXPECT_EQ(seen[r].kld, t.kld) << r;
    EXPECT_EQ(seen[r].nll, t.nll) << r;
    EXPECT_EQ(seen[r].flags, t.flags) << r;
    want.Add(t);
  }
  EXPECT_EQ(e.rows, 252u);
  EXPECT_EQ(e.layout.n_ctx, 128u);
  // The same numbers (sums in another order may differ in the last bits).
  EXPECT_NEAR(e.accumulators[0].MakeReport().kld.value,
              want.MakeReport().kld.value, 1e-12);
  // Threads and the batch size do not change the bytes.
  EvaluateOptions one;
  one.batch_bytes = 1;  // a row per batch
  EvaluateOptions two;
  two.threads = 2;
  EXPECT_EQ(EvaluateFiles(base, {npy}, one).accumulators[0].MakeReport().kld.value,
            e.accumulators[0].MakeReport().kld.value);
  EXPECT_EQ(EvaluateFiles(base, {npy}, two).accumulators[0].Serialize(),
            EvaluateFiles(base, {npy}).accumulators[0].Serialize());
}

TEST(Engine, ProgressCancelsAndWarningsReachTheCallback) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  EvaluateOptions o;
  o.batch_bytes = 1;
  std::vector<uint64_t> done;
  o.on_progress = [&](uint64_t d, uint64_t total) {
    EXPECT_EQ(total, 252u);
    done.push_back(d);
    return d >= 3;
  };
  try {
    EvaluateFiles(base, {npy}, o);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_CANCELLED);
  }
  EXPECT_EQ(done, (std::vector<uint64_t>{1, 2, 3}));
  // A float base: quantized as llama.cpp stores it, and said so.
  std::vector<std::string> warnings;
  EvaluateOptions w;
  w.on_warning = [&](const std::string& m) { warnings.push_back(m); };
  const Evaluation e = EvaluateFiles(npy, {base}, w);
  EXPECT_EQ(e.rows, 252u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("quantized"), std::string::npos) << warnings[0];
  // Without a callback the engine prints nothing and still runs.
  EXPECT_EQ(EvaluateFiles(npy, {base}).rows, 252u);
}

}  // namespace
}  // namespace kldkit

namespace kldkit {
namespace {

// 0.1 gave mean 0.000023 and a minimum of -0.000782 here: the stored
// model's floor codes counted at their floor value. The lumped KL agrees
// with the same base against the model's float logits.
TEST(Engine, TailModeOfTwoStoredFilesIsNeverNegative) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, "v32k-c128x4-q8_0.logits");
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  EvaluateOptions tail;
  tail.mode = CompareMode::kTail;
  const Report stored = EvaluateFiles(base, {model}, tail).accumulators[0]
                            .MakeReport();
  const Report floats = EvaluateFiles(base, {npy}, tail).accumulators[0]
                            .MakeReport();
  EXPECT_GT(stored.kld_min, 0.0);
  EXPECT_NEAR(stored.kld.value, 0.000170, 0.000003);
  EXPECT_NEAR(stored.kld.value, floats.kld.value, 0.03 * floats.kld.value);
}

// The measures reach every model's report through the engine, as
// CompareRow computes them row by row, and a keep-kld base refuses them.
TEST(Engine, MeasuresFoldTheRowsMeasures) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(npy, kNpy);
  EvaluateOptions o;
  o.threads = 2;
  o.accumulator.measures = AllMeasures();
  const Report got = EvaluateFiles(base, {npy}, o).accumulators[0].MakeReport();
  const LlamaFileReader b(base);
  const NpyReader m(npy);
  std::vector<uint16_t> row(b.RowWords());
  std::vector<float> logits(32000);
  CompareOptions c;
  c.extras = AllMeasures();
  Accumulator want(o.accumulator);
  for (uint64_t r = 0; r < 252; ++r) {
    b.ReadRow(r, row);
    m.ReadRow(r, logits);
    want.Add(CompareRow(RowView::Llama(row.data(), 32000), RowView::F32(logits),
                        b.TargetToken(r), c));
  }
  const Report ref = want.MakeReport();
  ASSERT_EQ(got.n_measure_stats, ref.n_measure_stats);
  ASSERT_GT(got.n_measure_stats, 10u);
  for (uint32_t i = 0; i < got.n_measure_stats; ++i) {
    EXPECT_EQ(got.measure_stats[i].n, ref.measure_stats[i].n) << i;
    EXPECT_NEAR(got.measure_stats[i].mean.value, ref.measure_stats[i].mean.value,
                1e-12) << i;
  }
}

}  // namespace
}  // namespace kldkit
