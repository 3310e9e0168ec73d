// CompareBatch: thread-count independence, agreement with a sequential
// block-by-block fold of CompareRow, strided input, and input checks.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/batch.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"

namespace kldkit {
namespace {

constexpr size_t kVocab = 257;  // odd: exercises the llama row padding
constexpr size_t kRows = 101;

struct Data {
  std::vector<uint16_t> base;  // llama.cpp rows, LlamaRowWords each
  std::vector<float> model;    // float logits, kVocab each
  std::vector<int32_t> targets;
  std::vector<RowView> base_views, model_views;
};

Data MakeData() {
  Data d;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(0, 3);
  const size_t words = LlamaRowWords(kVocab);
  d.base.resize(kRows * words);
  d.model.resize(kRows * kVocab);
  std::vector<float> logits(kVocab);
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t i = 0; i < kVocab; ++i) {
      logits[i] = g(rng);
      d.model[r * kVocab + i] = logits[i] + 0.05f * g(rng);
    }
    QuantizeRow(RowView::F32(logits), {d.base.data() + r * words, words});
    d.targets.push_back(static_cast<int32_t>(rng() % kVocab));
  }
  for (size_t r = 0; r < kRows; ++r) {
    d.base_views.push_back(RowView::Llama(d.base.data() + r * words, kVocab));
    d.model_views.push_back(
        RowView::F32({d.model.data() + r * kVocab, kVocab}));
  }
  return d;
}

std::vector<uint8_t> RunBatch(const Data& d, size_t threads, size_t block,
                              const AccumulatorOptions& o = {}) {
  Accumulator acc(o);
  BatchOptions options;
  options.threads = threads;
  options.block_rows = block;
  CompareBatch(RowBatch::Views(d.base_views), RowBatch::Views(d.model_views),
               d.targets, acc, options);
  return acc.Serialize();
}

TEST(BatchTest, ResultDoesNotDependOnThreadCount) {
  const Data d = MakeData();
  for (const size_t block : {1u, 4u, 16u, 200u}) {
    const std::vector<uint8_t> one = RunBatch(d, 1, block);
    for (const size_t threads : {2u, 3u, 8u}) {
      EXPECT_EQ(RunBatch(d, threads, block), one) << threads << " " << block;
    }
  }
  // Repeated runs with many small blocks stress the hand-out and the
  // bounded window (a lost or doubled block changes the bytes or hangs).
  const std::vector<uint8_t> small = RunBatch(d, 1, 1);
  for (int rep = 0; rep < 50; ++rep) ASSERT_EQ(RunBatch(d, 8, 1), small) << rep;
  AccumulatorOptions sketch;
  sketch.percentiles = PercentileMode::kSketch;
  EXPECT_EQ(RunBatch(d, 5, 3, sketch), RunBatch(d, 1, 3, sketch));
}

TEST(BatchTest, EqualsSequentialBlockFold) {
  const Data d = MakeData();
  const size_t block = 8;
  Accumulator want;
  for (size_t begin = 0; begin < kRows; begin += block) {
    Accumulator part;
    for (size_t i = begin; i < std::min(begin + block, kRows); ++i) {
      part.Add(CompareRow(d.base_views[i], d.model_views[i], d.targets[i]));
    }
    want.Merge(part);
  }
  Accumulator total;
  total.Merge(want);  // the batch merges its blocks, then into the argument
  EXPECT_EQ(RunBatch(d, 3, block), total.Serialize());
  EXPECT_EQ(Accumulator::Deserialize(RunBatch(d, 3, block)).Count(), kRows);
}

TEST(BatchTest, StridedBuffersEqualViews) {
  const Data d = MakeData();
  Accumulator acc;
  BatchOptions options;
  options.threads = 2;
  options.block_rows = 16;
  CompareBatch(RowBatch::Strided(d.base.data(), kRows, kVocab,
                                 2 * LlamaRowWords(kVocab), RowType::kLlamaU16),
               RowBatch::Strided(d.model.data(), kRows, kVocab, 4 * kVocab,
                                 RowType::kF32),
               d.targets, acc, options);
  EXPECT_EQ(acc.Serialize(), RunBatch(d, 1, 16));
}

