// .kldz decoding through ContainerReader::Cursor: dense rows (Next) against
// sparse rows (NextSparse), and Verify, on 1 and 2 cursor threads. Rows/s
// are items_per_second; each benchmark reads the whole file once per
// iteration, median of 5 repetitions.
//
//   decode_bench [--file PATH] [--rows N] [--spread S] [benchmark flags]
//
// Without --file it writes N rows (1008) of 248,320 tokens from
// LogitGenerator (seed 2024, spread S, 1.0 by default: ~82% floor codes;
// `kldkit demo` uses 0.75) to /dev/shm, as the demo writes its base (one
// QuantizeRow per row, default ContainerOptions), and removes it at exit.
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <hwy/targets.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/sparse_rows.hpp"
#include "kldkit/synth.hpp"

namespace {

std::string g_path;

std::string WriteFile(uint64_t rows, float spread) {
  const std::string path =
      "/dev/shm/kldkit_decode_bench_" + std::to_string(getpid()) + ".kldz";
  const kldkit::LogitGenerator gen({248320, 2024, spread});
  const size_t n = gen.Options().n_vocab;
  kldkit::ContainerInfo info;
  info.header.n_ctx = 128;  // 63 rows a chunk, as `kldkit demo`
  info.header.n_vocab = static_cast<int32_t>(n);
  info.header.n_chunk = static_cast<int32_t>((rows + 62) / 63);
  info.tokens.assign(size_t{128} * static_cast<size_t>(info.header.n_chunk),
                     1);
  kldkit::ContainerOptions options;
  options.threads = 2;
  kldkit::ContainerWriter writer(path, info, options);
  std::vector<float> logits(n);
  std::vector<uint16_t> row(kldkit::LlamaRowWords(n));
  for (uint64_t r = 0; r < rows; ++r) {
    gen.BaseRow(r, logits);
    kldkit::QuantizeRow(kldkit::RowView::F32(logits), row);
    writer.AppendRow(row);
  }
  writer.Close();
  return path;
}

// Zero share of the file's codes (for the label), from its sparse rows.
double ZeroShare(const kldkit::ContainerReader& in) {
  kldkit::SparseRows rows(static_cast<size_t>(in.Header().n_vocab));
  auto cursor = in.Rows(0, in.RowCount(), 1, kldkit::RowForm::kSparse);
  double zeros = 0;
  while (cursor.NextSparse(&rows)) {
    zeros += double(rows.NVocab() - rows.Row(rows.Size() - 1).count);
  }
  return zeros / (double(in.RowCount()) * double(rows.NVocab()));
}

// The target PackMarks dispatches to (the only SIMD of the sparse path).
const char* BestTargetName() {
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(targets & -targets);  // lowest bit = best target
}

void Label(benchmark::State& state, const kldkit::ContainerReader& in) {
  static const double zeros = ZeroShare(in);
  char label[128];
  std::snprintf(label, sizeof(label), "%llu rows of %d, %.0f%% zero codes, %s",
                static_cast<unsigned long long>(in.RowCount()),
                in.Header().n_vocab, 100 * zeros, BestTargetName());
  state.SetLabel(label);
  state.SetItemsProcessed(int64_t(state.iterations()) *
                          int64_t(in.RowCount()));
}

void BM_DenseCursor(benchmark::State& state) {
  const kldkit::ContainerReader in(g_path);
  std::vector<uint16_t> row(in.RowWords());
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto cursor = in.Rows(0, in.RowCount(), threads);
    while (cursor.Next(row)) benchmark::DoNotOptimize(row.data());
  }
  Label(state, in);
}

void BM_SparseCursor(benchmark::State& state) {
  const kldkit::ContainerReader in(g_path);
  kldkit::SparseRows rows(static_cast<size_t>(in.Header().n_vocab));
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto cursor =
        in.Rows(0, in.RowCount(), threads, kldkit::RowForm::kSparse);
    do {
      rows.Reset(rows.NVocab());  // a consumer takes rows in batches
    } while (cursor.NextSparse(&rows));
    benchmark::DoNotOptimize(rows.Size());
  }
  Label(state, in);
}

void BM_Verify(benchmark::State& state) {
  const kldkit::ContainerReader in(g_path);
  const auto threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(kldkit::Verify(g_path, threads));
  }
  Label(state, in);
}

void Configure(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgName("threads")->Repetitions(5)
      ->ReportAggregatesOnly(true)->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_DenseCursor)->Apply(Configure);
BENCHMARK(BM_SparseCursor)->Apply(Configure);
BENCHMARK(BM_Verify)->Apply(Configure);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  uint64_t rows = 1008;
  float spread = 1.0f;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 == argc) {
      std::fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    if (std::strcmp(argv[i], "--file") == 0) {
      g_path = argv[i + 1];
    } else if (std::strcmp(argv[i], "--rows") == 0) {
      rows = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--spread") == 0) {
      spread = std::strtof(argv[i + 1], nullptr);
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const bool made = g_path.empty();
  if (made) g_path = WriteFile(rows, spread);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (made) std::remove(g_path.c_str());
  return 0;
}
