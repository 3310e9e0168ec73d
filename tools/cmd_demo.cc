// kldkit demo: the main job on synthetic data shaped like a real
// 248K-vocabulary model. Generates a base and three "quantizations" of
// different fidelity (kldkit::LogitGenerator), writes the base as a .kldz
// container, compares and ranks the three in one pass, prints the reports,
// the compression ratio and the table, and writes the SVG plot; then
// re-encodes the base keeping only what the statistics read (--keep kld)
// and shows one report from it is the same, bit for bit.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/error.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/partial.hpp"
#include "kldkit/synth.hpp"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/common_options.h"
#include "kldkit/evaluate.hpp"
#include "tools/demo_sources.h"
#include "tools/rank_confidence.h"
#include "tools/rank_table.h"
#include "tools/run_evaluation.h"
#include "tools/svg_plot.h"

namespace kldkit {
namespace cli {

struct DemoOptions {
  uint64_t rows = 504;
  size_t threads = 0;
  std::string svg = "kldkit-demo.svg";
  bool no_svg = false;
  std::string base_out;
  std::string quant_out;
  bool quiet = false;
};

namespace {

constexpr size_t kVocab = 248320;
constexpr float kSpread = 0.75f;  // ~69% floor codes, like a real Qwen file

struct DemoModel {
  const char* name;
  double target_kld;
  double bits_per_weight;  // for the pretend model sizes of the ranking
};
constexpr DemoModel kModels[] = {
    {"Q8-like", 0.002, 8.5}, {"Q4-like", 0.02, 4.8}, {"Q2-like", 0.1, 2.9}};
constexpr double kParams = 9e9;  // a 9B-parameter model

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

// A temporary folder removed (with the base file) at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                          "/kldkit-demo-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw Error(KLDKIT_ERROR_IO, "cannot create a temporary folder");
    }
    path_ = pattern;
  }
  ~TempDir() {
    for (const char* name : {"/base.kldz", "/base.kldz.tmp", "/base-kld.kldz",
                             "/base-kld.kldz.tmp"}) {
      std::remove((path_ + name).c_str());
    }
    rmdir(path_.c_str());
  }
  const std::string& Path() const { return path_; }

 private:
  std::string path_;
};

// The base re-encoded with --keep kld next to `base_path`; the models
// compared against it must give `want`'s reports, bit for bit (the same
// models in one pass: the engine's batches, and so the order of its sums,
// depend on the row bytes of all the models compared together).
void ShowKeepKld(const std::string& base_path, uint64_t llama_bytes,
                 const std::vector<RowSource*>& models,
                 const EvaluateOptions& engine, const Evaluation& want,
                 bool quiet) {
  const std::string stem =
      HasKldzExtension(base_path)
          ? base_path.substr(0, base_path.size() - std::strlen(".kldz"))
          : base_path;
  const std::string kld_path = stem + "-kld.kldz";
  const auto start = std::chrono::steady_clock::now();
  ContainerOptions keep;
  keep.keep = KeepProfile::kKld;
  keep.threads = static_cast<unsigned>(engine.threads);
  RecompressContainer(base_path, kld_path, keep, {},
                      static_cast<unsigned>(engine.threads));
  const double bytes = static_cast<double>(FileSize(kld_path));
  std::unique_ptr<RowSource> kld_base = OpenRowSource(kld_path, engine.threads);
  EvaluateOptions llama_only = engine;  // the measures need a lossless base
  llama_only.accumulator.measures = 0;
  const Evaluation again = RunEvaluation(*kld_base, models, llama_only, quiet);
  bool same = true;
  for (size_t m = 0; m < models.size(); ++m) {
    Report expected = want.accumulators[m].MakeReport();
    expected.n_measure_stats = 0;
    const Report got = again.accumulators[m].MakeReport();
    same = same && RenderJson(got) == RenderJson(expected) &&
           RenderText(got) == RenderText(expected);
  }
  std::printf(
      "\nbase, keeping only what the statistics read (convert --keep kld): "
      "%s, compression ratio %.2f\n"
      "      llama.cpp's statistics of the three from it: %s (%.2f s)\n",
      HumanBytes(bytes).c_str(), static_cast<double>(llama_bytes) / bytes,
      same ? "identical, bit for bit" : "DIFFERENT", Since(start));
  if (!same) {
    throw Error(KLDKIT_ERROR_INTERNAL, "the keep-kld base changed a report");
  }
}

