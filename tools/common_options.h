// Options several subcommands share, and their validators.
#ifndef KLDKIT_TOOLS_COMMON_OPTIONS_H_
#define KLDKIT_TOOLS_COMMON_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "kldkit/evaluate.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/metrics.hpp"

namespace kldkit {
namespace cli {

// --mode llamacpp|tail|exact
const std::map<std::string, CompareMode>& ModeNames();
// --percentiles exact|sketch
const std::map<std::string, PercentileMode>& PercentileNames();

// Adds --threads N (0: every core; default 1) bound to *threads.
CLI::Option* AddThreadsOption(CLI::App& app, size_t* threads);
// 0 -> hardware threads.
size_t ResolveThreads(size_t threads);

// --measures NAME,... (or all) and --top-k K,...: the measures beyond
// llama.cpp's (kldkit/measures.hpp).
struct MeasureChoice {
  std::vector<std::string> names;
  std::vector<uint32_t> top_k;
};
void AddMeasureOptions(CLI::App& app, MeasureChoice* choice);
// Sets options->measures and top_k; throws INVALID_ARGUMENT naming an
// unknown measure or a bad K.
void ApplyMeasures(const MeasureChoice& choice, AccumulatorOptions* options);

// --chunk-range A:B and --save-state FILE: a shard of the evaluation whose
// accumulators `kldkit merge` folds with the others'.
struct ShardChoice {
  std::string range;
  std::string save_state;
};
void AddShardOptions(CLI::App& app, ShardChoice* choice);
// "A:B" (B empty: 0, through the last chunk); throws INVALID_ARGUMENT for a
// malformed or empty range.
ChunkRange ParseChunkRange(const std::string& text);
// Sets options->chunks from --chunk-range, when given.
void ApplyShard(const ShardChoice& choice, EvaluateOptions* options);
// Writes --save-state's file when asked (models: the model files).
void SaveShard(const ShardChoice& choice, const Evaluation& result,
               CompareMode mode, const std::vector<std::string>& models);

// The memory bound text for --help.
std::string MemoryNote();

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_COMMON_OPTIONS_H_
