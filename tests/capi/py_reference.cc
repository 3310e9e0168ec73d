// Reference for the Python binding tests: compares a base file (llama.cpp
// or .kldz) with a model file (float .npy logits, or a llama.cpp file)
// through the C++ API alone (readers, kldkit::CompareBatch) and prints the
// report as JSON. Usage: py_reference BASE MODEL [llamacpp|tail|exact]
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/batch.hpp"
#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/metrics.hpp"
#include "kldkit/npy.hpp"

namespace {

struct Rows {
  std::vector<uint16_t> u16;
  std::vector<float> f32;
  size_t n_rows = 0;
  size_t n_vocab = 0;
  std::vector<int32_t> targets;
};

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

Rows ReadLlama(const std::string& path) {
  Rows r;
  if (EndsWith(path, ".kldz")) {
    kldkit::ContainerReader in(path);
    r.n_rows = in.RowCount();
    r.n_vocab = static_cast<size_t>(in.Header().n_vocab);
    r.u16.resize(r.n_rows * in.RowWords());
    for (size_t i = 0; i < r.n_rows; ++i) {
      in.ReadRow(i, gsl::span<uint16_t>(&r.u16[i * in.RowWords()],
                                        in.RowWords()));
      const uint64_t per_chunk = kldkit::RowsPerChunk(in.Header().n_ctx);
      const uint32_t n_ctx = in.Header().n_ctx;
      r.targets.push_back(in.Tokens()[(i / per_chunk) * n_ctx + n_ctx / 2 +
                                      i % per_chunk + 1]);
    }
    return r;
  }
  kldkit::LlamaFileReader in(path, false);
  r.n_rows = in.RowCount();
  r.n_vocab = static_cast<size_t>(in.Header().n_vocab);
  r.u16.resize(r.n_rows * in.RowWords());
  for (size_t i = 0; i < r.n_rows; ++i) {
    in.ReadRow(i, gsl::span<uint16_t>(&r.u16[i * in.RowWords()],
                                      in.RowWords()));
    r.targets.push_back(in.TargetToken(i));
  }
  return r;
}

Rows Read(const std::string& path) {
  if (!EndsWith(path, ".npy")) return ReadLlama(path);
  kldkit::NpyReader in(path);
  Rows r;
  r.n_rows = in.Rows();
  r.n_vocab = in.Cols();
  r.f32.resize(r.n_rows * r.n_vocab);
  for (size_t i = 0; i < r.n_rows; ++i) {
    in.ReadRow(i, gsl::span<float>(&r.f32[i * r.n_vocab], r.n_vocab));
  }
  return r;
}

kldkit::RowBatch Batch(const Rows& r) {
  if (!r.u16.empty()) {
    return kldkit::RowBatch::Strided(r.u16.data(), r.n_rows, r.n_vocab,
                                     2 * kldkit::LlamaRowWords(r.n_vocab),
                                     kldkit::RowType::kLlamaU16);
  }
  return kldkit::RowBatch::Strided(r.f32.data(), r.n_rows, r.n_vocab,
                                   4 * r.n_vocab, kldkit::RowType::kF32);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BASE MODEL [llamacpp|tail|exact]\n",
                 argv[0]);
    return 2;
  }
  try {
    const Rows base = Read(argv[1]);
    const Rows model = Read(argv[2]);
    kldkit::BatchOptions options;
    const std::string mode = argc > 3 ? argv[3] : "llamacpp";
    options.compare.mode = mode == "tail"    ? kldkit::CompareMode::kTail
                           : mode == "exact" ? kldkit::CompareMode::kExact
                                             : kldkit::CompareMode::kLlamaCpp;
    kldkit::Accumulator acc;
    kldkit::CompareBatch(Batch(base), Batch(model), base.targets, acc,
                         options);
    std::fputs(kldkit::RenderJson(acc.MakeReport()).c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "py_reference: %s\n", e.what());
    return 1;
  }
}
