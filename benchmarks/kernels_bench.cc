// Row-kernel throughput at a 248,320 vocabulary (Qwen3.5), next to the two
// yardsticks that bound it: llama.cpp's scalar per-token loop (what kldkit
// replaces) and a plain read of the same bytes (what memory allows).
//
// Each benchmark has a `stream` variant, which cycles through a >= 1 GiB
// working set so that every row comes from DRAM as in a real evaluation, and
// a `hot` variant, which repeats one cache-resident row. Threaded variants
// give every thread its own rows. Bytes are the bytes the kernel must touch.
// Memory bandwidth drifts on shared machines: interleave the benchmarks and
// compare medians of one run.
//
//   build/benchmarks/kernels_bench --benchmark_min_time=0.5
//     --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//     --benchmark_report_aggregates_only=true
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include <benchmark/benchmark.h>
#include <hwy/targets.h>

#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/row.hpp"
#include "kldkit/sparse_rows.hpp"
#include "kldkit/synth.hpp"
#include "benchmarks/read_roofline.h"
#include "tests/kernels/llamacpp_loop.h"

namespace kldkit {
namespace {

constexpr size_t kVocab = 248320;
constexpr size_t kBaseWords = LlamaRowWords(kVocab);
constexpr size_t kBaseBytes = kBaseWords * sizeof(uint16_t);
constexpr size_t kModelBytes = kVocab * sizeof(float);
constexpr size_t kWorkingSet = size_t{1} << 30;
// Distinct generated rows; the working set repeats them (generating a 248K
// model row costs ~6 ms, so 1 GiB of distinct rows would take seconds).
constexpr size_t kDistinctRows = 24;

// The rows every benchmark shares, built once on first use. The compare set
// (base + model rows) and the log-softmax set (model rows in, out rows) are
// each >= 1 GiB.
struct RowSet {
  size_t rows = 0;
  std::vector<uint16_t> base;   // rows * kBaseWords
  std::vector<float> model;     // rows * kVocab
  std::vector<float> out;       // rows * kVocab, log-softmax output
  std::vector<int32_t> target;  // rows
  const uint16_t* Base(size_t r) const { return base.data() + r * kBaseWords; }
  const float* Model(size_t r) const { return model.data() + r * kVocab; }
  float* Out(size_t r) { return out.data() + r * kVocab; }
};

RowSet& Rows() {
  static RowSet* set = [] {
    auto* s = new RowSet;
    s->rows = (kWorkingSet + kBaseBytes + kModelBytes - 1) /
              (kBaseBytes + kModelBytes);
    s->base.resize(s->rows * kBaseWords);
    s->model.resize(s->rows * kVocab);
    s->out.resize(s->rows * kVocab);
    s->target.resize(s->rows);
    const LogitGenerator gen(GeneratorOptions{kVocab, 42, 1.0f});
    std::vector<float> logits(kVocab);
    for (size_t r = 0; r < kDistinctRows; ++r) {
      gen.BaseRow(r, logits);
      QuantizeRow(RowView::F32(logits),
                  gsl::span<uint16_t>(s->base.data() + r * kBaseWords,
                                      kBaseWords));
      gen.ModelRow(r, 0.02, 0, gsl::span<float>(s->model.data() + r * kVocab,
                                                kVocab));
      s->target[r] = gen.Target(r);
    }
    for (size_t r = kDistinctRows; r < s->rows; ++r) {
      const size_t src = r % kDistinctRows;
      std::memcpy(s->base.data() + r * kBaseWords, s->Base(src), kBaseBytes);
      std::memcpy(s->model.data() + r * kVocab, s->Model(src), kModelBytes);
      s->target[r] = s->target[src];
    }
    std::memset(s->out.data(), 0, s->out.size() * sizeof(float));
    return s;
  }();
  return *set;
}

// Rows a thread cycles through: its own share of the set when streaming, its
// own single row when hot.
struct RowRange {
  size_t first, count;
};

RowRange ThreadRows(const benchmark::State& state, bool stream) {
  const size_t threads = static_cast<size_t>(state.threads());
  const size_t t = static_cast<size_t>(state.thread_index());
  if (!stream) return {t, 1};
  const size_t per_thread = Rows().rows / threads;
  return {t * per_thread, per_thread};
}

const char* BestTargetName() {
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(targets & -targets);  // lowest bit = best target
}

void Finish(benchmark::State& state, size_t bytes_per_row) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bytes_per_row));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(BestTargetName());
}

