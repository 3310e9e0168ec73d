// kldkit info FILE: header, metadata, rows, sizes and compression ratio.
#include <cstdio>
#include <memory>
#include <string>

#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace kldkit {
namespace cli {

struct InfoOptions {
  std::string file;
};

namespace {

// Bytes of the llama.cpp file holding `rows` rows of this header.
double LlamaBytes(const LlamaFileHeader& h, uint64_t rows) {
  return 20.0 + 4.0 * h.n_ctx * static_cast<double>(h.n_chunk) +
         2.0 * static_cast<double>(LlamaRowWords(h.n_vocab)) *
             static_cast<double>(rows);
}

void PrintHeader(const LlamaFileHeader& h, uint64_t rows, uint64_t expected) {
  std::printf("n_ctx:        %u\n", h.n_ctx);
  std::printf("n_vocab:      %d\n", h.n_vocab);
  std::printf("n_chunk:      %d\n", h.n_chunk);
  std::printf("tokens:       %llu\n",
              static_cast<unsigned long long>(uint64_t{h.n_ctx} * h.n_chunk));
  std::printf("rows:         %llu of %llu (%llu per chunk)%s\n",
              static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(expected),
              static_cast<unsigned long long>(RowsPerChunk(h.n_ctx)),
              rows == expected ? "" : "  INCOMPLETE");
}

void PrintFloor(const char* label, const RowFloor& f) {
  if (f.rows == 0) {
    std::printf("%s no usable row\n", label);
    return;
  }
  std::printf("%s %.6g nats (%llu of %llu rows at it%s)", label, f.nats,
              static_cast<unsigned long long>(f.at_floor),
              static_cast<unsigned long long>(f.rows),
              f.sampled ? "; sampled: the first rows only" : "");
  if (f.disagree) {
    std::printf("; ROWS DISAGREE: others clamped at %.6g", f.other);
  }
  std::printf("\n");
}

void InfoLlama(const std::string& path) {
  LlamaFileReader reader(path, /*allow_truncated=*/true);
  std::printf("kind:         %s\n", FileKindName(FileKind::kLlama));
  PrintHeader(reader.Header(), reader.RowCount(), reader.ExpectedRowCount());
  std::printf("row size:     %zu bytes\n", reader.RowWords() * 2);
  PrintFloor("floor:       ", reader.ScanFloor(kFloorSampleRows));
  std::printf("file size:    %llu bytes (%s)\n",
              static_cast<unsigned long long>(FileSize(path)),
              HumanBytes(static_cast<double>(FileSize(path))).c_str());
}

void InfoContainer(const std::string& path) {
  ContainerReader reader(path);
  std::printf("kind:         %s\n", FileKindName(FileKind::kContainer));
  const LlamaFileHeader& h = reader.Header();
  const uint64_t per_chunk = RowsPerChunk(h.n_ctx);
  uint64_t expected = uint64_t(h.n_chunk) * per_chunk;
  const ContainerInfo& info = reader.Info();
  // A shard is complete when it holds every row of the chunks it covers.
  const uint64_t chunks =
      per_chunk == 0 ? 0 : (reader.RowCount() + per_chunk - 1) / per_chunk;
  if (info.shard) expected = chunks * per_chunk;
  PrintHeader(h, reader.RowCount(), expected);
  if (info.shard) {
    std::printf("shard:        chunks %u:%llu of %d (format 1.2)\n",
                info.first_chunk,
                static_cast<unsigned long long>(info.first_chunk + chunks),
                h.n_chunk);
  }
  std::printf("blocks:       %llu\n",
              static_cast<unsigned long long>(reader.BlockCount()));
  std::printf("keep:         %s\n",
              reader.Keep() == KeepProfile::kKld
                  ? "kld (only the codes llama.cpp's statistics read; "
                    "format 1.1)"
                  : "all (lossless)");
  if (reader.RecordedFloor() > 0) {
    std::printf("floor:        %.6g nats (recorded)\n", reader.RecordedFloor());
  }
  PrintFloor("row floor:   ", reader.ScanFloor());
  const double size = static_cast<double>(FileSize(path));
  const double raw = LlamaBytes(h, reader.RowCount());
  std::printf("file size:    %.0f bytes (%s)\n", size,
              HumanBytes(size).c_str());
  std::printf("as llama.cpp: %.0f bytes (%s)\n", raw, HumanBytes(raw).c_str());
  std::printf("ratio:        %.3f (%.1f%% of the llama.cpp file)\n",
              size > 0 ? raw / size : 0.0, raw > 0 ? 100.0 * size / raw : 0.0);
  std::printf("metadata:     %zu entries\n", reader.Metadata().size());
  for (const auto& kv : reader.Metadata()) {
    std::printf("  %s = %s\n", kv.first.c_str(), kv.second.c_str());
  }
}

void InfoNpy(const std::string& path) {
  NpyReader reader(path);
  static const char* kDtypes[] = {"float32", "float16", "int32"};
  std::printf("kind:         %s\n", FileKindName(FileKind::kNpy));
  std::printf("dtype:        %s\n",
              kDtypes[static_cast<uint32_t>(reader.Dtype())]);
  std::string shape;
  for (uint64_t d : reader.Shape()) {
    shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  }
  std::printf("shape:        [%s]\n", shape.c_str());
  std::printf("file size:    %llu bytes (%s)\n",
              static_cast<unsigned long long>(FileSize(path)),
              HumanBytes(static_cast<double>(FileSize(path))).c_str());
}

}  // namespace

int RunInfo(const InfoOptions& o) {
  WithFile(o.file, [&] {
    std::printf("file:         %s\n", o.file.c_str());
    switch (DetectFileKind(o.file)) {
      case FileKind::kLlama:
        InfoLlama(o.file);
        break;
      case FileKind::kContainer:
        InfoContainer(o.file);
        break;
      case FileKind::kNpy:
        InfoNpy(o.file);
        break;
      default:
        throw Error(KLDKIT_ERROR_FORMAT,
                    "not a llama.cpp file, .kldz container or .npy array");
    }
  });
  return 0;
}

void SetupInfo(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "info",
      "Describe FILE (llama.cpp file, .kldz or .npy): header, "
      "metadata, rows, sizes, compression ratio.");
  cmd->add_option("FILE", o->file, "file to describe")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("info", [o] { return RunInfo(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
