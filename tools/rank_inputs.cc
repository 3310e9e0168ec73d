#include "tools/rank_inputs.h"

#include <memory>

#include "kldkit/error.hpp"
#include "kldkit/evaluate.hpp"
#include "kldkit/file_kind.hpp"
#include "kldkit/partial.hpp"
#include "kldkit/token_file.hpp"
#include "tools/cli_common.h"
#include "tools/run_evaluation.h"

namespace kldkit {
namespace cli {

MeasureMask RankedMeasures(const RankOptions& o) {
  MeasureMask mask = 0;
  for (const std::string& key : {o.sort, o.kld}) {
    if (const MeasureDescriptor* d = MeanMeasure(key)) mask |= MeasureBit(d->id);
  }
  return mask;
}

bool RanksTokenFiles(const RankOptions& o) {
  return !o.base.empty() &&
         DetectFileKind(o.base) == FileKind::kTokenResults;
}

namespace {

// The entries of --logs: each printed report read back; the ranking is
// unpaired (no per-token data), with the printed uncertainties.
std::vector<RankEntry> EntriesFromLogs(const RankOptions& o) {
  std::vector<RankEntry> entries(o.logs.size());
  for (size_t i = 0; i < o.logs.size(); ++i) {
    entries[i].report = ParsePrintedReport(ReadTextFile(o.logs[i]), o.logs[i]);
  }
  return entries;
}

// The token files' entries, refolded as one pass would fold them, and
// their per-chunk samples; sizes from the files unless --size gives them.
std::vector<RankEntry> EntriesFromTokenFiles(const RankOptions& o,
                                             const std::vector<std::string>& in,
                                             RankSamples* samples) {
  std::vector<RankEntry> entries(in.size());
  TokenFileInfo first;
  for (size_t i = 0; i < in.size(); ++i) {
    const TokenFile f = LoadTokenFile(in[i]);
    if (i == 0) first = f.info;
    if (!f.info.SameBase(first) || f.info.chunks.begin != first.chunks.begin ||
        f.info.chunks.end != first.chunks.end) {
      throw Error(KLDKIT_ERROR_MISMATCH,
                  in[i] + ": another base, mode or chunk range than " + in[0] +
                      " (token ids, rows, vocabulary, mode or floor differ)");
    }
    const MeasureMask missing = RankedMeasures(o) & ~f.info.measures;
    if (missing != 0) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  in[i] + ": saved without the measure to rank by (compare "
                          "--measures ... --save-tokens)");
    }
    AccumulatorOptions acc;
    acc.percentiles = PercentileNames().at(o.percentiles);
    entries[i].report = FoldTokenFile(f, acc).MakeReport();
    entries[i].name = Stem(f.info.model);
    entries[i].size = static_cast<double>(f.info.model_bytes);
    entries[i].bits_per_weight = f.info.bits_per_weight;
    samples->AddFile(i, f);
  }
  return entries;
}

// The entries of BASE QUANT...: every quant compared with the base in one
// pass.
std::vector<RankEntry> EntriesFromFiles(const RankOptions& o,
                                        RankSamples* samples) {
  const size_t threads = ResolveThreads(o.threads);
  std::unique_ptr<RowSource> base = OpenRowSource(o.base, threads);
  std::vector<std::unique_ptr<RowSource>> owned;
  std::vector<RowSource*> models;
  for (const std::string& q : o.quants) {
    owned.push_back(OpenRowSource(q, threads));
    models.push_back(owned.back().get());
  }
  EvaluateOptions engine;
  engine.mode = ModeNames().at(o.mode);
  engine.accumulator.percentiles = PercentileNames().at(o.percentiles);
  ApplyMeasures(o.measures, &engine.accumulator);
  engine.accumulator.measures |= RankedMeasures(o);
  engine.threads = threads;
  engine.force = o.force;
  engine.tokens_path = o.tokens;
  engine.n_ctx = o.ctx;
  ApplyShard(o.shard, &engine);
  // kldkit-mpi keeps tokens on the ranks: no pairs there.
  if (o.resamples > 0 && EvaluatorGivesTokens()) samples->Attach(&engine);
  const Evaluation result = RunEvaluation(*base, models, engine, o.quiet);
  SaveShard(o.shard, result, engine.mode, o.quants);
  std::vector<RankEntry> entries(o.quants.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].report = result.accumulators[i].MakeReport();
  }
  return entries;
}

// The entries of --states: rank's partial states (--save-state of ranges
// run anywhere) merged, paired as one pass is; *inputs gets their models.
std::vector<RankEntry> EntriesFromStates(const RankOptions& o,
                                         std::vector<std::string>* inputs) {
  const PartialEvaluation merged = MergePartialFiles(o.states);
  if (!merged.Whole()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--states cover chunks " + ToString(merged.chunks) + " of " +
                    std::to_string(merged.n_chunk) + ": give every range");
  }
  *inputs = merged.models;
  std::vector<RankEntry> entries(merged.models.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].report = merged.accumulators[i].MakeReport();
  }
  return entries;
}

}  // namespace

std::vector<std::string> Inputs(const RankOptions& o) {
  if (!o.logs.empty()) return o.logs;
  if (!RanksTokenFiles(o)) return o.quants;
  std::vector<std::string> files = {o.base};
  files.insert(files.end(), o.quants.begin(), o.quants.end());
  return files;
}

std::vector<RankEntry> Entries(const RankOptions& o,
                               std::vector<std::string>* inputs,
                               RankSamples* samples) {
  if (!o.states.empty()) return EntriesFromStates(o, inputs);
  if (!o.logs.empty()) return EntriesFromLogs(o);
  if (RanksTokenFiles(o)) return EntriesFromTokenFiles(o, *inputs, samples);
  return EntriesFromFiles(o, samples);
}

}  // namespace cli
}  // namespace kldkit
