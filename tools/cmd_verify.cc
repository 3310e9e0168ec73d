// kldkit verify FILE: reads every row and checks every checksum.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/token_file.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace kldkit {
namespace cli {

struct VerifyOptions {
  std::string file;
  unsigned threads = 1;
};

namespace {

// llama.cpp files carry no checksum: check the size and that every row's
// scale and min_log_prob are finite, as a base row must be.
uint64_t VerifyLlama(const std::string& path) {
  LlamaFileReader reader(path);
  std::vector<uint16_t> row(reader.RowWords());
  for (uint64_t r = 0; r < reader.RowCount(); ++r) {
    reader.ReadRow(r, row);
    const LlamaRowHeader h = ReadLlamaRowHeader(row.data());
    if (!(h.scale >= 0 && h.scale < 1e30f) ||
        !(h.min_log_prob <= 0 && h.min_log_prob > -1e30f)) {
      throw Error(KLDKIT_ERROR_FORMAT,
                  "row " + std::to_string(r) +
                      " has an impossible scale or min_log_prob");
    }
  }
  return reader.RowCount();
}

}  // namespace

int RunVerify(const VerifyOptions& o) {
  uint64_t rows = 0;
  const FileKind kind = DetectFileKind(o.file);
  WithFile(o.file, [&] {
    switch (kind) {
      case FileKind::kContainer:
        rows = Verify(o.file, o.threads);
        break;
      case FileKind::kLlama:
        rows = VerifyLlama(o.file);
        break;
      case FileKind::kNpy:
        rows = NpyReader(o.file).Rows();
        break;
      case FileKind::kTokenResults:
        // Loading decodes every block after checking its CRC-32C.
        rows = LoadTokenFile(o.file).tokens.Rows();
        break;
      default:
        throw Error(KLDKIT_ERROR_FORMAT,
                    "not a llama.cpp file, .kldz container, .npy array or "
                    "token file");
    }
  });
  const bool checksums =
      kind == FileKind::kContainer || kind == FileKind::kTokenResults;
  std::printf("%s: OK, %llu rows (%s%s)\n", o.file.c_str(),
              static_cast<unsigned long long>(rows), FileKindName(kind),
              checksums ? ", every checksum verified" : "");
  return 0;
}

void SetupVerify(CLI::App& app) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Check FILE end to end: a .kldz's header, every block and every "
      "checksum; a llama.cpp file's size and row headers; a .npy's shape; "
      "a token file's trailer and every block, checksums included. "
      "Exit status 4 when damaged or truncated.");
  cmd->add_option("FILE", o->file, "file to check")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-t,--threads", o->threads,
                  "threads decompressing a .kldz's blocks")
      ->check(CLI::Range(1u, ContainerReader::kMaxCursorThreads))
      ->capture_default_str();
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("verify", [o] { return RunVerify(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
