// From float logits to a llama.cpp base file, and salvage of a truncated
// llama.cpp file. Rows stream through: memory is one row plus the tokens.
#ifndef KLDKIT_CONVERT_HPP_
#define KLDKIT_CONVERT_HPP_

#include <cstdint>
#include <string>

#include <gsl/span>

#include "kldkit/base_writer.hpp"
#include "kldkit/error.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"

namespace kldkit {

struct ConvertResult {
  LlamaFileHeader header;  // of the file written
  uint64_t rows = 0;       // rows written
};

// Quantizes every row of `logits` (a float32 or float16 .npy of shape
// [rows, n_vocab], rows in llama.cpp file order: chunk after chunk, scored
// positions n_ctx/2 .. n_ctx-2) with QuantizeRow and writes a llama.cpp
// file (or, since 0.2, a .kldz when out_path ends in .kldz: BaseWriter)
// with `tokens` (n_ctx * n_chunk ids, chunk after chunk) to `out_path`.
// n_chunk = tokens.size() / n_ctx; n_vocab = logits.Cols().
// Throws INVALID_ARGUMENT (n_ctx < 3, int32 logits), MISMATCH (tokens not
// a whole number of chunks, rows != n_chunk * RowsPerChunk(n_ctx), a token
// outside the logits' vocabulary), NON_FINITE (a row with NaN or +inf; the
// message names the row), IO. Nothing is left at `out_path` on failure.
ConvertResult ConvertLogits(const NpyReader& logits,
                            gsl::span<const int32_t> tokens, uint32_t n_ctx,
                            const std::string& out_path,
                            const QuantizeOptions& options = {});

struct ConvertOptions {
  // Context length of the evaluation. 0: taken from the tokens source (a
  // llama.cpp file's header, or the second dimension of a 2-D .npy).
  uint32_t n_ctx = 0;
  QuantizeOptions quantize;
  // Since 0.2: how the output is written (a .kldz's container options and
  // metadata); its `quantize` field is ignored: `quantize` above is used.
  BaseWriterOptions writer;
};

// As above from files: `tokens_path` is an int32 .npy (1-D, or 2-D
// [n_chunk, n_ctx]) or a llama.cpp file (its tokens and n_ctx; it may be
// truncated, and its n_vocab must equal the logits'), told apart by magic.
// Throws as above, plus what NpyReader and LlamaFileReader throw, and
// MISMATCH if options.n_ctx or n_vocab disagree with a llama.cpp source.
ConvertResult ConvertLogitsFile(const std::string& logits_npy,
                                const std::string& tokens_path,
                                const std::string& out_path,
                                const ConvertOptions& options = {});

struct SalvageResult {
  LlamaFileHeader header;     // of the new file: n_chunk = chunks kept
  uint64_t rows_kept = 0;     // header.n_chunk * RowsPerChunk(n_ctx)
  uint64_t rows_dropped = 0;  // complete rows of the partial last chunk
};

// Copies the complete chunks of a llama.cpp file that may be truncated
// (e.g. an interrupted llama-perplexity run) into a new, valid file at
// `out_path`. Only whole chunks can be kept: the format stores n_chunk and
// exactly RowsPerChunk(n_ctx) rows per chunk, so the complete rows of a
// partly written chunk are dropped (counted in rows_dropped), and the
// tokens of the dropped chunks are left out. A complete input is copied
// byte for byte. Throws TRUNCATED if no chunk is complete, and what
// LlamaFileReader (FORMAT, IO) and LlamaFileWriter (IO) throw.
SalvageResult SalvageLlamaFile(const std::string& in_path,
                               const std::string& out_path);

}  // namespace kldkit

#endif  // KLDKIT_CONVERT_HPP_
