// The streaming comparison behind `compare`, `rank` and `demo`: one base
// and N model sources read once, in batches of rows that never cross a
// chunk, each batch compared with kldkit::CompareBatch on --threads while
// the next batch is read. Memory: two batches of rows (the --help bound)
// plus the accumulators (exact percentiles: 8 bytes per token per model).
#ifndef KLDKIT_TOOLS_COMPARE_ENGINE_H_
#define KLDKIT_TOOLS_COMPARE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <gsl/span>
#include <string>
#include <vector>

#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"
#include "tools/row_source.h"

namespace kldkit {
namespace cli {

// Bytes of row buffers per batch; two batches are held (read-ahead).
inline constexpr size_t kBatchBytes = size_t{32} << 20;

struct EngineOptions {
  CompareMode mode = CompareMode::kLlamaCpp;
  AccumulatorOptions accumulator;
  size_t threads = 1;
  bool force = false;       // compare mismatched inputs (with a warning)
  bool quiet = false;       // no progress bar
  std::string tokens_path;  // token ids when no side stores them
  uint32_t n_ctx = 0;       // with a 1-D token array
  size_t batch_bytes = kBatchBytes;
  // Per-token results of model `model` for rows [first_row, + size), with
  // their target tokens. Costs a second compare pass when set.
  std::function<void(size_t model, uint64_t first_row,
                     gsl::span<const TokenResult> results,
                     gsl::span<const int32_t> targets, const Layout& layout)>
      on_tokens;
  // Called once before the first row with the rows to compare.
  std::function<void(uint64_t rows, const Layout& layout)> on_start;
  // Called after each complete chunk (numbered from 1) with the running
  // accumulators, one per model.
  std::function<void(uint32_t chunk, const std::vector<Accumulator>&)> on_chunk;
};

struct EngineResult {
  std::vector<Accumulator> accumulators;  // one per model
  Layout layout;
  uint64_t rows = 0;   // rows compared
  size_t n_vocab = 0;  // entries compared per row
  double seconds = 0;  // wall time of the pass
};

// Throws MISMATCH (tokens, vocabulary or rows differ, unless force),
// INVALID_ARGUMENT (mode and row kinds do not fit; no token ids), and what
// the readers and kernels throw.
EngineResult RunComparison(RowSource& base,
                           const std::vector<RowSource*>& models,
                           const EngineOptions& options);

// Runs body(i) for i in [0, n) on `threads` threads.
void ParallelFor(size_t n, size_t threads,
                 const std::function<void(size_t)>& body);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_COMPARE_ENGINE_H_
