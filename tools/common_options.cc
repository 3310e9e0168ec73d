#include "tools/common_options.h"

#include <algorithm>
#include <thread>

#include "tools/cli_common.h"
#include "tools/commands.h"
#include "kldkit/evaluate.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/partial.hpp"

namespace kldkit {
namespace cli {

const std::map<std::string, CompareMode>& ModeNames() {
  static const std::map<std::string, CompareMode> kNames = {
      {"llamacpp", CompareMode::kLlamaCpp},
      {"tail", CompareMode::kTail},
      {"exact", CompareMode::kExact}};
  return kNames;
}

const std::map<std::string, PercentileMode>& PercentileNames() {
  static const std::map<std::string, PercentileMode> kNames = {
      {"exact", PercentileMode::kExact}, {"sketch", PercentileMode::kSketch}};
  return kNames;
}

CLI::Option* AddThreadsOption(CLI::App& app, size_t* threads) {
  return app
      .add_option("-t,--threads", *threads,
                  "compare threads (0: one per core); the report does not "
                  "depend on it")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
}

void AddShardOptions(CLI::App& app, ShardChoice* choice) {
  app.add_option("--chunk-range", choice->range,
                 "evaluate chunks [A, B) only (A:B, counted from 0; B empty: "
                 "to the last); the per-chunk lines keep the file's numbers");
  app.add_option("--save-state", choice->save_state,
                 "also write the accumulators to FILE (a partial state that "
                 "`kldkit merge` joins with the other ranges')");
}

ChunkRange ParseChunkRange(const std::string& text) {
  const size_t colon = text.find(':');
  const auto number = [&](const std::string& digits) {
    if (digits.find_first_not_of("0123456789") != std::string::npos ||
        digits.size() > 9 || colon == std::string::npos) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "--chunk-range wants A:B (chunk numbers), got '" + text +
                      "'");
    }
    return digits.empty() ? 0u : static_cast<uint32_t>(std::stoul(digits));
  };
  const ChunkRange c{number(text.substr(0, colon)),
                     number(colon == std::string::npos ? ""
                                                       : text.substr(colon + 1))};
  if (c.end != 0 && c.end <= c.begin) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--chunk-range " + text + " is empty");
  }
  return c;
}

void ApplyShard(const ShardChoice& choice, EvaluateOptions* options) {
  if (!choice.range.empty()) options->chunks = ParseChunkRange(choice.range);
}

void SaveShard(const ShardChoice& choice, const Evaluation& result,
               CompareMode mode, const std::vector<std::string>& models) {
  if (choice.save_state.empty()) return;
  SavePartial(choice.save_state, MakePartial(result, mode, models));
}

size_t ResolveThreads(size_t threads) {
  if (threads != 0) return threads;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

void AddMeasureOptions(CLI::App& app, MeasureChoice* choice) {
  std::string names;
  for (const MeasureDescriptor& d : MeasureTable()) {
    names += names.empty() ? d.name : std::string(", ") + d.name;
  }
  app.add_option("--measures", choice->names,
                 "measures beyond llama.cpp's, in a fourth block and the "
                 "JSON's \"measures\" (docs/measures.md): all, or some of " +
                     names +
                     ". Off by default: they cost a second pass over "
                     "both rows")
      ->delimiter(',');
  app.add_option("--top-k", choice->top_k,
                 "the K of top_k_overlap, up to 4 values in 1..32 "
                 "(default 5,10)")
      ->delimiter(',');
}

void ApplyMeasures(const MeasureChoice& choice, AccumulatorOptions* options) {
  MeasureMask mask = 0;
  for (const std::string& name : choice.names) {
    if (name == "all") {
      mask |= AllMeasures();
    } else if (const MeasureDescriptor* d = FindMeasure(name)) {
      mask |= MeasureBit(d->id);
    } else {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "--measures: no measure is called '" + name +
                      "' (kldkit compare --help lists them)");
    }
  }
  options->measures = mask;
  if (!choice.top_k.empty()) {
    if (choice.top_k.size() > kMaxTopKCount) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "--top-k: at most 4 values of K");
    }
    options->top_k = TopKList{};
    for (size_t i = 0; i < kMaxTopKCount; ++i) {
      options->top_k.k[i] = i < choice.top_k.size() ? choice.top_k[i] : 0;
      if (i < choice.top_k.size() && choice.top_k[i] == 0) {
        throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "--top-k: K must be >= 1");
      }
    }
  }
  ValidateMeasures(options->measures, options->top_k);
}

std::string MemoryNote() {
  return "Memory is bounded whatever the file size: two batches of rows of " +
         std::to_string(kEvaluateBatchBytes >> 20) +
         " MiB each, the token ids (4 bytes each), min(--threads, 64) + 1 "
         "decoded blocks per .kldz input (~4 MiB each, with their compressed "
         "streams), and per model either 8 "
         "bytes per token (--percentiles exact) or at most ~1.1 MB "
         "(--percentiles sketch, accuracy 1e-3).";
}

void RunCommand(const std::string& name, const std::function<int()>& body) {
  const int code = RunGuarded(name, body);
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace cli
}  // namespace kldkit
