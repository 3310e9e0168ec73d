// CompareBatch: fixed-order block reduction over std::threads.
#include "kldkit/batch.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/common/error.h"

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

// Shared state of one call: hands out blocks in order, merges finished
// blocks in order, and keeps at most `window` finished blocks waiting.
class BlockReducer {
 public:
  BlockReducer(size_t n_blocks, size_t window, const AccumulatorOptions& o)
      : n_blocks_(n_blocks), window_(window), total_(o) {}

  // Next block to compute, or n_blocks when done or failed.
  size_t Take() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return failed_ || next_take_ >= n_blocks_ ||
             next_take_ < next_merge_ + window_;
    });
    if (failed_ || next_take_ >= n_blocks_) return n_blocks_;
    return next_take_++;
  }

  void Finish(size_t k, Accumulator&& part) {
    std::lock_guard<std::mutex> lock(mu_);
    done_.emplace(k, std::move(part));
    for (auto it = done_.find(next_merge_); it != done_.end();
         it = done_.find(next_merge_)) {
      total_.Merge(it->second);
      done_.erase(it);
      ++next_merge_;
    }
    cv_.notify_all();
  }

  void Fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = e;
    failed_ = true;
    cv_.notify_all();
  }

  std::exception_ptr Error() const { return error_; }
  const Accumulator& Total() const { return total_; }

 private:
  const size_t n_blocks_;
  const size_t window_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_take_ = 0;
  size_t next_merge_ = 0;
  bool failed_ = false;
  std::exception_ptr error_;
  std::map<size_t, Accumulator> done_;
  Accumulator total_;
};

void Work(const RowBatch& base, const RowBatch& model,
          gsl::span<const int32_t> targets, const BatchOptions& options,
          const AccumulatorOptions& acc_options, size_t n_blocks,
          BlockReducer& reducer) {
  try {
    for (size_t k = reducer.Take(); k < n_blocks; k = reducer.Take()) {
      Accumulator part(acc_options);
      const size_t begin = k * options.block_rows;
      const size_t end = std::min(begin + options.block_rows, targets.size());
      for (size_t i = begin; i < end; ++i) {
        part.Add(CompareRow(base.Row(i), model.Row(i), targets[i],
                            options.compare));
      }
      reducer.Finish(k, std::move(part));
    }
  } catch (...) {
    reducer.Fail(std::current_exception());
  }
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
                  const BatchOptions& options) {
  Validate(base, model, targets, options);
  if (targets.empty()) return;
  const size_t n_blocks =
      (targets.size() + options.block_rows - 1) / options.block_rows;
  const size_t n_threads = std::min(options.threads, n_blocks);
  // A window of 4 blocks per thread bounds the finished blocks waiting for
  // a slow predecessor, hence the memory, without idling the threads.
  BlockReducer reducer(n_blocks, 4 * n_threads, accumulator.Options());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) {
    try {
      threads.emplace_back(Work, std::cref(base), std::cref(model), targets,
                           std::cref(options),
                           std::cref(accumulator.Options()), n_blocks,
                           std::ref(reducer));
    } catch (...) {  // no more threads: fail the call, join the others
      reducer.Fail(std::current_exception());
      break;
    }
  }
  Work(base, model, targets, options, accumulator.Options(), n_blocks, reducer);
  for (std::thread& t : threads) t.join();
  if (reducer.Error()) std::rethrow_exception(reducer.Error());
  accumulator.Merge(reducer.Total());
}

}  // namespace kldkit
