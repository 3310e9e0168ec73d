// kldkit convert IN OUT: llama.cpp file <-> .kldz container, and float
// logits (.npy) -> base file. IN's kind comes from its magic, OUT's from its
// extension (.kldz: container, anything else: llama.cpp file).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kldkit.h"
#include "kldkit/container.hpp"
#include "kldkit/convert.hpp"
#include "kldkit/error.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/common_options.h"
#include "tools/progress.h"

namespace kldkit {
namespace cli {

struct ConvertCmdOptions {
  std::string in;
  std::string out;
  unsigned threads = 1;
  int level = 1;
  std::vector<std::string> meta;
  std::string tokens;
  uint32_t ctx = 0;
  float floor = 16.0f;
  std::string keep = "all";
  bool strict = false;
  bool quiet = false;
  std::string chunk_range;  // A:B: write the shard of those chunks
};

namespace {

std::map<std::string, std::string> ParseMeta(const ConvertCmdOptions& o) {
  std::map<std::string, std::string> meta;
  for (const std::string& kv : o.meta) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "--meta '" + kv + "' is not KEY=VALUE");
    }
    meta[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (meta.count("tool") == 0) {
    meta["tool"] = std::string("kldkit ") + kldkit_version_string();
  }
  return meta;
}

// A .kldz input decodes on as many threads as OUT encodes with (the
// cursor's own limit is lower than the writer's).
unsigned DecodeThreads(const ConvertCmdOptions& o) {
  return std::min(o.threads, ContainerReader::kMaxCursorThreads);
}

ContainerOptions ContainerOptionsOf(const ConvertCmdOptions& o) {
  ContainerOptions c;
  c.level = o.level;
  c.threads = o.threads;
  c.keep = ParseKeepProfile(o.keep.c_str());
  return c;
}

// .kldz -> .kldz: re-encode the rows (new level, metadata added).
uint64_t Recompress(const ConvertCmdOptions& o) {
  Progress progress("convert", ContainerReader(o.in).RowCount(), o.quiet);
  uint64_t shown = 0;
  return RecompressContainer(o.in, o.out, ContainerOptionsOf(o), ParseMeta(o),
                             DecodeThreads(o), [&](uint64_t rows) {
                               progress.Advance(rows - shown);
                               shown = rows;
                             });
}

uint64_t FromNpy(const ConvertCmdOptions& o) {
  if (o.tokens.empty()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "converting .npy logits needs --tokens (an int32 .npy or the "
                "llama.cpp/.kldz file of the same evaluation)");
  }
  ConvertOptions c;
  c.n_ctx = o.ctx;
  c.quantize.floor = o.floor;
  c.quantize.strict = o.strict;
  std::string tokens = o.tokens;
  if (DetectFileKind(o.tokens) == FileKind::kContainer) {
    throw Error(KLDKIT_ERROR_UNSUPPORTED,
                o.tokens +
                    ": give the tokens as a llama.cpp file or an "
                    "int32 .npy (a .kldz source is not supported by "
                    "ConvertLogitsFile)");
  }
  c.writer.container = ContainerOptionsOf(o);
  c.writer.metadata = ParseMeta(o);
  return ConvertLogitsFile(o.in, tokens, o.out, c).rows;  // .kldz: directly
}

// --chunk-range A:B: the .kldz shard of chunks [A, B) of a llama.cpp or
// .kldz IN (WriteShard), parsed as compare's --chunk-range.
uint64_t Shard(const ConvertCmdOptions& o, FileKind in_kind) {
  if (!HasKldzExtension(o.out) ||
      (in_kind != FileKind::kLlama && in_kind != FileKind::kContainer)) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--chunk-range writes a .kldz shard of a llama.cpp or .kldz "
                "IN: give OUT a .kldz name");
  }
  const ChunkRange range = ParseChunkRange(o.chunk_range);
  return WriteShard(o.in, o.out, range.begin, range.end,
                    ContainerOptionsOf(o), ParseMeta(o), DecodeThreads(o));
}

}  // namespace

