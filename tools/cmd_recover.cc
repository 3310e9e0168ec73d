// kldkit recover IN OUT: saves what an interrupted write left behind.
#include <cstdio>
#include <memory>
#include <string>

#include "kldkit/container.hpp"
#include "kldkit/convert.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace kldkit {
namespace cli {

struct RecoverOptions {
  std::string in;
  std::string out;
};

int RunRecover(const RecoverOptions& o) {
  const FileKind kind = DetectFileKind(o.in);
  WithFile(o.in, [&] {
    if (kind == FileKind::kContainer) {
      const uint64_t rows = Recover(o.in, o.out);
      std::printf("%s: recovered %llu rows into %s\n", o.in.c_str(),
                  static_cast<unsigned long long>(rows), o.out.c_str());
    } else if (kind == FileKind::kLlama) {
      const SalvageResult r = SalvageLlamaFile(o.in, o.out);
      std::printf(
          "%s: kept %d complete chunks (%llu rows) in %s; dropped "
          "%llu rows of a partial chunk\n",
          o.in.c_str(), r.header.n_chunk,
          static_cast<unsigned long long>(r.rows_kept), o.out.c_str(),
          static_cast<unsigned long long>(r.rows_dropped));
    } else {
      throw Error(KLDKIT_ERROR_FORMAT,
                  "neither a .kldz container nor a llama.cpp file");
    }
  });
  return 0;
}

void SetupRecover(CLI::App& app) {
  auto o = std::make_shared<RecoverOptions>();
  CLI::App* cmd = app.add_subcommand(
      "recover",
      "Save an interrupted file: from a .kldz (e.g. OUT.kldz.tmp left by a "
      "killed writer) every complete, checksum-valid block; from a truncated "
      "llama.cpp file (an interrupted llama-perplexity run) every complete "
      "chunk. Writes a valid file of the same kind to OUT.");
  cmd->add_option("IN", o->in, "interrupted file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("OUT", o->out, "new, complete file")->required();
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("recover", [o] { return RunRecover(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
