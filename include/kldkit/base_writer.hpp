// Writing a base file from what the full-precision run produces: float
// logits quantized as llama.cpp does (strict: its exact bytes), or rows
// already quantized, into a .kldz container or a llama.cpp file chosen by
// the path's extension. Streaming: memory is a few blocks, whatever the
// file size; no temporary llama.cpp file. Since 0.2.
#ifndef KLDKIT_BASE_WRITER_HPP_
#define KLDKIT_BASE_WRITER_HPP_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <gsl/span>

#include "kldkit/batch.hpp"
#include "kldkit/container.hpp"
#include "kldkit/kernels.hpp"

namespace kldkit {

struct BaseWriterOptions {
  QuantizeOptions quantize;    // how float rows are quantized; a .kldz
                               // records quantize.floor as its floor
  ContainerOptions container;  // a .kldz's level, threads, block size and
                               // profile (its floor field is not used)
  std::map<std::string, std::string> metadata;  // stored in a .kldz
  // Close() accepts fewer rows than the header's chunks hold (a run cut
  // short on purpose). A .kldz only: a llama.cpp file must be complete.
  bool allow_partial = false;
  size_t threads = 1;  // quantizing AppendLogitsBatch's rows, 1..1024
  // Since 0.2, a .kldz only: write chunks [first_chunk, end_chunk) (end 0:
  // to the last) of the run the tokens describe, as a shard (docs/FORMAT.md
  // 1.2; a normal file when that is every chunk). Rows start at row 0 of
  // chunk first_chunk; ExpectedRows() counts the range's.
  bool shard = false;
  uint32_t first_chunk = 0;
  uint32_t end_chunk = 0;
};

// What appending a float row gives back: the numbers llama.cpp's base run
// prints its perplexity from, without a second pass over the logits.
struct AppendedRow {
  double log_sum_exp = 0;  // log(sum_i exp(x_i))
  float nll = 0;           // -log p(target token), as llama.cpp computes it
};

// Not thread-safe: one writer, one thread (AppendLogitsBatch spreads its
// own work).
class BaseWriter {
 public:
  // `path` ending in ".kldz": a container, else a llama.cpp file; written as
  // path.tmp, renamed by Close(). tokens: n_chunk * n_ctx ids in
  // 0..n_vocab-1 (n_chunk = tokens.size() / n_ctx). Throws
  // INVALID_ARGUMENT (header, tokens, options), IO.
  BaseWriter(const std::string& path, uint32_t n_ctx, int32_t n_vocab,
             gsl::span<const int32_t> tokens,
             const BaseWriterOptions& options = {});
  ~BaseWriter();  // without Close(): nothing is left at path
  BaseWriter(const BaseWriter&) = delete;
  BaseWriter& operator=(const BaseWriter&) = delete;

  // A row already quantized (LlamaRowWords(n_vocab) words). Throws
  // INVALID_ARGUMENT, MISMATCH (past the last row), IO, CLOSED.
  void AppendRow(gsl::span<const uint16_t> row);
  // Quantizes float logits (n_vocab of them) and appends the row. NaN or
  // +inf: NON_FINITE, and nothing is appended. Throws as AppendRow too.
  AppendedRow AppendLogits(RowView logits);
  // With other quantize options (strict or not); their floor must be the
  // writer's (INVALID_ARGUMENT otherwise): a file has one floor.
  AppendedRow AppendLogits(RowView logits, const QuantizeOptions& quantize);
  // Rows of float logits quantized on `threads` threads, then appended in
  // order, all or nothing (a bad row: NON_FINITE naming it, none appended).
  // `results`: empty, or one element per row.
  void AppendLogitsBatch(const RowBatch& logits,
                         gsl::span<AppendedRow> results = {});
  void AppendLogitsBatch(const RowBatch& logits, const QuantizeOptions& quantize,
                         gsl::span<AppendedRow> results = {});
  // Completes the file: MISMATCH if rows are missing (unless
  // allow_partial); on any failure nothing is left at path. Afterwards the
  // writer accepts nothing (CLOSED).
  void Close();

  uint64_t RowCount() const;
  uint64_t ExpectedRows() const;  // n_chunk * rows per chunk
  float Floor() const;            // options.quantize.floor

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kldkit

#endif  // KLDKIT_BASE_WRITER_HPP_