int RunConvert(const ConvertCmdOptions& o) {
  const FileKind in_kind = DetectFileKind(o.in);
  const bool to_kldz = HasKldzExtension(o.out);
  if (ParseKeepProfile(o.keep.c_str()) != KeepProfile::kAll && !to_kldz) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--keep " + o.keep + " writes a .kldz: give OUT a .kldz name");
  }
  uint64_t rows = 0;
  WithFile(o.in, [&] {
    if (!o.chunk_range.empty()) {
      rows = Shard(o, in_kind);
      return;
    }
    switch (in_kind) {
      case FileKind::kLlama:
        if (!to_kldz) {
          throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                      "already a llama.cpp file: give OUT a .kldz name");
        }
        rows =
            ImportLlamaFile(o.in, o.out, ContainerOptionsOf(o), ParseMeta(o));
        break;
      case FileKind::kContainer:
        rows = to_kldz ? Recompress(o)
                       : ExportLlamaFile(o.in, o.out, DecodeThreads(o));
        if (!to_kldz && ContainerReader(o.in).Keep() == KeepProfile::kKld) {
          std::fprintf(stderr,
                       "kldkit convert: warning: %s was written with --keep "
                       "kld: %s holds only the codes llama.cpp's statistics "
                       "read; use it only as a base in llama.cpp mode\n",
                       o.in.c_str(), o.out.c_str());
        }
        break;
      case FileKind::kNpy:
        rows = FromNpy(o);
        break;
      default:
        throw Error(KLDKIT_ERROR_FORMAT,
                    "not a llama.cpp file, .kldz container or .npy array");
    }
  });
  if (!o.quiet) {
    const double in_size = static_cast<double>(FileSize(o.in));
    const double out_size = static_cast<double>(FileSize(o.out));
    std::fprintf(stderr, "kldkit convert: %llu rows, %s -> %s (%s)",
                 static_cast<unsigned long long>(rows),
                 HumanBytes(in_size).c_str(), HumanBytes(out_size).c_str(),
                 to_kldz ? "container" : "llama.cpp file");
    if (to_kldz != (in_kind == FileKind::kContainer) && in_size > 0 &&
        out_size > 0) {
      std::fprintf(stderr, ", compression ratio %.2f",
                   to_kldz ? in_size / out_size : out_size / in_size);
    }
    std::fprintf(stderr, "\n");
  }
  return 0;
}

void SetupConvert(CLI::App& app) {
  auto o = std::make_shared<ConvertCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert IN to OUT. IN (detected from its magic): a llama.cpp _logits_ "
      "file, a .kldz container, or float logits (.npy, [rows, n_vocab], with "
      "--tokens). OUT: a .kldz container if its name ends in .kldz, else a "
      "llama.cpp file. logits -> kldz -> logits gives back identical bytes.");
  cmd->add_option("IN", o->in, "input file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("OUT", o->out, "output file (.kldz or llama.cpp)")
      ->required();
  cmd->add_option("-t,--threads", o->threads,
                  "threads compressing OUT and decompressing a .kldz IN "
                  "(decoding uses at most 64; the bytes do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--level", o->level, "zstd level of the container")
      ->check(CLI::Range(-7, 19))
      ->capture_default_str();
  cmd->add_option("--meta", o->meta,
                  "KEY=VALUE metadata stored in the container (repeatable), "
                  "e.g. --meta model=Qwen3.5-9B --meta quant=F16");
  cmd->add_option("--tokens", o->tokens,
                  ".npy input: token ids (int32 .npy or a llama.cpp file of "
                  "the same evaluation)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ctx", o->ctx, ".npy input: context length for 1-D tokens")
      ->check(CLI::Range(3, 1 << 30));
  cmd->add_option("--floor", o->floor,
                  ".npy input: nats kept below each row's maximum (llama.cpp "
                  "16, ik_llama.cpp 24)")
      ->check(CLI::Range(1.0f, 1000.0f))
      ->capture_default_str();
  cmd->add_option("--keep", o->keep,
                  "what a .kldz OUT keeps: all (lossless) or kld (only the "
                  "codes llama.cpp's statistics read: reports from it as a "
                  "base are bit-identical, tail mode and use as a model are "
                  "refused; docs/floors.md)")
      ->check(CLI::IsMember({"all", "kld"}))
      ->capture_default_str();
  cmd->add_option("--chunk-range", o->chunk_range,
                  "write only chunks [A, B) (A:B, from 0; B empty: to the "
                  "last) of a llama.cpp or .kldz IN as a .kldz shard, which "
                  "`kldkit concat` joins with the other ranges' shards");
  cmd->add_flag("--strict", o->strict,
                ".npy input: libm exp as llama.cpp, rows byte-identical to "
                "llama.cpp's file");
  cmd->add_flag("-q,--quiet", o->quiet, "nothing on stderr but errors");
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("convert", [o] { return RunConvert(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