TEST(BatchTest, RejectsBadInputWithoutTouchingTheAccumulator) {
  Data d = MakeData();
  Accumulator acc;
  const auto status = [&](const RowBatch& b, const RowBatch& m,
                          const std::vector<int32_t>& t, BatchOptions o) {
    try {
      CompareBatch(b, m, t, acc, o);
    } catch (const Error& e) {
      return e.Status();
    }
    return KLDKIT_OK;
  };
  const RowBatch base = RowBatch::Views(d.base_views);
  const RowBatch model = RowBatch::Views(d.model_views);
  std::vector<int32_t> short_targets(d.targets.begin(), d.targets.end() - 1);
  EXPECT_EQ(status(base, model, short_targets, {}), KLDKIT_ERROR_MISMATCH);
  std::vector<int32_t> bad = d.targets;
  bad[50] = static_cast<int32_t>(kVocab);
  EXPECT_EQ(status(base, model, bad, {}), KLDKIT_ERROR_INVALID_ARGUMENT);
  BatchOptions zero;
  zero.threads = 0;
  EXPECT_EQ(status(base, model, d.targets, zero), KLDKIT_ERROR_INVALID_ARGUMENT);
  // A row CompareRow rejects (float base in kLlamaCpp mode) fails the call
  // from a worker thread; nothing is folded.
  d.base_views[70] = d.model_views[70];
  BatchOptions threaded;
  threaded.threads = 4;
  threaded.block_rows = 2;
  EXPECT_EQ(status(RowBatch::Views(d.base_views), model, d.targets, threaded),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(acc.IsEmpty());
  EXPECT_THROW(RowBatch::Strided(d.model.data(), kRows, kVocab, 4 * kVocab - 4,
                                 RowType::kF32),
               Error);
  EXPECT_THROW(RowBatch::Strided(nullptr, 1, kVocab, 4 * kVocab, RowType::kF32),
               Error);
}

TEST(BatchTest, PerTokenResultsComeFromTheSamePass) {
  const Data d = MakeData();
  std::vector<TokenResult> results(kRows);
  Accumulator with(AccumulatorOptions{}), without(AccumulatorOptions{});
  BatchOptions o;
  o.threads = 3;
  o.block_rows = 4;
  o.results = results;
  CompareBatch(RowBatch::Views(d.base_views), RowBatch::Views(d.model_views),
               d.targets, with, o);
  o.results = {};
  CompareBatch(RowBatch::Views(d.base_views), RowBatch::Views(d.model_views),
               d.targets, without, o);
  EXPECT_EQ(with.Serialize(), without.Serialize());
  for (size_t i = 0; i < kRows; ++i) {
    const TokenResult want =
        CompareRow(d.base_views[i], d.model_views[i], d.targets[i]);
    EXPECT_EQ(results[i].kld, want.kld) << i;
    EXPECT_EQ(results[i].nll, want.nll) << i;
    EXPECT_EQ(results[i].top, want.top) << i;
    EXPECT_EQ(results[i].flags, want.flags) << i;
  }
  std::vector<TokenResult> short_results(kRows - 1);
  o.results = short_results;
  EXPECT_THROW(CompareBatch(RowBatch::Views(d.base_views),
                            RowBatch::Views(d.model_views), d.targets, with, o),
               Error);
}

TEST(BatchTest, ProgressReportsAndCancelsLeavingTheAccumulator) {
  const Data d = MakeData();
  BatchOptions o;
  o.threads = 2;
  o.block_rows = 1;  // 101 blocks: groups of 32, so four progress calls
  std::vector<uint64_t> seen;
  o.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, kRows);
    seen.push_back(done);
    return false;
  };
  Accumulator acc(AccumulatorOptions{});
  CompareBatch(RowBatch::Views(d.base_views), RowBatch::Views(d.model_views),
               d.targets, acc, o);
  EXPECT_EQ(seen, (std::vector<uint64_t>{32, 64, 96, 101}));
  const std::vector<uint8_t> before = acc.Serialize();
  o.progress = [](uint64_t done, uint64_t) { return done >= 64; };
  try {
    CompareBatch(RowBatch::Views(d.base_views),
                 RowBatch::Views(d.model_views), d.targets, acc, o);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_CANCELLED);
  }
  EXPECT_EQ(acc.Serialize(), before);
}

}  // namespace
}  // namespace kldkit
