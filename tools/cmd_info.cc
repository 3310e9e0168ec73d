// kldkit info FILE: header, metadata, rows, sizes and compression ratio;
// for a token file, the evaluation and the model it holds.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/token_file.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/common_options.h"

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

const char* ModeName(CompareMode mode) {
  for (const auto& kv : ModeNames()) {
    if (kv.second == mode) return kv.first.c_str();
  }
  return "unknown";
}

// The measures by name (the K list after top_k_overlap), or "none".
std::string MeasureNames(const TokenFileInfo& info) {
  std::string names;
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((info.measures & MeasureBit(d.id)) == 0) continue;
    names += (names.empty() ? "" : ", ") + std::string(d.name);
    if (d.id != Measure::kTopKOverlap) continue;
    std::string ks;
    for (int i = 0; i < info.top_k.Count(); ++i) {
      ks += (ks.empty() ? "" : ", ") + std::to_string(info.top_k.k[i]);
    }
    names += " (K = " + ks + ")";
  }
  return names.empty() ? "none" : names;
}

// Loading checks every block's checksum, so what is printed is what rank
// will read.
void InfoTokens(const std::string& path) {
  const TokenFile f = LoadTokenFile(path);
  const TokenFileInfo& info = f.info;
  std::printf("kind:         %s\n", FileKindName(FileKind::kTokenResults));
  std::printf("model:        %s\n", info.model.c_str());
  if (info.model_bytes > 0) {
    std::printf("model size:   %" PRIu64 " bytes (%s)\n", info.model_bytes,
                HumanBytes(static_cast<double>(info.model_bytes)).c_str());
  }
  if (!std::isnan(info.bits_per_weight)) {
    std::printf("bits/weight:  %.4g\n", info.bits_per_weight);
  }
  std::printf("n_ctx:        %u\n", info.n_ctx);
  std::printf("chunks:       %u of %u (%s)\n",
              info.chunks.end - info.chunks.begin, info.n_chunk,
              ToString(info.chunks).c_str());
  std::printf("rows:         %zu of %" PRIu64 " (%" PRIu64 " per chunk)\n",
              f.tokens.Rows(), info.rows, info.RowsPerChunk());
  std::printf("n_vocab:      %" PRIu64 "\n", info.n_vocab);
  std::printf("mode:         %s\n", ModeName(info.mode));
  if (info.base_floor > 0) {
    std::printf("base floor:   %.6g nats\n", info.base_floor);
  } else {
    std::printf("base floor:   none (float base rows)\n");
  }
  std::printf("measures:     %s\n", MeasureNames(info).c_str());
  std::printf("identity:     %016" PRIx64 "\n", info.identity);
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
      case FileKind::kTokenResults:
        InfoTokens(o.file);
        break;
      default:
        throw Error(KLDKIT_ERROR_FORMAT,
                    "not a llama.cpp file, .kldz container, .npy array or "
                    "token file");
    }
  });
  return 0;
}

void SetupInfo(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "info",
      "Describe FILE (llama.cpp file, .kldz, .npy or token file): header, "
      "metadata, rows, sizes, compression ratio; a token file's model, "
      "chunks, mode, floor, measures and identity.");
  cmd->add_option("FILE", o->file, "file to describe")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("info", [o] { return RunInfo(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
