// .kldz compression against zstd -3 of the raw rows and the order-0 entropy
// bound of the 16-bit codes, on the real fixture files and on generated rows
// at three spreads; then the keep-kld profile beside the lossless container
// on the llama.cpp and ik_llama.cpp fixtures and on generated 248,320-token
// bases of floors 16 and 24. Prints two tables; all numbers from this run.
//
//   storage_bench [--rows N] [--reps R]
//
// kldkit columns time the block codec in memory (the part the writer and
// reader spend their CPU on) with 1 and 2 threads, each thread owning whole
// blocks; zstd -3 compresses the raw rows as one frame, as `zstd -3 file`.
// MB/s are of raw row bytes; each timing is the best of R repetitions.
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/keep.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/synth.hpp"
#include "lib/storage/codec_split.h"
#include "lib/storage/container_writer_internal.h"

namespace {

using kldkit::LlamaRowWords;

struct DataSet {
  std::string name;
  size_t n_vocab = 0;
  size_t rows = 0;
  std::vector<uint16_t> words;  // rows * LlamaRowWords(n_vocab)
  std::vector<int32_t> targets;  // token each row predicts
};

double Seconds(const std::function<void()>& fn, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

// Order-0 entropy of the codes in bytes, plus the row heads (8 bytes, and 2
// for the padding word of an odd vocabulary) that are stored as they are.
double EntropyBound(const DataSet& d) {
  std::vector<uint64_t> hist(65536, 0);
  const size_t w = LlamaRowWords(d.n_vocab);
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t v = 0; v < d.n_vocab; ++v) ++hist[d.words[r * w + 4 + v]];
  }
  const double n = double(d.rows) * double(d.n_vocab);
  double bits = 0;
  for (uint64_t h : hist) {
    if (h != 0) bits -= double(h) * std::log2(double(h) / n);
  }
  return bits / 8 + double(d.rows) * ((d.n_vocab & 1) ? 10 : 8);
}

double ZeroShare(const DataSet& d) {
  const size_t w = LlamaRowWords(d.n_vocab);
  uint64_t zeros = 0;
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t v = 0; v < d.n_vocab; ++v) zeros += d.words[r * w + 4 + v] == 0;
  }
  return double(zeros) / (double(d.rows) * double(d.n_vocab));
}

// Encodes (or decodes) the data set's blocks on `threads` threads, block b
// on thread b % threads.
struct Blocks {
  size_t per_block;
  std::vector<std::vector<uint8_t>> payloads;
};

void ForBlocks(
    const DataSet& d, size_t per_block, unsigned threads,
    const std::function<void(kldkit::detail::SplitCodec*, size_t)>& fn) {
  const size_t n_blocks = (d.rows + per_block - 1) / per_block;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      kldkit::detail::SplitCodec codec;
      for (size_t b = t; b < n_blocks; b += threads) fn(&codec, b);
    });
  }
  for (auto& th : pool) th.join();
}

