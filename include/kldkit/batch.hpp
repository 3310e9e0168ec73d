// Batch comparison: N (base row, model row, target) triples compared with
// kldkit::CompareRow on T threads and folded into an Accumulator. The
// result does not depend on T: rows are cut into fixed-size blocks, each
// block is folded into its own accumulator, and the blocks are merged in
// block order, so a report is reproducible on any machine.
#ifndef KLDKIT_BATCH_HPP_
#define KLDKIT_BATCH_HPP_

#include <cstddef>
#include <cstdint>
#include <functional>

#include <gsl/span>

#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"
#include "kldkit/row.hpp"

namespace kldkit {

// N rows of one vocabulary: an array of RowViews, or one strided buffer.
// Non-owning: the data must outlive the call that reads it.
class RowBatch {
 public:
  RowBatch() = default;
  // `rows` is referenced, not copied.
  static RowBatch Views(gsl::span<const RowView> rows);
  // Row i starts at data + i * stride_bytes and holds n_vocab elements of
  // `type` (LlamaRowWords(n_vocab) words for kLlamaU16). Throws
  // INVALID_ARGUMENT for NULL data (with rows), n_vocab 0, a stride shorter
  // than a row or not a multiple of the element size.
  static RowBatch Strided(const void* data, size_t n_rows, size_t n_vocab,
                          size_t stride_bytes, RowType type);

  size_t Size() const { return n_rows_; }
  RowView Row(size_t i) const;

 private:
  gsl::span<const RowView> views_;
  const unsigned char* data_ = nullptr;
  size_t n_rows_ = 0;
  size_t n_vocab_ = 0;
  size_t stride_ = 0;
  RowType type_ = RowType::kF32;
  bool strided_ = false;
};

// Rows per block of CompareBatch (and of kldkit_compare_batch): part of a
// result's identity, since blocks are folded, then merged, in order.
constexpr size_t kBatchBlockRows = 16;

// Since 0.1.
struct BatchOptions {
  size_t threads = 1;      // std::threads used, 1..1024 (1: the caller's);
                           // if some cannot start, the others do the work
  size_t block_rows = kBatchBlockRows;  // rows per block
  CompareOptions compare;  // passed to CompareRow, with the accumulator's
                           // measures (and their top_k) added
  // Since 0.2: empty, or one element per row, which receives that row's
  // TokenResult (the results the accumulator folds, from the same pass).
  gsl::span<TokenResult> results;
  // Since 0.2: called on the calling thread after every group of blocks
  // (16 per thread) with the rows done and the total; returning true
  // cancels: CompareBatch throws CANCELLED, the accumulator unchanged.
  std::function<bool(uint64_t done, uint64_t total)> progress;
};

// Compares row i of `base` with row i of `model` for token targets[i] and
// folds the results into `accumulator`, all or nothing. The bytes of
// accumulator.Serialize() afterwards depend on (inputs, block_rows,
// accumulator options), never on `threads`.
// Throws MISMATCH when the three counts differ; INVALID_ARGUMENT for bad
// options (results of another size), rows CompareRow rejects, or a target
// outside [0, n_vocab); CANCELLED from `progress`.
// Thread safety: reads the rows concurrently; `accumulator` must not be
// used by another thread during the call.
void CompareBatch(const RowBatch& base, const RowBatch& model,
                  gsl::span<const int32_t> targets, Accumulator& accumulator,
                  const BatchOptions& options = {});

}  // namespace kldkit

#endif  // KLDKIT_BATCH_HPP_
