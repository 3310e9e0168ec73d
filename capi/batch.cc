// C ABI: kldkit_compare_batch. The same fixed-order block reduction as
// kldkit::CompareBatch (16-row blocks, each folded into its own accumulator,
// merged in block order into one total, then into the caller's), so the
// bytes are identical to the C++ call; run here group by group so that a
// progress callback can report and cancel between groups, and so that
// per-token results can be exported.
#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "capi/accumulator.h"
#include "capi/buffer.h"
#include "capi/guard.h"
#include "kldkit.h"
#include "kldkit/batch.hpp"

namespace kldkit {
namespace capi {
namespace {

constexpr size_t kBlockRows = 16;  // kldkit::BatchOptions' default

struct BatchSettings {
  size_t threads = 1;
  CompareOptions compare;
  kldkit_progress_fn progress = nullptr;
  void* user_data = nullptr;
};

BatchSettings ReadBatchOptions(const kldkit_batch_options* in,
                               const char* fn) {
  CheckOptionsSize(in, fn);
  BatchSettings out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, threads)) {
    Check(in->threads >= 1 && in->threads <= 1024, fn,
          "threads must lie in [1, 1024]");
    out.threads = in->threads;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, mode)) {
    Check(in->mode <= KLDKIT_COMPARE_EXACT, fn, "unknown compare mode");
    out.compare.mode = static_cast<CompareMode>(in->mode);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, progress)) {
    out.progress = in->progress;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, progress_user_data)) {
    out.user_data = in->progress_user_data;
  }
  return out;
}

RowBatch ToBatch(const kldkit_row_batch* b, const char* fn, const char* name) {
  if (b == nullptr) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " is NULL");
  }
  if (b->type > KLDKIT_ROW_LLAMA_U16) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " has an unknown row type");
  }
  try {
    return RowBatch::Strided(b->data, b->n_rows, b->n_vocab, b->stride_bytes,
                             static_cast<RowType>(b->type));
  } catch (const Error& e) {
    detail::Throw(e.Status(), std::string(fn) + ": " + name + ": " + e.what());
  }
}

// What one call shares between its threads.
struct Job {
  RowBatch base;
  RowBatch model;
  const int32_t* targets = nullptr;
  size_t n = 0;
  BatchSettings settings;
  AccumulatorOptions acc_options;
  char* results = nullptr;  // NULL or n elements of `stride` bytes
  size_t stride = 0;
};

Accumulator FoldBlock(const Job& job, size_t k) {
  Accumulator part(job.acc_options);
  const size_t end = std::min((k + 1) * kBlockRows, job.n);
  for (size_t i = k * kBlockRows; i < end; ++i) {
    const TokenResult r = CompareRow(job.base.Row(i), job.model.Row(i),
                                     job.targets[i], job.settings.compare);
    if (job.results != nullptr) {
      ToC(r, job.stride,
          reinterpret_cast<kldkit_token_result*>(job.results + i * job.stride));
    }
    part.Add(r);
  }
  return part;
}

// Folds blocks [first, last) on the job's threads; parts[k - first] gets
// block k. Rethrows the first failure after every thread has stopped.
void FoldGroup(const Job& job, size_t first, size_t last,
               std::vector<Accumulator>& parts) {
  std::atomic<size_t> next{first};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::atomic_flag error_set = ATOMIC_FLAG_INIT;
  auto work = [&] {
    try {
      for (size_t k = next++; k < last && !failed; k = next++) {
        parts[k - first] = FoldBlock(job, k);
      }
    } catch (...) {
      if (!error_set.test_and_set()) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  const size_t n_threads = std::min(job.settings.threads, last - first);
  for (size_t t = 1; t < n_threads; ++t) {
    try {
      threads.emplace_back(work);
    } catch (...) {  // no more threads: the others do the work
      break;
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

void Run(const Job& job, Accumulator& accumulator) {
  const size_t n_blocks = (job.n + kBlockRows - 1) / kBlockRows;
  // Groups of 16 blocks per thread: progress every few thousand rows.
  const size_t group = 16 * job.settings.threads;
  Accumulator total(job.acc_options);
  for (size_t first = 0; first < n_blocks; first += group) {
    const size_t last = std::min(first + group, n_blocks);
    std::vector<Accumulator> parts(last - first,
                                   Accumulator(job.acc_options));
    FoldGroup(job, first, last, parts);
    for (const Accumulator& part : parts) total.Merge(part);
    const uint64_t done = std::min(last * kBlockRows, job.n);
    if (job.settings.progress != nullptr &&
        job.settings.progress(job.settings.user_data, done, job.n) != 0) {
      detail::Throw(KLDKIT_ERROR_CANCELLED,
                    "kldkit_compare_batch: cancelled by the progress "
                    "callback after " + std::to_string(done) + " rows");
    }
  }
  accumulator.Merge(total);
}

void CheckTargets(const Job& job, const char* fn) {
  if (job.base.Size() != job.n || job.model.Size() != job.n) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  std::string(fn) + ": base rows, model rows and targets "
                  "differ in count (" + std::to_string(job.base.Size()) +
                      ", " + std::to_string(job.model.Size()) + ", " +
                      std::to_string(job.n) + ")");
  }
  Check(job.n == 0 || job.targets != nullptr, fn, "targets is NULL");
  for (size_t i = 0; i < job.n; ++i) {
    if (job.targets[i] < 0 ||
        static_cast<size_t>(job.targets[i]) >= job.base.Row(i).n_vocab) {
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                    std::string(fn) + ": target " +
                        std::to_string(job.targets[i]) + " of row " +
                        std::to_string(i) + " is out of range");
    }
  }
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_batch_options_init(kldkit_batch_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_batch_options_init", options,
      kldkit_batch_options KLDKIT_BATCH_OPTIONS_INIT);
}

kldkit_status kldkit_compare_batch(kldkit_accumulator* acc,
                                   kldkit_token_result* results_out,
                                   size_t results_len,
                                   const kldkit_row_batch* base,
                                   const kldkit_row_batch* model,
                                   const int32_t* targets, size_t n_targets,
                                   const kldkit_batch_options* options) {
  static const char* const fn = "kldkit_compare_batch";
  return Guard(fn, [&] {
    kldkit_accumulator& a = kldkit::capi::Acc(acc, fn);
    kldkit::capi::Job job;
    job.settings = kldkit::capi::ReadBatchOptions(options, fn);
    job.base = kldkit::capi::ToBatch(base, fn, "base");
    job.model = kldkit::capi::ToBatch(model, fn, "model");
    Check(base->n_vocab == model->n_vocab, fn,
          "base and model differ in n_vocab");
    job.targets = targets;
    job.n = n_targets;
    kldkit::capi::CheckTargets(job, fn);
    if (results_out != nullptr) {
      Check(results_len == n_targets, fn,
            "results_len must equal n_targets");
      if (n_targets > 0) {
        job.stride = kldkit::capi::TokenResultStride(results_out, fn);
        job.results = reinterpret_cast<char*>(results_out);
      }
    } else {
      Check(results_len == 0, fn, "results_out is NULL but results_len "
                                  "is not 0");
    }
    job.acc_options = a.acc.Options();
    kldkit::capi::Run(job, a.acc);
  });
}

}  // extern "C"