// Scale-out in miniature: the Q4-like model's chunks in two halves, as two
// machines would run them (--chunk-range, --save-state), their partial
// states merged (kldkit merge, kldkit-mpi): the one pass's state, bit for bit.
// The demo's bootstrap: rank's defaults on the demo's threads.
BootstrapOptions Bootstrap(size_t threads) {
  BootstrapOptions b;
  b.threads = threads;
  return b;
}

void ShowShards(RowSource& base, RowSource& model, const EvaluateOptions& engine,
                const Evaluation& whole, size_t model_index, bool quiet) {
  if (whole.layout.n_chunk < 2) return;
  const auto start = std::chrono::steady_clock::now();
  const uint32_t half = whole.layout.n_chunk / 2;
  std::vector<PartialEvaluation> parts;
  size_t bytes = 0;
  for (const ChunkRange range : {ChunkRange{half, 0}, ChunkRange{0, half}}) {
    EvaluateOptions shard = engine;
    shard.chunks = range;
    const Evaluation e = RunEvaluation(base, {&model}, shard, quiet);
    const std::vector<uint8_t> state =
        EncodePartial(MakePartial(e, engine.mode, {model.Path()}));
    bytes += state.size();
    parts.push_back(DecodePartial(state));  // as if sent over the network
  }
  const PartialEvaluation merged = MergePartials(std::move(parts));
  const bool same = merged.accumulators[0].Serialize() ==
                    whole.accumulators[model_index].Serialize();
  std::printf(
      "\nshards: %s's chunks 0:%u and %u:%u compared apart, their partial "
      "states (%s) merged: %s (%.2f s)\n",
      model.Path().c_str(), half, half, whole.layout.n_chunk,
      HumanBytes(static_cast<double>(bytes)).c_str(),
      same ? "the one pass's result, bit for bit" : "DIFFERENT", Since(start));
  if (!same) throw Error(KLDKIT_ERROR_INTERNAL, "merged shards differ");
}

}  // namespace

