// CompareBatch: fixed-order block reduction over std::threads, in groups
// of blocks so that progress can be reported and the call cancelled.
#include "kldkit/batch.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "lib/common/error.h"
#include "lib/common/parallel.h"

namespace kldkit {
namespace {

size_t ElementBytes(RowType type) { return type == RowType::kF32 ? 4 : 2; }

size_t RowBytes(RowType type, size_t n_vocab) {
  return type == RowType::kLlamaU16 ? 2 * LlamaRowWords(n_vocab)
                                    : ElementBytes(type) * n_vocab;
}

void Validate(const RowBatch& base, const RowBatch& model,
              gsl::span<const int32_t> targets, const BatchOptions& options) {
  detail::Require(options.threads >= 1 && options.threads <= 1024,
                  "CompareBatch: threads must lie in [1, 1024]");
  detail::Require(options.block_rows >= 1,
                  "CompareBatch: block_rows must be at least 1");
  detail::Require(options.results.empty() ||
                      options.results.size() == targets.size(),
                  "CompareBatch: results must be empty or hold one element "
                  "per row");
  if (base.Size() != model.Size() || base.Size() != targets.size()) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  "CompareBatch: base rows, model rows and targets differ in "
                  "count (" + std::to_string(base.Size()) + ", " +
                      std::to_string(model.Size()) + ", " +
                      std::to_string(targets.size()) + ")");
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    const size_t n_vocab = base.Row(i).n_vocab;
    if (targets[i] < 0 || static_cast<size_t>(targets[i]) >= n_vocab) {
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                    "CompareBatch: target " + std::to_string(targets[i]) +
                        " of row " + std::to_string(i) + " is out of range");
    }
  }
}

// Folds block k into its own accumulator, writing its per-token results.
Accumulator FoldBlock(const RowBatch& base, const RowBatch& model,
                      gsl::span<const int32_t> targets,
                      const BatchOptions& options,
                      const AccumulatorOptions& acc_options, size_t k) {
  Accumulator part(acc_options);
  const size_t begin = k * options.block_rows;
  const size_t end = std::min(begin + options.block_rows, targets.size());
  for (size_t i = begin; i < end; ++i) {
    const TokenResult r =
        CompareRow(base.Row(i), model.Row(i), targets[i], options.compare);
    if (!options.results.empty()) options.results[i] = r;
    part.Add(r);
  }
  return part;
}

}  // namespace

RowBatch RowBatch::Views(gsl::span<const RowView> rows) {
  RowBatch b;
  b.views_ = rows;
  b.n_rows_ = rows.size();
  return b;
}

RowBatch RowBatch::Strided(const void* data, size_t n_rows, size_t n_vocab,
                           size_t stride_bytes, RowType type) {
  detail::Require(type == RowType::kF32 || type == RowType::kF16 ||
                      type == RowType::kBF16 || type == RowType::kLlamaU16,
                  "RowBatch: unknown row type");
  detail::Require(n_rows == 0 || data != nullptr, "RowBatch: data is NULL");
  detail::Require(n_vocab >= 1, "RowBatch: n_vocab must be at least 1");
  detail::Require(stride_bytes >= RowBytes(type, n_vocab) &&
                      stride_bytes % ElementBytes(type) == 0,
                  "RowBatch: stride shorter than a row or misaligned");
  RowBatch b;
  b.data_ = static_cast<const unsigned char*>(data);
  b.n_rows_ = n_rows;
  b.n_vocab_ = n_vocab;
  b.stride_ = stride_bytes;
  b.type_ = type;
  b.strided_ = true;
  return b;
}

RowView RowBatch::Row(size_t i) const {
  if (!strided_) return views_[i];
  return RowView{data_ + i * stride_, n_vocab_, type_};
}

void CompareBatch(const RowBatch& base, const RowBatch& model,
                  gsl::span<const int32_t> targets, Accumulator& accumulator,
                  const BatchOptions& batch_options) {
  Validate(base, model, targets, batch_options);
  const AccumulatorOptions& acc_options = accumulator.Options();
  // The accumulator's measures are computed, whatever else was asked for.
  BatchOptions options = batch_options;
  if (acc_options.measures != 0) {
    options.compare.extras |= acc_options.measures;
    options.compare.top_k = acc_options.top_k;
  }
  const size_t n = targets.size();
  const size_t n_blocks = (n + options.block_rows - 1) / options.block_rows;
  // Groups of 16 blocks a thread: progress every few thousand rows, and a
  // bounded number of block accumulators alive at once.
  const size_t group = 16 * options.threads;
  Accumulator total(acc_options);
  for (size_t first = 0; first < n_blocks; first += group) {
    const size_t last = std::min(first + group, n_blocks);
    std::vector<Accumulator> parts(last - first, Accumulator(acc_options));
    detail::ParallelFor(last - first, options.threads, [&](size_t i) {
      parts[i] =
          FoldBlock(base, model, targets, options, acc_options, first + i);
    });
    for (const Accumulator& part : parts) total.Merge(part);
    const uint64_t done = std::min(last * options.block_rows, n);
    if (options.progress && options.progress(done, n)) {
      detail::Throw(KLDKIT_ERROR_CANCELLED,
                    "CompareBatch: cancelled by the progress callback after " +
                        std::to_string(done) + " rows");
    }
  }
  accumulator.Merge(total);
}

}  // namespace kldkit
