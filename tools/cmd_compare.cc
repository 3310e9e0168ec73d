// kldkit compare BASE QUANT: the llama-perplexity --kl-divergence report
// from two saved files.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/gguf.hpp"
#include "kldkit/metrics.hpp"
#include "kldkit/token_file.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/common_options.h"
#include "tools/run_evaluation.h"
#include "kldkit/evaluate.hpp"
#include "tools/token_output.h"

namespace kldkit {
namespace cli {

struct CompareOptions {
  std::string base;
  std::string quant;
  std::string tokens;
  uint32_t ctx = 0;
  bool json = false;
  std::string mode = "llamacpp";
  std::string percentiles = "exact";
  double sketch_accuracy = 0;  // 0: the library's default
  size_t threads = 1;
  bool chunks = false;
  size_t worst = 0;
  std::string dump_tokens;
  std::string save_tokens;
  std::string size;  // of the model, recorded in the token file
  bool force = false;
  bool quiet = false;
  MeasureChoice measures;
  ShardChoice shard;
};

namespace {

std::string JoinJson(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ",\n" : "\n") + items[i];
  return out + "]";
}

}  // namespace

int RunCompare(const CompareOptions& o) {
  const size_t threads = ResolveThreads(o.threads);
  std::unique_ptr<RowSource> base = OpenRowSource(o.base, threads);
  std::unique_ptr<RowSource> quant = OpenRowSource(o.quant, threads);

  EvaluateOptions engine;
  engine.mode = ModeNames().at(o.mode);
  engine.accumulator.percentiles = PercentileNames().at(o.percentiles);
  if (o.sketch_accuracy > 0) {
    engine.accumulator.sketch_relative_accuracy = o.sketch_accuracy;
  }
  ApplyMeasures(o.measures, &engine.accumulator);
  engine.threads = threads;
  engine.force = o.force;
  engine.tokens_path = o.tokens;
  engine.n_ctx = o.ctx;
  ApplyShard(o.shard, &engine);

  std::vector<std::string> chunk_json;
  if (o.chunks) {
    engine.on_start = [&](uint64_t, const TokenLayout&) {
      if (!o.json) std::fputs(ChunkHeader().c_str(), stdout);
    };
    engine.on_chunk = [&](uint32_t chunk, const std::vector<Accumulator>& a) {
      const Report running = a[0].MakeReport(/*with_percentiles=*/false);
      if (o.json) {
        chunk_json.push_back(RenderJson(running));
        return;
      }
      std::fputs(FormatChunkLine(static_cast<int>(chunk), running).c_str(),
                 stdout);
      std::fflush(stdout);
    };
  }
  WorstTokens worst(o.worst);
  std::unique_ptr<TokenDumper> dumper;
  if (o.worst > 0 || !o.dump_tokens.empty()) {
    auto start = engine.on_start;
    engine.on_start = [&, start](uint64_t rows, const TokenLayout& layout) {
      if (start) start(rows, layout);
      if (!o.dump_tokens.empty()) {
        dumper = std::make_unique<TokenDumper>(o.dump_tokens, rows);
      }
    };
    engine.on_tokens =
        [&](size_t, uint64_t first, gsl::span<const TokenResult> results,
            gsl::span<const int32_t> targets, const TokenLayout& layout) {
          worst.Add(first, results, targets, layout);
          if (dumper) dumper->Add(first, results, targets, layout);
        };
  }

  std::unique_ptr<TokenFileSaver> saver;
  if (!o.save_tokens.empty()) {
    saver = std::make_unique<TokenFileSaver>(o.save_tokens, 0, &engine);
  }
  const Evaluation result =
      RunEvaluation(*base, {quant.get()}, engine, o.quiet);
  if (dumper) dumper->Close();
  if (saver) {
    const bool gguf = !o.size.empty() && IsGgufFile(o.size);
    saver->Finish(result, o.quant, o.size.empty() ? 0 : ParseSizeOrFile(o.size),
                  gguf ? ReadGgufSize(o.size).BitsPerWeight() : NAN);
  }
  SaveShard(o.shard, result, engine.mode, {o.quant});
  const Report report = result.accumulators[0].MakeReport();
  if (o.json) {
    if (!o.chunks && o.worst == 0) {
      std::fputs(RenderJson(report).c_str(), stdout);
    } else {
      std::string out = "{\n\"report\": " + RenderJson(report);
      if (o.chunks) out += ",\n\"chunks\": " + JoinJson(chunk_json);
      if (o.worst > 0)
        out += ",\n\"worst\": " + RenderWorstJson(worst.Sorted());
      std::fputs((out + "\n}\n").c_str(), stdout);
    }
  } else {
    if (o.chunks) std::fputs("\n", stdout);
    std::fputs(RenderText(report).c_str(), stdout);
    if (o.worst > 0)
      std::fputs(RenderWorstText(worst.Sorted()).c_str(), stdout);
  }
  if (!o.quiet) {
    std::fprintf(stderr,
                 "kldkit compare: %llu rows x %zu vocab in %.2f s "
                 "(%.0f rows/s)\n",
                 static_cast<unsigned long long>(result.rows), result.n_vocab,
                 result.seconds,
                 result.seconds > 0
                     ? static_cast<double>(result.rows) / result.seconds
                     : 0.0);
  }
  return 0;
}

void SetupCompare(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare a quantized model's rows with the base's and print "
      "llama-perplexity's KL-divergence report.\n"
      "BASE and QUANT: a llama.cpp _logits_ file, a .kldz container, or "
      "float logits saved by NumPy (.npy, float32/float16, shape [rows, "
      "n_vocab], rows in llama.cpp file order). A .npy QUANT is compared as "
      "llama.cpp compares live logits, so the report equals "
      "llama-perplexity's.");
  cmd->add_option("BASE", o->base, "base rows (.logits, .kldz or .npy)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("QUANT", o->quant, "model rows (.logits, .kldz or .npy)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", o->json,
                "print the report as JSON (schema kldkit.report v1)");
  cmd->add_option("--mode", o->mode,
                  "llamacpp: llama.cpp's definitions; tail: the base row as "
                  "a proper distribution (dropped mass compared too); exact: "
                  "two float rows (.npy on both sides)")
      ->check(CLI::IsMember({"llamacpp", "tail", "exact"}))
      ->capture_default_str();
  cmd->add_option("--percentiles", o->percentiles,
                  "exact: store and sort (8 bytes per token, identical to "
                  "llama.cpp); sketch: bounded memory, relative error "
                  "--sketch-accuracy")
      ->check(CLI::IsMember({"exact", "sketch"}))
      ->capture_default_str();
  cmd->add_option("--sketch-accuracy", o->sketch_accuracy,
                  "relative accuracy of the sketch (default 1e-3)")
      ->check(CLI::Range(1e-6, 0.1));
  AddMeasureOptions(*cmd, &o->measures);
  AddThreadsOption(*cmd, &o->threads);
  AddShardOptions(*cmd, &o->shard);
  cmd->add_flag("--chunks", o->chunks,
                "print llama.cpp's per-chunk lines (running totals)");
  cmd->add_option("--worst", o->worst,
                  "list the N tokens with the largest KLD (position, token "
                  "id, KLD, p, p_base)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--dump-tokens", o->dump_tokens,
                  "write every per-token result to FILE: .npy (float32 "
                  "[rows, 13]) or CSV; columns row,chunk,pos,token,kld,nll,"
                  "nll_base,p,p_base,dp,top,top_base,flags");
  cmd->add_option("--save-tokens", o->save_tokens,
                  "keep every token's results in a token file "
                  "(docs/token-file.md) that `kldkit rank` ranks without "
                  "the base or the model rows, with paired intervals");
  cmd->add_option("--size", o->size,
                  "the model's size to record in --save-tokens' file: bytes "
                  "(4.2G) or a file whose size to take; a GGUF file also "
                  "gives bits per weight");
  cmd->add_option("--tokens", o->tokens,
                  "token ids when neither side stores them: an int32 .npy "
                  "(1-D with --ctx, or [n_chunk, n_ctx]) or a "
                  ".logits/.kldz file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ctx", o->ctx, "context length for a 1-D --tokens array")
      ->check(CLI::Range(3, 1 << 30));
  cmd->add_flag("--force", o->force,
                "compare even if tokens, vocabulary or row counts differ "
                "(first rows / first n_vocab entries)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress bar or timing on stderr");
  cmd->footer(MemoryNote() + "\n" + ExitCodeFooter());
  cmd->callback([o] { RunCommand("compare", [o] { return RunCompare(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
