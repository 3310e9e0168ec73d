// kldkit-mpi: kldkit's compare and rank commands run over MPI ranks
// (mpirun -n N kldkit-mpi compare BASE QUANT ...). Rank 0 prints exactly
// what kldkit prints; the other ranks print nothing.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "kldkit.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/mpi/evaluator.h"
#include "tools/run_evaluation.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) {
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  kldkit::cli::SetEvaluator(kldkit::mpi::Evaluate, /*per_token=*/false);
  CLI::App app(
      "kldkit-mpi: kldkit compare and rank with the chunks spread over MPI "
      "ranks (each rank reads and compares its own range with --threads "
      "threads; rank 0 gathers the exact partial states and prints what "
      "kldkit prints, byte for byte).",
      "kldkit-mpi");
  app.set_version_flag("--version", kldkit_version_string());
  app.footer(kldkit::cli::ExitCodeFooter());
  kldkit::cli::SetupCompare(app);
  kldkit::cli::SetupRank(app);
  app.require_subcommand(1);
  int code = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    code = app.exit(e);
  }
  // A failure before the ranks met (bad options, an unreadable file) leaves
  // the others waiting: end the job.
  if (code != 0 && !kldkit::mpi::Gathered()) MPI_Abort(MPI_COMM_WORLD, code);
  MPI_Finalize();
  return code;
}
