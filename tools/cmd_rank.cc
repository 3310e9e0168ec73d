// kldkit rank BASE QUANT...: every quant compared with the base in one pass,
// a table sorted by a chosen metric, and an SVG plot of KLD against size.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/file_kind.hpp"
#include "kldkit/gguf.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/partial.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/common_options.h"
#include "kldkit/evaluate.hpp"
#include "kldkit/token_file.hpp"
#include "tools/rank_confidence.h"
#include "tools/rank_inputs.h"
#include "tools/rank_formats.h"
#include "tools/rank_table.h"
#include "tools/run_evaluation.h"
#include "tools/svg_plot.h"

namespace kldkit {
namespace cli {

// The measure column of the table: the one --sort or else --kld names.
std::string MeasureColumn(const RankOptions& o) {
  if (MeanMeasure(o.sort) != nullptr) return o.sort;
  return MeanMeasure(o.kld) != nullptr ? o.kld : "";
}

// The table in --format (or --json).
std::string RenderRank(const std::vector<RankEntry>& entries,
                       const RankOptions& o, const PairSummary& pairs) {
  const std::string format = o.json ? "json" : o.format;
  if (format == "json") return RenderRankJson(entries, o.sort, o.kld, pairs);
  if (format == "csv") return RenderRankCsv(entries, MeasureColumn(o));
  if (format == "markdown") {
    return RenderRankMarkdown(entries, MeasureColumn(o));
  }
  return RenderRankTable(entries, MeasureColumn(o), pairs);
}

// BASE and QUANTs, --logs or --states alone.
void CheckSources(const RankOptions& o) {
  const int sources = (!o.base.empty() || !o.quants.empty()) +
                      !o.logs.empty() + !o.states.empty();
  if (sources > 1) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "rank takes BASE and QUANTs, --logs or --states: one of them");
  }
  if (sources == 0 || (o.logs.empty() && o.states.empty() &&
                       !RanksTokenFiles(o) &&
                       (o.base.empty() || o.quants.empty()))) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "rank needs BASE and at least one QUANT, --logs or --states");
  }
}

// Per-input options of the right count (n inputs).
void CheckCounts(const RankOptions& o, size_t n) {
  if (o.json && o.format != "text" && o.format != "json") {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--json is --format json: it cannot go with --format " +
                    o.format);
  }
  if (!o.sizes.empty() && o.sizes.size() != n) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--size wants one value per QUANT (" +
                    std::to_string(n) + "), got " +
                    std::to_string(o.sizes.size()));
  }
  if (!o.names.empty() && o.names.size() != n) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--names wants one name per QUANT");
  }
  if (!o.svg.empty() && o.sizes.empty() && !RanksTokenFiles(o)) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--svg plots KLD against size: give --size for every QUANT");
  }
}

// Paired confidence, where per-token samples exist and can be resampled.
PairSummary Confidence(std::vector<RankEntry>& entries, const RankOptions& o,
                       const RankSamples& samples) {
  const bool per_token = o.logs.empty() && o.states.empty();
  if (!per_token || o.resamples == 0) return {};
  BootstrapOptions b;
  b.resamples = o.resamples;
  b.seed = o.seed;
  b.threads = ResolveThreads(o.threads);
  return AttachConfidence(entries, samples, o.sort, o.kld, b);
}

int RunRank(const RankOptions& o) {
  CheckSources(o);
  std::vector<std::string> inputs = Inputs(o);
  if (o.states.empty()) CheckCounts(o, inputs.size());
  RankSamples samples(inputs.size(), AllMeasures());
  std::vector<RankEntry> entries = Entries(o, &inputs, &samples);
  if (!o.states.empty()) CheckCounts(o, inputs.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].input = i;
    if (entries[i].name.empty()) entries[i].name = Stem(inputs[i]);
    if (!o.names.empty()) entries[i].name = o.names[i];
    if (!o.sizes.empty()) {
      entries[i].size = static_cast<double>(ParseSizeOrFile(o.sizes[i]));
      if (IsGgufFile(o.sizes[i])) {
        entries[i].bits_per_weight = ReadGgufSize(o.sizes[i]).BitsPerWeight();
      }
    }
  }
  ComputeEfficiency(entries, o.kld);
  SortEntries(entries, o.sort, o.kld);
  const PairSummary pairs = Confidence(entries, o, samples);
  std::fputs(RenderRank(entries, o, pairs).c_str(), stdout);
  if (!o.svg.empty()) {
    for (const RankEntry& e : entries) {
      if (o.plot_x == "size" ? e.size <= 0 : std::isnan(e.bits_per_weight)) {
        throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                    "--svg --plot-x " + o.plot_x + ": " + e.name +
                        " has no " + (o.plot_x == "size" ? "size" : "bits "
                        "per weight") + " (give --size, a GGUF file for bpw)");
      }
    }
    PlotOptions plot;
    plot.kld_name = KldName(o.kld);
    plot.x = o.plot_x == "bpw" ? PlotAxis::kBitsPerWeight : PlotAxis::kSize;
    plot.title = plot.kld_name +
                 (o.plot_x == "bpw" ? " against bits per weight"
                                    : " against size") +
                 (o.base.empty() || RanksTokenFiles(o)
                      ? ""
                      : " vs " + Stem(o.base));
    WriteTextFile(o.svg, RenderSvg(PlotPoints(entries, o.kld), plot));
    if (!o.quiet)
      std::fprintf(stderr, "kldkit rank: wrote %s\n", o.svg.c_str());
  }
  return 0;
}

