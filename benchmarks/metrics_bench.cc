// Metrics throughput: folding TokenResults (exact and sketch percentiles),
// and CompareBatch on 1 and 2 threads over rows too large for the caches.
//
//   build-metrics/benchmarks/metrics_bench --benchmark_min_time=0.5
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "kldkit/batch.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"
#include "kldkit/synth.hpp"

namespace kldkit {
namespace {

// Plausible per-token results (no kernel in the loop).
std::vector<TokenResult> Tokens(size_t n) {
  std::vector<TokenResult> out(n);
  uint64_t state = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    const double u = double(state >> 11) * 0x1.0p-53;
    TokenResult& r = out[i];
    r.kld = 1e-4 / (u + 1e-6);
    r.nll = static_cast<float>(3 * u);
    r.nll_base = r.nll + 0.01f;
    r.p = 0.5f;
    r.p_base = 0.49f;
    r.dp = static_cast<float>(u - 0.5) * 0.01f;
    r.flags = (state & 15) ? kSameTop : 0u;
  }
  return out;
}

void Accumulate(benchmark::State& state, PercentileMode mode) {
  const std::vector<TokenResult> tokens = Tokens(1 << 16);
  AccumulatorOptions options;
  options.percentiles = mode;
  for (auto _ : state) {
    Accumulator acc(options);
    acc.Add(tokens);
    benchmark::DoNotOptimize(acc.Count());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(tokens.size()));
  state.counters["tokens/s"] = benchmark::Counter(
      double(state.iterations()) * double(tokens.size()),
      benchmark::Counter::kIsRate);
}

void BM_AccumulateExact(benchmark::State& s) { Accumulate(s, PercentileMode::kExact); }
void BM_AccumulateSketch(benchmark::State& s) { Accumulate(s, PercentileMode::kSketch); }
BENCHMARK(BM_AccumulateExact);
BENCHMARK(BM_AccumulateSketch);

// What a rank 0 pays per part (kldkit-mpi, kldkit merge, kldkit.dask): the
// decode and merge of a state of 37,800 tokens (600 chunks of 63 rows),
// every measure folded; bytes/state is the message size.
void DecodeMerge(benchmark::State& state, PercentileMode mode) {
  AccumulatorOptions options;
  options.percentiles = mode;
  Accumulator part(options);
  part.Add(Tokens(37800));
  const std::vector<uint8_t> bytes = part.Serialize();
  for (auto _ : state) {
    Accumulator total(options);
    total.DecodeAndMerge(bytes);
    benchmark::DoNotOptimize(total.Count());
  }
  state.counters["bytes/state"] = double(bytes.size());
}
void BM_DecodeMergeExact(benchmark::State& s) { DecodeMerge(s, PercentileMode::kExact); }
void BM_DecodeMergeSketch(benchmark::State& s) { DecodeMerge(s, PercentileMode::kSketch); }
BENCHMARK(BM_DecodeMergeExact)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeMergeSketch)->Unit(benchmark::kMicrosecond);

// 48 rows of a 248K vocabulary: 48 MB of model logits plus 24 MB of base
// rows, streamed from memory on every pass.
struct BatchData {
  static constexpr size_t kRows = 48;
  static constexpr size_t kVocab = 248320;
  std::vector<uint16_t> base;
  std::vector<float> model;
  std::vector<int32_t> targets;

  BatchData() {
    GeneratorOptions o;
    o.n_vocab = kVocab;
    const LogitGenerator gen(o);
    const size_t words = LlamaRowWords(kVocab);
    base.resize(kRows * words);
    model.resize(kRows * kVocab);
    std::vector<float> row(kVocab);
    for (size_t r = 0; r < kRows; ++r) {
      gen.BaseRow(r, row);
      QuantizeRow(RowView::F32(row), {base.data() + r * words, words});
      gen.ModelRow(r, 0.01, 1, {model.data() + r * kVocab, kVocab});
      targets.push_back(gen.Target(r));
    }
  }
};

void BM_CompareBatch(benchmark::State& state) {
  static const BatchData data;
  const size_t n = BatchData::kRows, v = BatchData::kVocab;
  const RowBatch base = RowBatch::Strided(data.base.data(), n, v,
                                          2 * LlamaRowWords(v),
                                          RowType::kLlamaU16);
  const RowBatch model =
      RowBatch::Strided(data.model.data(), n, v, 4 * v, RowType::kF32);
  BatchOptions options;
  options.threads = size_t(state.range(0));
  options.block_rows = 4;
  for (auto _ : state) {
    Accumulator acc;
    CompareBatch(base, model, data.targets, acc, options);
    benchmark::DoNotOptimize(acc.Count());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(n));
  state.counters["rows/s"] = benchmark::Counter(
      double(state.iterations()) * double(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CompareBatch)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kldkit

BENCHMARK_MAIN();