int RunDemo(const DemoOptions& o) {
  const size_t threads = ResolveThreads(o.threads);
  const LogitGenerator gen({kVocab, 2024, kSpread});
  const TokenLayout layout = DemoLayout(gen, o.rows);
  std::printf(
      "kldkit demo: %llu rows (%u chunks, n_ctx %u), vocabulary %zu, "
      "synthetic (spread %.2f), %zu threads\n\n",
      static_cast<unsigned long long>(layout.Rows()), layout.n_chunk,
      layout.n_ctx, kVocab, static_cast<double>(kSpread), threads);

  std::unique_ptr<TempDir> temp;
  std::string base_path = o.base_out;
  if (base_path.empty()) {
    temp = std::make_unique<TempDir>();
    base_path = temp->Path() + "/base.kldz";
  }
  auto start = std::chrono::steady_clock::now();
  const uint64_t llama_bytes = WriteDemoBase(gen, layout, base_path, threads);
  const double kldz_bytes = static_cast<double>(FileSize(base_path));
  std::printf(
      "base: generated and written as a .kldz container in %.2f s\n"
      "      %s as a llama.cpp file, %s as .kldz: compression ratio "
      "%.2f\n\n",
      Since(start), HumanBytes(static_cast<double>(llama_bytes)).c_str(),
      HumanBytes(kldz_bytes).c_str(),
      static_cast<double>(llama_bytes) / kldz_bytes);

  std::unique_ptr<RowSource> base = OpenRowSource(base_path, threads);
  std::vector<std::unique_ptr<RowSource>> owned;
  std::vector<RowSource*> models;
  for (size_t m = 0; m < std::size(kModels); ++m) {
    owned.push_back(std::make_unique<SynthModelSource>(gen, kModels[m].name,
                                                       kModels[m].target_kld, m,
                                                       layout.Rows(), threads));
    models.push_back(owned.back().get());
  }
  if (!o.quant_out.empty()) {
    WithFile(o.quant_out, [&] { WriteRowsNpy(*models[1], o.quant_out); });
    std::printf(
        "Q4-like float logits written to %s (try: kldkit compare "
        "BASE %s)\n\n",
        o.quant_out.c_str(), o.quant_out.c_str());
  }
  EvaluateOptions engine;
  engine.threads = threads;
  engine.accumulator.measures = AllMeasures();  // docs/measures.md
  // The paired intervals' samples come from this pass only (the shards
  // and keep-kld steps below reuse `engine`).
  RankSamples samples(models.size(), AllMeasures());
  EvaluateOptions ranked = engine;
  samples.Attach(&ranked);
  const Evaluation result = RunEvaluation(*base, models, ranked, o.quiet);

  std::vector<RankEntry> entries;
  for (size_t m = 0; m < std::size(kModels); ++m) {
    RankEntry e;
    e.input = m;
    e.name = kModels[m].name;
    e.report = result.accumulators[m].MakeReport();
    e.size = kParams * kModels[m].bits_per_weight / 8;
    std::printf("######## %s (generated for a mean KLD of %.3f) ########\n",
                e.name.c_str(), kModels[m].target_kld);
    std::fputs(RenderText(e.report).c_str(), stdout);
    std::printf("\n");
    entries.push_back(e);
  }
  ComputeEfficiency(entries, "mean");
  SortEntries(entries, "mean-kld", "mean");
  const PairSummary pairs =
      AttachConfidence(entries, samples, "mean-kld", "mean", Bootstrap(threads));
  std::printf(
      "######## ranking (sizes of a pretend 9B model at 8.5, 4.8 "
      "and 2.9 bits per weight) ########\n");
  std::fputs(RenderRankTable(entries, "jsd", pairs).c_str(), stdout);
  std::printf(
      "(kldkit compare --save-tokens F keeps these per-token results; "
      "kldkit rank F1 F2 ... ranks them again without any logits)\n");
  std::printf(
      "\ncompare: %llu rows x 3 models in %.2f s (%.0f model rows/s, "
      "row generation included)\n",
      static_cast<unsigned long long>(result.rows), result.seconds,
      3.0 * static_cast<double>(result.rows) / result.seconds);
  if (!o.no_svg && !o.svg.empty()) {
    WriteTextFile(o.svg,
                  RenderSvg(PlotPoints(entries, "mean"),
                            {"kldkit demo: mean KLD against size", "mean KLD",
                             PlotAxis::kSize}));
    std::printf("plot: %s\n", o.svg.c_str());
  }
  ShowShards(*base, *models[1], engine, result, 1, o.quiet);
  ShowKeepKld(base_path, llama_bytes, models, engine, result, o.quiet);
  return 0;
}

void SetupDemo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Run the main job on synthetic data shaped like a real 248,320-token "
      "vocabulary: a base model written as a .kldz container and three "
      "quantizations of different fidelity, compared and ranked in one "
      "pass with every measure of docs/measures.md; prints the reports, the "
      "compression ratio and the ranking, and writes the SVG plot; then "
      "shows that one model compared in two chunk ranges merges into the "
      "same result (shards, kldkit merge, kldkit-mpi), and that a base "
      "keeping only what the statistics read (convert --keep kld) gives the "
      "same llama.cpp statistics. About 18 s with the default rows on 2 "
      "cores.");
  cmd->add_option("--rows", o->rows,
                  "scored rows: up to 63 in one chunk, else whole chunks of "
                  "63 (n_ctx 128); each row is 0.5 MB stored, 1 MB as floats")
      ->check(CLI::Range(1, 4000))
      ->capture_default_str();
  AddThreadsOption(*cmd, &o->threads)->default_str("0");
  cmd->add_option("--svg", o->svg, "where to write the plot")
      ->capture_default_str();
  cmd->add_flag("--no-svg", o->no_svg, "write no plot");
  cmd->add_option("--base-out", o->base_out,
                  "keep the base container at this .kldz path, and its "
                  "keep-kld copy beside it as NAME-kld.kldz (default: "
                  "temporary files, removed)");
  cmd->add_option("--quant-out", o->quant_out,
                  "also write the Q4-like model's float logits to this .npy "
                  "(1 MB per row), e.g. to try compare or benchmark it");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress bar on stderr");
  cmd->footer(ExitCodeFooter());
  cmd->callback([o] { RunCommand("demo", [o] { return RunDemo(*o); }); });
}

}  // namespace cli
}  // namespace kldkit
