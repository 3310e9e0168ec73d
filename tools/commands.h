// The kldkit subcommands: each file tools/cmd_<name>.cc binds its options to
// a shared options struct and sets the callback that runs it.
#ifndef KLDKIT_TOOLS_COMMANDS_H_
#define KLDKIT_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace kldkit {
namespace cli {

void SetupCompare(CLI::App& app);
void SetupConvert(CLI::App& app);
void SetupInfo(CLI::App& app);
void SetupVerify(CLI::App& app);
void SetupRecover(CLI::App& app);
void SetupRank(CLI::App& app);
void SetupDemo(CLI::App& app);
void SetupMerge(CLI::App& app);
void SetupConcat(CLI::App& app);

// Runs `body` like RunGuarded and throws CLI::RuntimeError(code) on a
// non-zero code, so a CLI11 callback ends the program with that status
// (CLI11 prints nothing more for a RuntimeError).
void RunCommand(const std::string& name, const std::function<int()>& body);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_COMMANDS_H_
