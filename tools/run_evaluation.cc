#include "tools/run_evaluation.h"

#include <cstdio>
#include <memory>
#include <string>

#include "tools/progress.h"

namespace kldkit {
namespace cli {

namespace {
Evaluator& CurrentEvaluator() {
  static Evaluator evaluator;
  return evaluator;
}

bool& PerToken() {
  static bool per_token = true;
  return per_token;
}

}  // namespace

void SetEvaluator(Evaluator evaluator, bool per_token) {
  CurrentEvaluator() = std::move(evaluator);
  PerToken() = per_token;
}

bool EvaluatorGivesTokens() { return PerToken(); }

Evaluation RunEvaluation(RowSource& base, const std::vector<RowSource*>& models,
                         EvaluateOptions options, bool quiet) {
  std::unique_ptr<Progress> bar;
  uint64_t shown = 0;
  const auto on_start = options.on_start;
  options.on_start = [&](uint64_t rows, const TokenLayout& layout) {
    bar = std::make_unique<Progress>("compare", rows, quiet);
    if (on_start) on_start(rows, layout);
  };
  const auto on_progress = options.on_progress;
  options.on_progress = [&](uint64_t done, uint64_t total) {
    if (bar) bar->Advance(done - shown);
    shown = done;
    return on_progress && on_progress(done, total);
  };
  if (!quiet) {
    options.on_warning = [](const std::string& message) {
      std::fprintf(stderr, "kldkit: warning: %s\n", message.c_str());
    };
  }
  const Evaluator& evaluator = CurrentEvaluator();
  Evaluation result = evaluator ? evaluator(base, models, options)
                                : Evaluate(base, models, options);
  if (bar) bar->Finish();
  return result;
}

}  // namespace cli
}  // namespace kldkit