void Report(const DataSet& d, int reps) {
  const size_t w = LlamaRowWords(d.n_vocab);
  const size_t raw = d.rows * w * 2;
  const size_t per_block =
      kldkit::detail::DefaultRowsPerBlock(int32_t(d.n_vocab));
  const size_t n_blocks = (d.rows + per_block - 1) / per_block;
  std::vector<std::vector<uint8_t>> payloads(n_blocks);
  auto encode = [&](kldkit::detail::SplitCodec* c, size_t b) {
    const size_t first = b * per_block, n = std::min(per_block, d.rows - first);
    c->Encode(d.words.data() + first * w, n, d.n_vocab, {}, &payloads[b]);
  };
  std::vector<uint16_t> back(d.words.size());
  auto decode = [&](kldkit::detail::SplitCodec* c, size_t b) {
    const size_t first = b * per_block, n = std::min(per_block, d.rows - first);
    c->Decode(payloads[b].data(), payloads[b].size(), n, d.n_vocab,
              back.data() + first * w);
  };
  double ct[3], dt[3];
  for (unsigned t : {1u, 2u}) {
    ct[t] = Seconds([&] { ForBlocks(d, per_block, t, encode); }, reps);
    dt[t] = Seconds([&] { ForBlocks(d, per_block, t, decode); }, reps);
  }
  if (back != d.words)
    std::printf("!! %s: decoded rows differ\n", d.name.c_str());
  size_t kldz = 0;  // payloads + 48-byte block headers + seek entries
  for (const auto& p : payloads) kldz += p.size() + 48 + 16;

  std::vector<uint8_t> z(ZSTD_compressBound(raw));
  size_t zsize = 0;
  const double zc = Seconds(
      [&] {
        zsize = ZSTD_compress(z.data(), z.size(), d.words.data(), raw, 3);
      },
      reps);
  std::vector<uint8_t> zback(raw);
  const double zd = Seconds(
      [&] { ZSTD_decompress(zback.data(), raw, z.data(), zsize); }, reps);
  const double bound = EntropyBound(d);
  const double mb = double(raw) / 1e6, zmb = double(zsize) / 1e6,
               kmb = double(kldz) / 1e6;
  std::printf(
      "%-22s %6.1f%% %8.2f %8.2f %5.2fx %8.2f %5.2fx %8.2f %5.3f | %6.0f %6.0f "
      "%6.0f | %6.0f %6.0f %6.0f\n",
      d.name.c_str(), 100 * ZeroShare(d), mb, zmb, mb / zmb, kmb, mb / kmb,
      bound / 1e6, kmb * 1e6 / bound, mb / zc, mb / ct[1], mb / ct[2], mb / zd,
      mb / dt[1], mb / dt[2]);
}

DataSet FromLlamaFile(const std::string& path, const std::string& name) {
  kldkit::LlamaFileReader in(path);
  DataSet d;
  d.name = name;
  d.n_vocab = size_t(in.Header().n_vocab);
  d.rows = in.RowCount();
  d.words.resize(d.rows * in.RowWords());
  for (uint64_t r = 0; r < d.rows; ++r) {
    in.ReadRow(r, gsl::span<uint16_t>(d.words.data() + r * in.RowWords(),
                                      in.RowWords()));
    d.targets.push_back(in.TargetToken(r));
  }
  return d;
}

DataSet Generated(float spread, size_t rows, float floor = 16.0f) {
  kldkit::GeneratorOptions opt;
  opt.spread = spread;
  kldkit::LogitGenerator gen(opt);
  kldkit::QuantizeOptions q;
  q.floor = floor;
  DataSet d;
  d.name = "synth 248320 s=" + std::to_string(spread).substr(0, 3);
  d.n_vocab = opt.n_vocab;
  d.rows = rows;
  const size_t w = LlamaRowWords(d.n_vocab);
  d.words.resize(rows * w);
  std::vector<float> logits(d.n_vocab);
  for (size_t r = 0; r < rows; ++r) {
    gen.BaseRow(r, logits);
    kldkit::QuantizeRow(kldkit::RowView::F32(logits),
                        gsl::span<uint16_t>(d.words.data() + r * w, w), q);
    d.targets.push_back(gen.Target(r));
  }
  return d;
}

// Bytes of the container's blocks (payloads, block headers, seek entries).
double KldzBytes(const DataSet& d) {
  const size_t w = LlamaRowWords(d.n_vocab);
  const size_t per_block =
      kldkit::detail::DefaultRowsPerBlock(int32_t(d.n_vocab));
  kldkit::detail::SplitCodec codec;
  std::vector<uint8_t> payload;
  double bytes = 0;
  for (size_t first = 0; first < d.rows; first += per_block) {
    const size_t n = std::min(per_block, d.rows - first);
    codec.Encode(d.words.data() + first * w, n, d.n_vocab, {}, &payload);
    bytes += double(payload.size()) + 48 + 16;
  }
  return bytes;
}

