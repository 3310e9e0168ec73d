// kldkit-mpi's evaluator: the CLI's evaluation spread over MPI ranks.
#ifndef KLDKIT_TOOLS_MPI_EVALUATOR_H_
#define KLDKIT_TOOLS_MPI_EVALUATOR_H_

#include <vector>

#include "kldkit/evaluate.hpp"

namespace kldkit {
namespace mpi {

// Rank r of R evaluates SplitChunks(chunks, r, R) with the caller's threads
// and sends rank 0 its partial state (and, when per-chunk lines are asked
// for, each chunk's own accumulators); rank 0 folds them in chunk order,
// replays the per-chunk callbacks and returns what one process returns.
// Other ranks never return: having sent, they finalize MPI and exit (so
// only rank 0 prints or writes files), with status 0, or their error's
// exit code. A failing rank makes rank 0 throw its error, naming the rank
// and its chunks. Refuses a chunk range and per-token output (not
// gathered across ranks).
Evaluation Evaluate(RowSource& base, const std::vector<RowSource*>& models,
                    const EvaluateOptions& options);

// Whether the ranks have met in Evaluate (after that, an error is rank 0's
// to report; before it, one rank's failure must end the job).
bool Gathered();

}  // namespace mpi
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_MPI_EVALUATOR_H_
