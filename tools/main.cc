// kldkit: the command line. main only builds the app and registers the
// subcommands (one per tools/cmd_<name>.cc).
#include <CLI/CLI.hpp>

#include "kldkit.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app(
      "kldkit: how far a quantized LLM's next-token distributions drift from "
      "the full-precision model's (KL divergence and llama-perplexity's "
      "statistics), and compact .kldz storage for llama.cpp base files.",
      "kldkit");
  app.set_version_flag("--version", kldkit_version_string());
  app.footer(kldkit::cli::ExitCodeFooter());
  kldkit::cli::SetupCompare(app);
  kldkit::cli::SetupConvert(app);
  kldkit::cli::SetupInfo(app);
  kldkit::cli::SetupVerify(app);
  kldkit::cli::SetupRecover(app);
  kldkit::cli::SetupRank(app);
  kldkit::cli::SetupMerge(app);
  kldkit::cli::SetupConcat(app);
  kldkit::cli::SetupDemo(app);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
