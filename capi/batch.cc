// C ABI: kldkit_compare_batch, an adapter over kldkit::CompareBatch (the
// one batch engine: its block size, progress, cancel and per-token results),
// so the bytes are identical to the C++ call.
#include <algorithm>
#include <string>
#include <vector>

#include "capi/accumulator.h"
#include "capi/buffer.h"
#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/batch.hpp"

namespace kldkit {
namespace capi {
namespace {

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
    out.threads = ReadCompareThreads(in->threads, fn);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, mode)) {
    out.compare.mode = ReadMode(in->mode, fn);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, progress)) {
    out.progress = in->progress;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_batch_options, progress_user_data)) {
    out.user_data = in->progress_user_data;
  }
  return out;
}

// kldkit::CompareBatch with the C options: progress through the C
// callback, per-token results converted into the caller's strided array.
// Messages name the C function instead of CompareBatch.
void Run(const RowBatch& base, const RowBatch& model,
         gsl::span<const int32_t> targets, const BatchSettings& settings,
         kldkit_token_result* results, Accumulator& accumulator,
         const char* fn) {
  const size_t stride =
      results != nullptr ? TokenResultStride(results, fn) : 0;  // checked first
  BatchOptions options;
  options.threads = settings.threads;
  options.compare = settings.compare;
  std::vector<TokenResult> rows(results != nullptr ? targets.size() : 0);
  options.results = rows;
  if (settings.progress != nullptr) {
    options.progress = [&settings](uint64_t done, uint64_t total) {
      return settings.progress(settings.user_data, done, total) != 0;
    };
  }
  try {
    CompareBatch(base, model, targets, accumulator, options);
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string prefix = "CompareBatch: ";
    detail::Throw(e.Status(), std::string(fn) + ": " +
                                  (what.rfind(prefix, 0) == 0
                                       ? what.substr(prefix.size())
                                       : what));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    ToC(rows[i], stride,
        reinterpret_cast<kldkit_token_result*>(
            reinterpret_cast<char*>(results) + i * stride));
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
    const kldkit::capi::BatchSettings settings =
        kldkit::capi::ReadBatchOptions(options, fn);
    const kldkit::RowBatch b = kldkit::capi::ToBatch(base, fn, "base");
    const kldkit::RowBatch m = kldkit::capi::ToBatch(model, fn, "model");
    Check(base->n_vocab == model->n_vocab, fn,
          "base and model differ in n_vocab");
    Check(n_targets == 0 || targets != nullptr, fn, "targets is NULL");
    if (results_out != nullptr) {
      Check(results_len == n_targets, fn,
            "results_len must equal n_targets");
    } else {
      Check(results_len == 0, fn, "results_out is NULL but results_len "
                                  "is not 0");
    }
    kldkit::capi::Run(b, m, gsl::make_span(targets, n_targets), settings,
                      n_targets > 0 ? results_out : nullptr, a.acc, fn);
  });
}

}  // extern "C"
