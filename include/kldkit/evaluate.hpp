// The evaluation engine: a base file compared with one or more model files
// end to end, as `llama-perplexity --kl-divergence` does, in bounded memory.
// Every front end (the kldkit CLI, the C API's kldkit_compare_files, Python's
// compare_files) calls it. Since 0.2.
//
// Row files are opened by their magic (file_kind.hpp): llama.cpp `_logits_`
// files and .kldz containers hold llama.cpp rows and the token layout;
// float32/float16 .npy arrays [rows, n_vocab] hold float logits in llama.cpp
// file order (a float base is quantized as llama.cpp stores it, strict).
// Rows are read in batches that never cross a chunk, the next batch read
// while the current one is compared on `threads` threads by CompareBatch;
// per-token results come from that same pass.
#ifndef KLDKIT_EVALUATE_HPP_
#define KLDKIT_EVALUATE_HPP_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/keep.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"
#include "kldkit/sparse_rows.hpp"

namespace kldkit {

// Chunk layout of an evaluation: n_chunk chunks of n_ctx tokens; row i of
// chunk c predicts tokens[c * n_ctx + n_ctx / 2 + i + 1].
struct TokenLayout {
  uint32_t n_ctx = 0;
  uint32_t n_chunk = 0;
  std::vector<int32_t> tokens;  // n_ctx * n_chunk ids

  uint64_t RowsPerChunk() const;
  uint64_t Rows() const { return RowsPerChunk() * n_chunk; }
  // Throws INVALID_ARGUMENT past the last row.
  int32_t Target(uint64_t row) const;
};

// Token ids from an int32 .npy (1-D: needs n_ctx; 2-D: [n_chunk, n_ctx]) or
// a llama.cpp / .kldz file (its tokens; n_ctx 0 or equal to its own).
// Throws MISMATCH, INVALID_ARGUMENT, FORMAT and what the readers throw.
TokenLayout LoadTokenLayout(const std::string& path, uint32_t n_ctx = 0);

// Rows of a source in place (since 0.2): row i of a batch at
// data + i * stride_bytes, of the given type; data null when not mapped.
struct MappedRows {
  const void* data = nullptr;
  size_t stride_bytes = 0;
  RowType type = RowType::kF32;
};

// Rows read in increasing order. Not thread-safe: one caller at a time.
class RowSource {
 public:
  virtual ~RowSource() = default;

  virtual std::string Path() const = 0;
  virtual size_t NVocab() const = 0;
  virtual uint64_t Rows() const = 0;
  // Float logits (f32, f16 widened) or llama.cpp uint16 rows.
  virtual bool IsFloat() const = 0;
  // The layout stored with the rows (llama.cpp files, containers), or null.
  virtual const TokenLayout* StoredLayout() const { return nullptr; }
  // What the stored rows keep (a .kldz may hold the kKld profile).
  virtual KeepProfile Keep() const { return KeepProfile::kAll; }
  // The floor of the first `max_rows` stored rows; rows 0 for float rows.
  virtual RowFloor ScanFloor(uint64_t /*max_rows*/) const { return {}; }

