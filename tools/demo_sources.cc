#include "tools/demo_sources.h"

#include <vector>

#include "kldkit.h"
#include "kldkit/container.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/evaluate.hpp"
#include "kldkit/npy.hpp"
#include "lib/common/parallel.h"

namespace kldkit {
namespace cli {

TokenLayout DemoLayout(const LogitGenerator& gen, uint64_t rows) {
  constexpr uint64_t kRowsPerChunk = 63;  // n_ctx 128, as the 32K fixture
  TokenLayout layout;
  if (rows <= kRowsPerChunk) {
    layout.n_ctx = static_cast<uint32_t>(2 * rows + 1);
    layout.n_chunk = 1;
  } else {
    layout.n_ctx = 128;
    layout.n_chunk =
        static_cast<uint32_t>((rows + kRowsPerChunk - 1) / kRowsPerChunk);
  }
  const uint64_t n_vocab = gen.Options().n_vocab;
  layout.tokens.resize(uint64_t{layout.n_ctx} * layout.n_chunk);
  for (size_t i = 0; i < layout.tokens.size(); ++i) {
    // Context tokens are not scored: any valid id will do.
    layout.tokens[i] = static_cast<int32_t>((i * 104729 + 7919) % n_vocab);
  }
  for (uint64_t r = 0; r < layout.Rows(); ++r) {
    layout.tokens[LlamaTargetIndex(layout.n_ctx, r)] = gen.Target(r);
  }
  return layout;
}

uint64_t WriteDemoBase(const LogitGenerator& gen, const TokenLayout& layout,
                       const std::string& path, size_t threads) {
  const size_t n = gen.Options().n_vocab;
  const size_t words = LlamaRowWords(n);
  ContainerInfo info;
  info.header.n_ctx = layout.n_ctx;
  info.header.n_vocab = static_cast<int32_t>(n);
  info.header.n_chunk = static_cast<int32_t>(layout.n_chunk);
  info.tokens = layout.tokens;
  info.metadata = {
      {"model", "synthetic (kldkit::LogitGenerator)"},
      {"tool", std::string("kldkit demo ") + kldkit_version_string()}};
  ContainerOptions options;
  options.threads = static_cast<unsigned>(threads);
  ContainerWriter writer(path, info, options);
  // Generate a slab of rows in parallel, then append them in order.
  const size_t slab = 16;
  std::vector<uint16_t> rows(slab * words);
  for (uint64_t first = 0; first < layout.Rows(); first += slab) {
    const size_t count =
        static_cast<size_t>(std::min<uint64_t>(slab, layout.Rows() - first));
    detail::ParallelFor(count, threads, [&](size_t i) {
      std::vector<float> logits(n);
      gen.BaseRow(first + i, logits);
      QuantizeRow(RowView::F32(logits), {rows.data() + i * words, words});
    });
    for (size_t i = 0; i < count; ++i) {
      writer.AppendRow({rows.data() + i * words, words});
    }
  }
  writer.Close();
  return 20 + 4 * layout.tokens.size() + layout.Rows() * words * 2;
}

void WriteRowsNpy(RowSource& source, const std::string& path) {
  const size_t n = source.NVocab();
  NpyF32Writer writer(path, source.Rows(), n);
  const size_t slab = 16;
  std::vector<float> rows(slab * n);
  for (uint64_t first = 0; first < source.Rows(); first += slab) {
    const size_t count =
        static_cast<size_t>(std::min<uint64_t>(slab, source.Rows() - first));
    source.ReadF32(first, count, rows.data());
    for (size_t i = 0; i < count; ++i)
      writer.AppendRow({rows.data() + i * n, n});
  }
  writer.Close();
}

void SynthModelSource::ReadF32(uint64_t first, size_t count, float* out) {
  const size_t n = NVocab();
  detail::ParallelFor(count, threads_, [&](size_t i) {
    gen_.ModelRow(first + i, target_kld_, variant_, {out + i * n, n});
  });
}

}  // namespace cli
}  // namespace kldkit