// The benchmark loop: row(r) handles row r of the thread's rows, each
// iteration the next; every iteration counts bytes_per_row.
template <class Row>
void CycleRows(benchmark::State& state, bool stream, size_t bytes_per_row,
               const Row& row) {
  const RowRange range = ThreadRows(state, stream);
  size_t i = 0;
  for (auto _ : state) {
    row(range.first + i);
    if (++i == range.count) i = 0;
  }
  Finish(state, bytes_per_row);
}

// Every measure of kldkit/measures.hpp on, or none.
CompareOptions Measures(bool on) {
  CompareOptions o;
  o.extras = on ? AllMeasures() : 0;
  return o;
}

void CompareU16(benchmark::State& state, bool stream, bool measures) {
  const RowSet& set = Rows();
  const CompareOptions options = Measures(measures);
  CycleRows(state, stream, kBaseBytes + kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(CompareRow(RowView::Llama(set.Base(r), kVocab),
                                        RowView::F32({set.Model(r), kVocab}),
                                        set.target[r], options));
  });
}

void BM_CompareRowU16(benchmark::State& state, bool stream) {
  CompareU16(state, stream, false);
}

// The same with every measure on (issue: at most 1.5x the above).
void BM_CompareRowU16Measures(benchmark::State& state, bool stream) {
  CompareU16(state, stream, true);
}

// One measure alone (arg: its id; 8: none) on one hot row of the row set:
// what each measure costs, since only the stages it needs run.
void BM_CompareRowU16OneMeasure(benchmark::State& state) {
  const RowSet& set = Rows();
  CompareOptions options;
  const auto id = static_cast<size_t>(state.range(0));
  const bool on = id < MeasureTable().size();
  options.extras = on ? MeasureBit(MeasureTable()[id].id) : 0;
  CycleRows(state, false, kBaseBytes + kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(CompareRow(RowView::Llama(set.Base(r), kVocab),
                                        RowView::F32({set.Model(r), kVocab}),
                                        set.target[r], options));
  });
  state.SetLabel(on ? MeasureTable()[id].name : "none");
}

// One hot row pair at a generator spread of arg/100: the kernel computes
// base exponentials only for kept tokens, so its speed depends on the share
// of codes at the floor (43% at spread 0.5, 83% at 1, 96% at 2).
struct SpreadRow {
  std::vector<uint16_t> base;
  std::vector<float> model;
  SparseRows sparse;
  int32_t target = 0;
  double floor_share = 0;
};

const SpreadRow& SpreadRowAt(int64_t spread_x100) {
  static std::map<int64_t, SpreadRow>* rows = new std::map<int64_t, SpreadRow>;
  auto it = rows->find(spread_x100);
  if (it != rows->end()) return it->second;
  SpreadRow& r = (*rows)[spread_x100];
  const float spread = static_cast<float>(spread_x100) / 100.0f;
  const LogitGenerator gen(GeneratorOptions{kVocab, 42, spread});
  std::vector<float> logits(kVocab);
  r.base.resize(kBaseWords);
  r.model.resize(kVocab);
  gen.BaseRow(0, logits);
  QuantizeRow(RowView::F32(logits), gsl::span<uint16_t>(r.base));
  gen.ModelRow(0, 0.02, 0, gsl::span<float>(r.model));
  r.sparse.Reset(kVocab);
  r.sparse.AppendDense(r.base.data());
  r.floor_share = 1.0 - static_cast<double>(r.sparse.Row(0).count) / kVocab;
  r.target = gen.Target(0);  // costs a row's generation
  return r;
}

void BM_CompareRowU16Spread(benchmark::State& state) {
  const CompareOptions options = Measures(state.range(1) != 0);
  const SpreadRow& r = SpreadRowAt(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompareRow(RowView::Llama(r.base.data(), kVocab),
                                        RowView::F32(r.model), r.target,
                                        options));
  }
  Finish(state, kBaseBytes + kModelBytes);
  state.counters["floor_share"] = r.floor_share;
}