// The keep-kld profile beside the lossless container, with both bounds.
void ReportKeep(const DataSet& d) {
  DataSet kept = d;
  const size_t w = LlamaRowWords(d.n_vocab);
  for (size_t r = 0; r < d.rows; ++r) {
    kldkit::ApplyKeepKld(gsl::span<uint16_t>(kept.words.data() + r * w, w),
                         d.n_vocab, d.targets[r]);
  }
  const double raw = double(d.rows * w * 2);
  std::vector<uint8_t> z(ZSTD_compressBound(size_t(raw)));
  const double zstd = double(
      ZSTD_compress(z.data(), z.size(), d.words.data(), size_t(raw), 3));
  const double all = KldzBytes(d), kld = KldzBytes(kept);
  const double all_bound = EntropyBound(d), kld_bound = EntropyBound(kept);
  std::printf(
      "%-22s %8.2f %8.2f %8.2f %8.2f %5.2fx %8.2f %8.2f %5.2fx %5.3f\n",
      d.name.c_str(), raw / 1e6, zstd / 1e6, all / 1e6, all_bound / 1e6,
      raw / all, kld / 1e6, kld_bound / 1e6, raw / kld, kld / kld_bound);
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 64;
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0)
      rows = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
  }
  const char* env = std::getenv("KLDKIT_FIXTURES");
  const std::string dir =
      std::string(env != nullptr && *env ? env : KLDKIT_FIXTURES_DIR) +
      "/llamacpp/";
  std::printf(
      "sizes in MB (1e6 bytes); bound = order-0 entropy of the 16-bit codes + "
      "row heads\n");
  std::printf("%-22s %7s %8s %8s %6s %8s %6s %8s %5s | %-20s | %-20s\n", "data",
              "zeros", "raw", "zstd-3", "ratio", "kldz", "ratio", "bound",
              "/bnd", "compress MB/s", "decompress MB/s");
  std::printf(
      "%-22s %7s %8s %8s %6s %8s %6s %8s %5s | %6s %6s %6s | %6s %6s %6s\n", "",
      "", "", "", "", "", "", "", "", "zstd", "kz T1", "kz T2", "zstd", "kz T1",
      "kz T2");
  for (const char* f : {"v32k-c128x4-f16.logits", "v32k-c128x4-q8_0.logits"}) {
    try {
      Report(FromLlamaFile(dir + f, std::string(f).substr(0, 15) +
                                        (f[12] == 'f' ? " f16" : " q8")),
             reps);
    } catch (const std::exception& e) {
      std::printf("%s: skipped (%s)\n", f, e.what());
    }
  }
  for (float spread : {0.5f, 1.0f, 2.0f}) Report(Generated(spread, rows), reps);
  std::printf(
      "\nkeep-kld profile (convert --keep kld); bound = the same order-0 "
      "bound of the codes it keeps\n");
  std::printf("%-22s %8s %8s %8s %8s %6s %8s %8s %6s %5s\n", "data", "raw",
              "zstd-3", "kldz", "bound", "ratio", "kld", "bound", "ratio",
              "/bnd");
  const std::string fixtures = dir + "../";
  for (const char* folder : {"llamacpp", "ik_llama"}) {
    try {
      ReportKeep(FromLlamaFile(fixtures + folder + "/v32k-c128x4-f16.logits",
                               std::string(folder) + " f16"));
    } catch (const std::exception& e) {
      std::printf("%s: skipped (%s)\n", folder, e.what());
    }
  }
  for (float floor : {16.0f, 24.0f}) {
    DataSet d = Generated(0.75f, rows, floor);
    d.name = "synth 248320 floor " + std::to_string(int(floor));
    ReportKeep(d);
  }
  // End to end through the public API (file I/O and fsync included).
  const std::string tmp = "/tmp/storage_bench_" + std::to_string(getpid());
  for (unsigned threads : {1u, 2u}) {
    const std::string src = dir + "v32k-c128x4-f16.logits";
    kldkit::ContainerOptions opt;
    opt.threads = threads;
    try {
      const double ti = Seconds(
          [&] { kldkit::ImportLlamaFile(src, tmp + ".kldz", opt); }, reps);
      const double te = Seconds(
          [&] { kldkit::ExportLlamaFile(tmp + ".kldz", tmp + ".logits"); },
          reps);
      std::ifstream f(tmp + ".kldz", std::ios::binary | std::ios::ate);
      std::printf(
          "ImportLlamaFile f16 fixture, %u thread(s): %lld bytes, import %.0f "
          "ms, export %.0f ms\n",
          threads, static_cast<long long>(f.tellg()), ti * 1e3, te * 1e3);
    } catch (const std::exception& e) {
      std::printf("import/export skipped (%s)\n", e.what());
    }
  }
  std::remove((tmp + ".kldz").c_str());
  std::remove((tmp + ".logits").c_str());
  return 0;
}
