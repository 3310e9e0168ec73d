// The CLI's way of running the library's evaluation engine: a progress bar
// on stderr (only on a terminal) and warnings printed, unless --quiet.
#ifndef KLDKIT_TOOLS_RUN_EVALUATION_H_
#define KLDKIT_TOOLS_RUN_EVALUATION_H_

#include <functional>
#include <vector>

#include "kldkit/evaluate.hpp"

namespace kldkit {
namespace cli {

// kldkit::Evaluate (or the evaluator set below) with `options`' own
// callbacks kept and the bar and the warnings added.
Evaluation RunEvaluation(RowSource& base, const std::vector<RowSource*>& models,
                         EvaluateOptions options, bool quiet);

// What RunEvaluation runs: kldkit::Evaluate unless a front end (kldkit-mpi)
// sets another that honours the same callbacks.
using Evaluator = std::function<Evaluation(
    RowSource&, const std::vector<RowSource*>&, const EvaluateOptions&)>;
// `per_token`: whether it hands out every token's results (on_tokens);
// kldkit-mpi's does not (they stay on the ranks).
void SetEvaluator(Evaluator evaluator, bool per_token);
// Whether the evaluator RunEvaluation runs gives per-token results.
bool EvaluatorGivesTokens();

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_RUN_EVALUATION_H_