void SetupRank(CLI::App& app) {
  auto o = std::make_shared<RankOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rank",
      "Compare every QUANT with BASE in one pass (the base is read once) and "
      "print a table sorted by --sort; with --svg, plot KLD against model "
      "size with the Pareto frontier marked.");
  cmd->add_option("BASE", o->base,
                  "base rows (.logits, .kldz or .npy); or the first of the "
                  "token files to rank (compare --save-tokens), which then "
                  "need no base")
      ->check(CLI::ExistingFile);
  cmd->add_option("QUANT", o->quants,
                  "model rows, one file per quant (or more token files)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--logs", o->logs,
                  "rank printed reports instead (llama-perplexity "
                  "--kl-divergence output of llama.cpp or ik_llama.cpp, or "
                  "kldkit compare's text): no BASE or QUANT, no pairing; "
                  "llama.cpp's three blocks are read, not the measures block")
      ->check(CLI::ExistingFile);
  cmd->add_option("--states", o->states,
                  "rank partial states instead (rank --chunk-range A:B "
                  "--save-state FILE, run anywhere): no BASE or QUANT; the "
                  "states must tile the evaluation; paired as one pass is")
      ->check(CLI::ExistingFile);
  cmd->add_option("--size", o->sizes,
                  "model size per QUANT, in order: bytes (4.2G, 16.4GiB, "
                  "123456789) or a file whose size to take; a GGUF file "
                  "also gives bits per weight (tensor data bits / weights)")
      ->delimiter(',');
  cmd->add_option("--names", o->names,
                  "label per QUANT (default: the file name without extension)")
      ->delimiter(',');
  cmd->add_option("--sort", o->sort,
                  "sort key; a measure's name (docs/measures.md) sorts by "
                  "its mean, computed for the occasion")
      ->check(CLI::IsMember(RankMetrics()))
      ->capture_default_str();
  cmd->add_option("--kld", o->kld,
                  "statistic of the plot's y axis and the efficiency score: "
                  "the KLD's mean or 99.9%, or a measure's mean")
      ->check(CLI::IsMember(PlotStatistics()))
      ->capture_default_str();
  AddMeasureOptions(*cmd, &o->measures);
  cmd->add_option("--svg", o->svg, "write the plot to this SVG file");
  cmd->add_option("--plot-x", o->plot_x,
                  "the plot's x axis: model size, or bits per weight (from "
                  "GGUF --size files or token files)")
      ->check(CLI::IsMember({"size", "bpw"}))
      ->capture_default_str();
  cmd->add_option("--resamples", o->resamples,
                  "paired bootstrap resamples of whole chunks for each "
                  "neighbour pair's difference and interval (0: none); with "
                  "BASE and QUANTs or token files")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed,
                  "the bootstrap's seed: the same seed, the same intervals "
                  "(whatever --threads)")
      ->capture_default_str();
  cmd->add_option("--format", o->format,
                  "the table as aligned text, JSON (kldkit.rank v1), CSV or "
                  "a markdown table (model cards)")
      ->check(CLI::IsMember(RankFormats()))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "the same as --format json");
  cmd->add_option("--mode", o->mode, "compare mode, as in compare")
      ->check(CLI::IsMember({"llamacpp", "tail", "exact"}))
      ->capture_default_str();
  cmd->add_option("--percentiles", o->percentiles, "as in compare")
      ->check(CLI::IsMember({"exact", "sketch"}))
      ->capture_default_str();
  AddThreadsOption(*cmd, &o->threads);
  AddShardOptions(*cmd, &o->shard);
  cmd->add_option("--tokens", o->tokens, "token ids, as in compare")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ctx", o->ctx, "context length for a 1-D --tokens array")
      ->check(CLI::Range(3, 1 << 30));
  cmd->add_flag("--force", o->force, "compare mismatched inputs anyway");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress bar on stderr");
  cmd->footer(std::string(kEfficiencyNote) + "\n" + MemoryNote() +
              " The batch budget is shared by all quants.\n" +
              ExitCodeFooter());
  cmd->callback([o] { RunCommand("rank", [o] { return RunRank(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
