// Options several subcommands share, and their validators.
#ifndef KLDKIT_TOOLS_COMMON_OPTIONS_H_
#define KLDKIT_TOOLS_COMMON_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

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

// The memory bound text for --help.
std::string MemoryNote();

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_COMMON_OPTIONS_H_
