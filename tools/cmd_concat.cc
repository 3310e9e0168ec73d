// kldkit concat PART... OUT: joins .kldz shards of consecutive chunk ranges
// (kldkit convert --chunk-range) into one file; ConcatShards does the work.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace kldkit {
namespace cli {

struct ConcatOptions {
  std::vector<std::string> files;  // the parts, then OUT
  bool quiet = false;
};

int RunConcat(const ConcatOptions& o) {
  if (o.files.size() < 2) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "concat wants one or more parts, then OUT");
  }
  const std::vector<std::string> parts(o.files.begin(), o.files.end() - 1);
  const std::string& out = o.files.back();
  const uint64_t rows = ConcatShards(parts, out);
  if (!o.quiet) {
    const ContainerReader joined(out);
    std::fprintf(stderr, "kldkit concat: %zu parts, %llu rows -> %s (%s)\n",
                 parts.size(), static_cast<unsigned long long>(rows),
                 out.c_str(),
                 joined.Info().shard ? "a shard" : "every chunk");
  }
  return 0;
}

void SetupConcat(CLI::App& app) {
  auto o = std::make_shared<ConcatOptions>();
  CLI::App* cmd = app.add_subcommand(
      "concat",
      "Join .kldz shards of consecutive chunk ranges of one evaluation "
      "(kldkit convert --chunk-range A:B) into OUT, byte-identical to the "
      "file converted in one piece. OUT is a normal file when the parts "
      "cover every chunk, else a shard.");
  cmd->add_option("FILES", o->files, "PART.kldz... OUT.kldz")
      ->required()
      ->expected(2, -1);
  cmd->add_flag("-q,--quiet", o->quiet, "nothing on stderr but errors");
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("concat", [o] { return RunConcat(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
