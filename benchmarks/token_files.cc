// Writes synthetic token files for benchmarks/rank_bench.sh: N quants of
// one evaluation, each a realistic spread of per-token results (KLD heavy
// tailed, worse quants shifted up), so `kldkit rank` has something to
// rank without any logits.
//
//   token_files DIR QUANTS TOKENS [N_CTX]   (N_CTX 512: 255 rows a chunk)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kldkit/token_file.hpp"

namespace {

std::vector<kldkit::TokenResult> Chunk(std::mt19937_64& rng, double scale,
                                       size_t rows) {
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double level = 0.3 * z(rng);  // chunks differ
  std::vector<kldkit::TokenResult> out(rows);
  for (kldkit::TokenResult& r : out) {
    r.nll_base = static_cast<float>(-std::log(u(rng) * 0.98 + 0.01));
    r.kld = scale * std::exp(level + 1.5 * z(rng));
    r.nll = r.nll_base + static_cast<float>(0.3 * r.kld * z(rng) + r.kld);
    r.p = std::exp(-r.nll);
    r.p_base = std::exp(-r.nll_base);
    r.dp = r.p - r.p_base;
    r.flags = u(rng) < 0.9 + 0.09 * std::exp(-50 * scale)
                  ? kldkit::kSameTop
                  : 0u;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: token_files DIR QUANTS TOKENS [N_CTX]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int quants = std::atoi(argv[2]);
  const uint64_t tokens = std::strtoull(argv[3], nullptr, 10);
  const uint32_t n_ctx = argc > 4 ? std::atoi(argv[4]) : 512;
  kldkit::TokenFileInfo info;
  info.n_ctx = n_ctx;
  const uint64_t per_chunk = n_ctx - 1 - n_ctx / 2;
  info.n_chunk = static_cast<uint32_t>(tokens / per_chunk);
  info.rows = info.n_chunk * per_chunk;
  info.n_vocab = 248320;
  info.base_floor = 16;
  info.identity = 0x6b6c646b6974ull;
  info.chunks = {0, info.n_chunk};
  for (int q = 0; q < quants; ++q) {
    std::mt19937_64 rng(q + 1);
    info.model = "q" + std::to_string(q) + ".gguf";
    info.model_bytes = static_cast<uint64_t>((9 - q) * 1.0e9);
    info.bits_per_weight = 8.5 - 0.6 * q;
    kldkit::TokenFileWriter w(dir + "/q" + std::to_string(q) + ".kldt", 0);
    const double scale = 2e-3 * std::exp(0.45 * q);
    for (uint32_t c = 0; c < info.n_chunk; ++c) {
      w.Add(Chunk(rng, scale, per_chunk));
    }
    w.Close(info);
  }
  return 0;
}
