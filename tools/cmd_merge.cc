// kldkit merge STATE...: the report of chunk-range shards (--save-state of
// compare or rank, on any machines) folded in chunk order: the whole run's
// report when the ranges tile the evaluation.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/partial.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/rank_table.h"

namespace kldkit {
namespace cli {

struct MergeOptions {
  std::vector<std::string> states;
  bool json = false;
  bool partial = false;
  std::string save_state;
  bool quiet = false;
};

namespace {

// One model: compare's report; several (rank's states): each under its
// file name.
std::string Render(const PartialEvaluation& p, bool json) {
  if (p.accumulators.size() == 1) {
    const Report r = p.accumulators[0].MakeReport();
    return json ? RenderJson(r) : RenderText(r);
  }
  std::string out = json ? "[" : "";
  for (size_t m = 0; m < p.accumulators.size(); ++m) {
    const Report r = p.accumulators[m].MakeReport();
    if (json) {
      out += std::string(m ? ",\n" : "\n") + "{\"model\": " + JsonString(p.models[m]) +
             ", \"report\": " + RenderJson(r) +
             "}";
    } else {
      out += (m ? "\n" : "") + std::string("== ") + p.models[m] + "\n" +
             RenderText(r);
    }
  }
  return json ? out + "\n]\n" : out;
}

}  // namespace

int RunMerge(const MergeOptions& o) {
  const PartialEvaluation merged = MergePartialFiles(o.states);
  if (!merged.Whole() && !o.partial) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "the states cover chunks " + ToString(merged.chunks) + " of " +
                    std::to_string(merged.n_chunk) +
                    ": give the other ranges, or --partial for this part's "
                    "report");
  }
  if (!o.save_state.empty()) SavePartial(o.save_state, merged);
  std::fputs(Render(merged, o.json).c_str(), stdout);
  if (!o.quiet) {
    std::fprintf(stderr, "kldkit merge: %zu states, chunks %s of %u\n",
                 o.states.size(), ToString(merged.chunks).c_str(),
                 merged.n_chunk);
  }
  return 0;
}

void SetupMerge(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Print the report of partial states (compare/rank --chunk-range A:B "
      "--save-state FILE, run anywhere) folded in chunk order: byte for "
      "byte the report of one run when the ranges tile the evaluation. "
      "Refuses states of different evaluations, models or options, and "
      "ranges that overlap or leave a gap.");
  cmd->add_option("STATE", o->states, "partial states, in any order")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", o->json,
                "print the report as JSON (schema kldkit.report v1)");
  cmd->add_flag("--partial", o->partial,
                "report states that do not cover every chunk");
  cmd->add_option("--save-state", o->save_state,
                  "also write the merged state to FILE (merge in a tree)");
  cmd->add_flag("-q,--quiet", o->quiet, "no summary on stderr");
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("merge", [o] { return RunMerge(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
