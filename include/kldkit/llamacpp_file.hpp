// llama.cpp `_logits_` base files (llama-perplexity --kl-divergence-base):
// streaming reader and writer, byte-exact, constant memory.
//
// Layout (little-endian): "_logits_", uint32 n_ctx, int32 n_vocab, int32
// n_chunk, int32 tokens[n_ctx * n_chunk], then per chunk RowsPerChunk(n_ctx)
// rows of LlamaRowWords(n_vocab) uint16 words. See
// shared/reference/llamacpp-kld.md.
#ifndef KLDKIT_LLAMACPP_FILE_HPP_
#define KLDKIT_LLAMACPP_FILE_HPP_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/error.hpp"
#include "kldkit/keep.hpp"
#include "kldkit/row.hpp"
#include "kldkit/row_sink.hpp"

namespace kldkit {

struct LlamaFileHeader {
  uint32_t n_ctx = 0;
  int32_t n_vocab = 0;
  int32_t n_chunk = 0;
};

// Scored rows per chunk: positions n_ctx/2 .. n_ctx-2.
constexpr uint64_t RowsPerChunk(uint32_t n_ctx) {
  return n_ctx < 2 ? 0 : uint64_t{n_ctx} - 1 - n_ctx / 2;
}

// Where in the token list (chunk after chunk) the token predicted by row
// `row` (file order) stands: c*n_ctx + n_ctx/2 + i + 1 for row i of chunk
// c. Since 0.2.
constexpr uint64_t LlamaTargetIndex(uint32_t n_ctx, uint64_t row) {
  return (row / RowsPerChunk(n_ctx)) * n_ctx + n_ctx / 2 +
         row % RowsPerChunk(n_ctx) + 1;
}

// The token predicted by row `row`: tokens[LlamaTargetIndex(n_ctx, row)].
// Throws INVALID_ARGUMENT if the tokens do not reach it (or n_ctx < 3).
// Since 0.2.
int32_t LlamaTargetToken(gsl::span<const int32_t> tokens, uint32_t n_ctx,
                         uint64_t row);

// Reads a llama.cpp file. Memory: the tokens (4 bytes each) plus nothing per
// row. Thread safety: ReadRow may be called concurrently (positioned reads);
// everything else is const.
class LlamaFileReader {
 public:
  // Throws FORMAT (bad magic, impossible header), IO, or TRUNCATED when the
  // file ends before its last row; the message says how many complete rows
  // it holds. With allow_truncated, opens it anyway and RowCount() gives the
  // complete rows (salvage).
  explicit LlamaFileReader(const std::string& path,
                           bool allow_truncated = false);
  ~LlamaFileReader();
  LlamaFileReader(const LlamaFileReader&) = delete;
  LlamaFileReader& operator=(const LlamaFileReader&) = delete;

  const LlamaFileHeader& Header() const;
  gsl::span<const int32_t> Tokens() const;  // n_ctx * n_chunk ids
  size_t RowWords() const;                  // LlamaRowWords(n_vocab)
  // Since 0.2: where row 0 starts in the file (rows follow every
  // RowWords() * 2 bytes), for callers that map the file.
  uint64_t DataOffset() const;
  uint64_t RowCount() const;                // complete rows readable
  uint64_t ExpectedRowCount() const;        // n_chunk * RowsPerChunk(n_ctx)

  // Token predicted by row `row` (file order): tokens[c*n_ctx + n_ctx/2 + i
  // + 1] for row i of chunk c.
  int32_t TargetToken(uint64_t row) const;

  // Copies row `row` (0 <= row < RowCount()) into `out` (RowWords() words).
  void ReadRow(uint64_t row, gsl::span<uint16_t> out) const;

  // The floor of the first `max_rows` complete rows, from their heads (8
  // bytes read per row). Since 0.2.
  RowFloor ScanFloor(uint64_t max_rows = UINT64_MAX) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes a llama.cpp file row by row. The file is written to `path`.tmp and
// renamed to `path` by Close() once every expected row is in, so an
// interrupted write never leaves a complete-looking file.
// Not thread-safe: one writer per thread.
class LlamaFileWriter : public RowSink {
 public:
  // tokens.size() must equal n_ctx * n_chunk.
  LlamaFileWriter(const std::string& path, const LlamaFileHeader& header,
                  gsl::span<const int32_t> tokens);
  ~LlamaFileWriter() override;  // without Close(): removes the temp file
  LlamaFileWriter(const LlamaFileWriter&) = delete;
  LlamaFileWriter& operator=(const LlamaFileWriter&) = delete;

  // Appends one row of RowWords() words (throws IO on a failed write).
  void AppendRow(gsl::span<const uint16_t> row) override;
  // Flushes, checks the row count (MISMATCH if rows are missing), renames.
  void Close() override;
  uint64_t RowCount() const override;  // since 0.2

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kldkit

#endif  // KLDKIT_LLAMACPP_FILE_HPP_
