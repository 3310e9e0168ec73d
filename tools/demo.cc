// kldkit-demo: what kldkit measures, on synthetic data shaped like a real
// 248K-vocabulary model. Generates a base model's rows, stores them the way
// llama.cpp's --kl-divergence-base does (uint16 rows), makes three
// "quantized" models of increasing damage, compares each with the base and
// prints the headline statistics and the compare throughput.
//
//   kldkit-demo [--rows N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <thread>
#include <vector>

#include "kldkit/kernels.hpp"
#include "kldkit/row.hpp"
#include "kldkit/synth.hpp"

namespace {

constexpr size_t kVocab = 248320;
constexpr float kSpread = 0.75f;  // ~67% floor codes, like a real Qwen file
constexpr size_t kBaseWords = kldkit::LlamaRowWords(kVocab);

struct Model {
  const char* name;
  double target_kld;
};
constexpr Model kModels[] = {{"Q8-like", 0.002}, {"Q4-like", 0.02},
                             {"Q2-like", 0.1}};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       since)
      .count();
}

// Runs body(row) for every row on a few threads (rows are independent).
void ParallelFor(size_t rows, const std::function<void(size_t)>& body) {
  const size_t threads = std::max<size_t>(
      1, std::min<size_t>({std::thread::hardware_concurrency(), 8, rows}));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t r = t; r < rows; r += threads) body(r);
    });
  }
  for (std::thread& th : pool) th.join();
}

// llama.cpp's percentile: linear interpolation at fraction * (n - 1).
double Percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const double pos = fraction * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

struct Options {
  size_t rows = 200;
};

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      char* end = nullptr;
      const long long n = std::strtoll(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || n < 1 || n > 2000) {
        std::fprintf(stderr, "kldkit-demo: --rows wants 1..2000 (each row holds 1.5 MB)\n");
        return false;
      }
      options->rows = static_cast<size_t>(n);
    } else {
      std::fprintf(stderr, "usage: kldkit-demo [--rows N]   (N in 1..2000,"
                           " default 200)\n");
      return false;
    }
  }
  return true;
}

void PrintModel(const Model& model, const std::vector<kldkit::TokenResult>& r,
                double compare_seconds) {
  std::vector<double> kld;
  size_t same_top = 0;
  double sum = 0;
  for (const kldkit::TokenResult& t : r) {
    if (!t.Valid()) continue;
    kld.push_back(t.kld);
    sum += t.kld;
    same_top += t.SameTop();
  }
  if (kld.empty()) {
    std::printf("%-8s  no valid token\n", model.name);
    return;
  }
  const double rows = static_cast<double>(r.size());
  const double bytes = rows * static_cast<double>(
                                  kBaseWords * sizeof(uint16_t) +
                                  kVocab * sizeof(float));
  std::printf("%-8s  %10.4f  %10.6f  %10.6f  %10.6f  %8.2f %%  %8.0f  %6.2f\n",
              model.name, model.target_kld, sum / static_cast<double>(kld.size()),
              Percentile(kld, 0.5), Percentile(kld, 0.999),
              100.0 * static_cast<double>(same_top) /
                  static_cast<double>(kld.size()),
              rows / compare_seconds, bytes / compare_seconds * 1e-9);
}

int Run(const Options& options) {
  const size_t rows = options.rows;
  const kldkit::LogitGenerator gen({kVocab, 2024, kSpread});
  std::printf("kldkit demo: %zu rows, vocabulary %zu (synthetic, spread %.2f)\n",
              rows, kVocab, static_cast<double>(kSpread));

  auto start = std::chrono::steady_clock::now();
  std::vector<uint16_t> base(rows * kBaseWords);
  std::vector<int32_t> targets(rows);
  ParallelFor(rows, [&](size_t r) {
    std::vector<float> logits(kVocab);
    gen.BaseRow(r, logits);
    kldkit::QuantizeRow(kldkit::RowView::F32(logits),
                        {base.data() + r * kBaseWords, kBaseWords});
    targets[r] = gen.Target(r);
  });
  std::printf("base rows generated and stored as llama.cpp uint16 rows in "
              "%.2f s\n\n", Seconds(start));

  std::printf("%-8s  %10s  %10s  %10s  %10s  %10s  %8s  %6s\n", "model",
              "target", "mean KLD", "median KLD", "99.9% KLD", "same top",
              "rows/s", "GB/s");
  std::vector<float> logits(rows * kVocab);
  for (size_t m = 0; m < std::size(kModels); ++m) {
    ParallelFor(rows, [&](size_t r) {
      gen.ModelRow(r, kModels[m].target_kld, m,
                   {logits.data() + r * kVocab, kVocab});
    });
    // One thread, as a measure of the kernel (rows are not in cache).
    std::vector<kldkit::TokenResult> results(rows);
    start = std::chrono::steady_clock::now();
    for (size_t r = 0; r < rows; ++r) {
      results[r] = kldkit::CompareRow(
          kldkit::RowView::Llama(base.data() + r * kBaseWords, kVocab),
          kldkit::RowView::F32({logits.data() + r * kVocab, kVocab}),
          targets[r]);
    }
    PrintModel(kModels[m], results, Seconds(start));
  }
  std::printf("\nKLD in nats (llama.cpp definition); throughput of "
              "kldkit::CompareRow on one thread.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) return 2;
  try {
    return Run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kldkit-demo: %s\n", e.what());
    return 1;
  }
}