  // Rows [first, first + count): count * NVocab() floats (float sources)
  // or count * LlamaRowWords(NVocab()) words (the others). Throws
  // INVALID_ARGUMENT for the other kind; errors name the file.
  virtual void ReadF32(uint64_t first, size_t count, float* out);
  virtual void ReadU16(uint64_t first, size_t count, uint16_t* out);
  // Since 0.2: appends rows [first, first + count) to *out as sparse rows
  // and returns true, or returns false, appending nothing, where the
  // source has no sparse form (the default; llama.cpp files). *out must
  // have NVocab() (the caller Resets it between batches). A .kldz decodes
  // straight into sparse rows, skipping the dense ones, on its own cursor:
  // ReadU16 and ReadSparse each read on from where they were. The rows are
  // ReadU16's without an odd vocabulary's padding word. Throws
  // INVALID_ARGUMENT (out null or of another vocabulary) and what ReadU16
  // throws; *out may then hold some of the rows.
  virtual bool ReadSparse(uint64_t first, size_t count, SparseRows* out);
  // Since 0.2: rows [first, first + count) in place where the source maps
  // its file (llama.cpp files, .npy arrays: no copy out of the page cache),
  // their pages faulted in on the calling thread; {} where it does not
  // (the default: then ReadF32/ReadU16). float16 rows come as kF16. They
  // stay valid while the source lives. Throws TRUNCATED if the file shrank.
  virtual MappedRows MapRows(uint64_t first, size_t count);
  // Since 0.2: throws TRUNCATED, naming the file, if rows handed by MapRows
  // were read after the file shrank (they then read as zeros): call it
  // after using them, before reporting anything computed from them.
  virtual void CheckMapped() const {}
};

// Opens `path` by its magic; a .kldz is decoded on `threads` threads (at
// most ContainerReader::kMaxCursorThreads). Throws FORMAT for an unknown
// kind, INVALID_ARGUMENT for an int32 or 1-D .npy, and what the readers
// throw, with the path in the message.
std::unique_ptr<RowSource> OpenRowSource(const std::string& path,
                                         size_t threads = 1);

// Chunks [begin, end) of an evaluation; end 0: through the last chunk.
// Ranges that tile [0, n_chunk) give accumulators whose merge, in any
// order, is bit for bit the whole run's (exact sums): the unit of work of
// kldkit-mpi, kldkit.dask and `kldkit compare --chunk-range`.
struct ChunkRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Part `part` of `parts` near-equal contiguous pieces of [0, n_chunk) (the
// first n_chunk % parts pieces one chunk longer); empty when parts >
// n_chunk leaves it none. How kldkit-mpi gives ranks their chunks.
ChunkRange SplitChunks(uint32_t n_chunk, uint32_t part, uint32_t parts);

// "A:B", as --chunk-range writes it and messages name a range.
std::string ToString(const ChunkRange& c);

// Bytes of row buffers per batch; two batches are held (read-ahead). Since
// 0.2 8 MiB, not 32: where rows are copied, a batch small enough to stay in
// the last-level cache is compared before it is evicted, 10-20% faster
// end to end with a .logits base (docs/engine.md "Batch size").
constexpr size_t kEvaluateBatchBytes = size_t{8} << 20;

struct EvaluateOptions {
  CompareMode mode = CompareMode::kLlamaCpp;
  AccumulatorOptions accumulator;  // of every model's accumulator
  size_t threads = 1;              // comparing (and decoding a .kldz)
  bool force = false;  // compare mismatched inputs (warning instead)
  std::string tokens_path;  // token ids when no side stores them
  uint32_t n_ctx = 0;       // with a 1-D token array
  size_t batch_bytes = kEvaluateBatchBytes;
  ChunkRange chunks;  // only these chunks' rows are read and compared
  // With parts > 1: only SplitChunks(chunks compared, part, parts), which
  // may be empty (a run of no rows); chunks must be left whole.
  uint32_t part = 0, parts = 1;

  // Called once before the first row with the rows to compare (in the
  // chunk range).
  std::function<void(uint64_t rows, const TokenLayout& layout)> on_start;
  // Called after each batch with the rows done of the total to compare;
  // true cancels (CANCELLED).
  std::function<bool(uint64_t done, uint64_t total)> on_progress;
  // Called after each complete chunk (numbered from 1 in the whole file,
  // whatever the range) with the running accumulators of the range, one
  // per model (llama.cpp's per-chunk line).
  std::function<void(uint32_t chunk, const std::vector<Accumulator>&)>
      on_chunk;
  // Called after each complete chunk with that chunk's own accumulators
  // (states to ship and fold elsewhere in chunk order: folded, they give
  // the running ones bit for bit).
  std::function<void(uint32_t chunk, const std::vector<Accumulator>&)>
      on_chunk_state;
  // Per-token results of model `model` for rows [first_row, + size), with
  // their targets, from the pass that feeds the accumulators.
  std::function<void(size_t model, uint64_t first_row,
                     gsl::span<const TokenResult> results,
                     gsl::span<const int32_t> targets,
                     const TokenLayout& layout)>
      on_tokens;
  // Things worth saying that do not stop the comparison: a forced
  // mismatch, a float base being quantized, different floors.
  std::function<void(const std::string& message)> on_warning;
};

struct Evaluation {
  std::vector<Accumulator> accumulators;  // one per model
  TokenLayout layout;
  ChunkRange chunks;   // the chunks compared, end resolved
  uint64_t rows = 0;   // rows compared
  uint64_t total_rows = 0;  // rows of every chunk (the whole evaluation)
  size_t n_vocab = 0;  // entries compared per row
  double base_floor = 0;  // nats, sampled (RowFloor); 0 for float rows
  double seconds = 0;  // wall time of the pass
};

// Compares `base` with every model, row by row. Memory: two batches of
// rows (batch_bytes each, at least one row of every source) plus the
// accumulators (exact percentiles: 8 bytes per token per model).
// Throws MISMATCH (tokens, vocabulary or rows differ, unless force; a
// target outside the vocabulary), INVALID_ARGUMENT (mode and row kinds do
// not fit; no token ids; a keep-kld file used where its dropped codes
// matter; an empty chunk range or one past the rows), CANCELLED, and what
// the readers and kernels throw.
Evaluation Evaluate(RowSource& base, const std::vector<RowSource*>& models,
                    const EvaluateOptions& options = {});

// The same from file paths, opened with OpenRowSource(path, threads).
Evaluation EvaluateFiles(const std::string& base,
                         const std::vector<std::string>& models,
                         const EvaluateOptions& options = {});

}  // namespace kldkit

#endif  // KLDKIT_EVALUATE_HPP_