// The same comparison from the sparse base row (what a .kldz block holds),
// and the model row's log-sum-exp alone: the floor the sparse compare
// approaches (issue 21: at most 1.2x of it at spread 2, 1.6x at 0.5).
void BM_CompareSparseSpread(benchmark::State& state) {
  const SpreadRow& r = SpreadRowAt(state.range(0));
  const SparseLlamaRow sparse = r.sparse.Row(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompareRow(RowView::LlamaSparse(&sparse, kVocab),
                                        RowView::F32(r.model), r.target));
  }
  Finish(state, sparse.count * 2 + kVocab / 8 + kModelBytes);
  state.counters["floor_share"] = r.floor_share;
}

void BM_LogSumExpSpread(benchmark::State& state) {
  const SpreadRow& r = SpreadRowAt(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(LogSumExp(RowView::F32(r.model)));
  }
  Finish(state, kModelBytes);
}

void BM_LlamaCppLoop(benchmark::State& state, bool stream) {
  const RowSet& set = Rows();
  CycleRows(state, stream, kBaseBytes + kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(testing::LlamaCppLoop(
        set.Base(r), set.Model(r), kVocab, set.target[r]));
  });
}

void BM_ReadRoofline(benchmark::State& state, bool stream) {
  const RowSet& set = Rows();
  CycleRows(state, stream, kBaseBytes + kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(
        SumRowBytes(set.Base(r), kBaseWords, set.Model(r), kVocab));
  });
}

// The same read as a plain loop, which the compiler vectorises for the
// baseline target only (SSE2 on x86-64): shows why the roofline above
// dispatches (compute-bound hot, slower streaming).
uint32_t SumRowBytesPlain(const uint16_t* base, const float* model) {
  uint32_t sum_codes = 0;
  for (size_t i = 0; i < kBaseWords; ++i) sum_codes += base[i];
  const auto* bits = reinterpret_cast<const uint32_t*>(model);
  uint32_t sum_bits = 0;
  for (size_t i = 0; i < kVocab; ++i) sum_bits += bits[i];
  return sum_codes ^ sum_bits;
}

void BM_ReadPlainLoop(benchmark::State& state, bool stream) {
  const RowSet& set = Rows();
  CycleRows(state, stream, kBaseBytes + kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(SumRowBytesPlain(set.Base(r), set.Model(r)));
  });
}

// The model side of a compare alone: one exponential per token, no base row.
// The compare's time beyond it is the packing, the kept pass and the block
// bookkeeping.
void BM_LogSumExpF32(benchmark::State& state, bool stream) {
  const RowSet& set = Rows();
  CycleRows(state, stream, kModelBytes, [&](size_t r) {
    benchmark::DoNotOptimize(LogSumExp(RowView::F32({set.Model(r), kVocab})));
  });
}

void BM_LogSoftmaxF32(benchmark::State& state, bool stream) {
  RowSet& set = Rows();
  CycleRows(state, stream, 2 * kModelBytes, [&](size_t r) {
    LogSoftmax(RowView::F32({set.Model(r), kVocab}),
               gsl::span<float>(set.Out(r), kVocab));
    benchmark::DoNotOptimize(set.Out(r)[0]);
    benchmark::ClobberMemory();
  });
}

void BM_CopyRoofline(benchmark::State& state, bool stream) {
  RowSet& set = Rows();
  CycleRows(state, stream, 2 * kModelBytes, [&](size_t r) {
    std::memcpy(set.Out(r), set.Model(r), kModelBytes);
    benchmark::DoNotOptimize(set.Out(r)[0]);
    benchmark::ClobberMemory();
  });
}

BENCHMARK_CAPTURE(BM_CompareRowU16, stream, true)
    ->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CompareRowU16, hot, false)
    ->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CompareRowU16Measures, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CompareRowU16Measures, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompareRowU16OneMeasure)
    ->DenseRange(0, 8)  // 8: past the last measure (none)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
// Args: spread * 100, measures on (1) or off (0).
BENCHMARK(BM_CompareRowU16Spread)
    ->ArgsProduct({{50, 100, 200}, {0, 1}})
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompareSparseSpread)
    ->Arg(50)->Arg(100)->Arg(200)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LogSumExpSpread)
    ->Arg(50)->Arg(100)->Arg(200)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LlamaCppLoop, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LlamaCppLoop, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ReadRoofline, stream, true)
    ->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ReadRoofline, hot, false)
    ->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ReadPlainLoop, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ReadPlainLoop, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LogSumExpF32, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LogSumExpF32, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LogSoftmaxF32, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LogSoftmaxF32, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CopyRoofline, stream, true)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CopyRoofline, hot, false)
    ->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kldkit

BENCHMARK_MAIN();
