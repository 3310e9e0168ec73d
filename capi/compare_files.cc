// C ABI: kldkit_compare_files, an adapter over kldkit::Evaluate (the engine
// the CLI runs): C options and callbacks in, results merged into the
// caller's accumulators only once every model has been compared.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capi/accumulator.h"
#include "capi/buffer.h"
#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/evaluate.hpp"
#include "kldkit/token_file.hpp"

namespace kldkit {
namespace capi {
namespace {

EvaluateOptions ReadCompareFilesOptions(const kldkit_compare_files_options* in,
                                        const char* fn) {
  CheckOptionsSize(in, fn);
  EvaluateOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, mode)) {
    out.mode = ReadMode(in->mode, fn);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, threads)) {
    out.threads = ReadCompareThreads(in->threads, fn);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, force)) {
    out.force = in->force != 0;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, n_ctx)) {
    out.n_ctx = in->n_ctx;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, tokens_path) &&
      in->tokens_path != nullptr) {
    out.tokens_path = in->tokens_path;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, chunk_end)) {
    out.chunks = {in->chunk_begin, in->chunk_end};
  }
  return out;
}

// The callbacks of a struct that covers them, wrapped for the engine.
void AddCallbacks(const kldkit_compare_files_options* in,
                  EvaluateOptions* out) {
  if (in == nullptr) return;
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options,
                         progress_user_data) &&
      in->progress != nullptr) {
    out->on_progress = [in](uint64_t done, uint64_t total) {
      return in->progress(in->progress_user_data, done, total) != 0;
    };
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, chunk_user_data) &&
      in->on_chunk != nullptr) {
    out->on_chunk = [in](uint32_t chunk, const std::vector<Accumulator>& a) {
      std::vector<kldkit_report> running;
      for (const Accumulator& acc : a) {
        running.push_back(ToC(acc.MakeReport(/*with_percentiles=*/false)));
      }
      in->on_chunk(in->chunk_user_data, static_cast<int>(chunk),
                   running.data(), running.size());
    };
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, tokens_user_data) &&
      in->on_tokens != nullptr) {
    out->on_tokens = [in](size_t model, uint64_t first,
                          gsl::span<const TokenResult> results,
                          gsl::span<const int32_t> targets,
                          const TokenLayout&) {
      std::vector<kldkit_token_result> c;
      c.reserve(results.size());
      for (const TokenResult& r : results) c.push_back(ToC(r));
      in->on_tokens(in->tokens_user_data, model, first, c.data(),
                    targets.data(), c.size());
    };
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options,
                         warning_user_data) &&
      in->on_warning != nullptr) {
    out->on_warning = [in](const std::string& message) {
      in->on_warning(in->warning_user_data, message.c_str());
    };
  }
}

// The caller's accumulators, checked: none NULL or repeated, one options.
std::vector<kldkit_accumulator*> Targets(kldkit_accumulator* const* accs,
                                         size_t n, const char* fn) {
  Check(accs != nullptr, fn, "accumulators is NULL");
  std::vector<kldkit_accumulator*> out(accs, accs + n);
  std::set<kldkit_accumulator*> distinct;
  for (kldkit_accumulator* a : out) {
    Acc(a, fn);
    Check(distinct.insert(a).second, fn, "an accumulator is repeated");
    const AccumulatorOptions& o = a->acc.Options();
    const AccumulatorOptions& first = out[0]->acc.Options();
    Check(o.percentiles == first.percentiles &&
              o.sketch_relative_accuracy == first.sketch_relative_accuracy,
          fn, "the accumulators were created with different options");
  }
  return out;
}

// One saver per model the options name a token file for (null: none).
std::vector<std::unique_ptr<TokenFileSaver>> Savers(
    const kldkit_compare_files_options* in, size_t n_models,
    EvaluateOptions* out) {
  std::vector<std::unique_ptr<TokenFileSaver>> savers(n_models);
  if (in == nullptr ||
      !KLDKIT_CAPI_COVERS(in, kldkit_compare_files_options, save_tokens) ||
      in->save_tokens == nullptr) {
    return savers;
  }
  for (size_t i = 0; i < n_models; ++i) {
    if (in->save_tokens[i] != nullptr) {
      savers[i] = std::make_unique<TokenFileSaver>(in->save_tokens[i], i, out);
    }
  }
  return savers;
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_compare_files_options_init(
    kldkit_compare_files_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_compare_files_options_init", options,
      kldkit_compare_files_options KLDKIT_COMPARE_FILES_OPTIONS_INIT);
}

kldkit_status kldkit_compare_files(kldkit_accumulator* const* accumulators,
                                   const char* base, const char* const* models,
                                   size_t n_models,
                                   const kldkit_compare_files_options* options) {
  static const char* const fn = "kldkit_compare_files";
  return Guard(fn, [&] {
    Check(n_models >= 1, fn, "n_models must be at least 1");
    Check(base != nullptr && models != nullptr, fn, "base or models is NULL");
    const std::vector<kldkit_accumulator*> accs =
        kldkit::capi::Targets(accumulators, n_models, fn);
    std::vector<std::string> paths;
    for (size_t i = 0; i < n_models; ++i) {
      Check(models[i] != nullptr, fn, "a model path is NULL");
      paths.emplace_back(models[i]);
    }
    kldkit::EvaluateOptions o =
        kldkit::capi::ReadCompareFilesOptions(options, fn);
    kldkit::capi::AddCallbacks(options, &o);
    o.accumulator = accs[0]->acc.Options();
    const auto savers = kldkit::capi::Savers(options, n_models, &o);
    const kldkit::Evaluation e = kldkit::EvaluateFiles(base, paths, o);
    // Merge checks token counts first: all or nothing across the models.
    for (size_t i = 0; i < n_models; ++i) {
      kldkit::Accumulator check = accs[i]->acc;
      check.Merge(e.accumulators[i]);
    }
    for (size_t i = 0; i < n_models; ++i) {
      if (savers[i]) savers[i]->Finish(e, paths[i]);
    }
    for (size_t i = 0; i < n_models; ++i) accs[i]->acc.Merge(e.accumulators[i]);
  });
}

}  // extern "C"
