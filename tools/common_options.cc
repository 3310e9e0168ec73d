#include "tools/common_options.h"

#include <algorithm>
#include <thread>

#include "tools/cli_common.h"
#include "tools/commands.h"
#include "kldkit/evaluate.hpp"

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

size_t ResolveThreads(size_t threads) {
  if (threads != 0) return threads;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
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
