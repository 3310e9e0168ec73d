// Partial evaluations: the accumulators of a chunk range of one
// evaluation, with what identifies the evaluation, as bytes and files, and
// their merge. What `kldkit compare --save-state`, `kldkit merge` and
// kldkit-mpi exchange (format: docs/partial-state.md). Since 0.2.
#ifndef KLDKIT_PARTIAL_HPP_
#define KLDKIT_PARTIAL_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/evaluate.hpp"
#include "kldkit/metrics.hpp"

namespace kldkit {

struct PartialEvaluation {
  // The evaluation: XXH3-64 of n_ctx and the token ids, the layout's
  // chunks, the rows and vocabulary compared, the mode.
  uint64_t identity = 0;
  uint32_t n_ctx = 0;
  uint32_t n_chunk = 0;  // chunks the whole evaluation compares
  uint64_t rows = 0;     // rows the whole evaluation compares
  uint64_t n_vocab = 0;
  CompareMode mode = CompareMode::kLlamaCpp;
  ChunkRange chunks;  // the chunks these states hold, end resolved
  std::vector<std::string> models;  // each model's file name
  std::vector<Accumulator> accumulators;

  bool Whole() const { return chunks.begin == 0 && chunks.end == n_chunk; }
};

// The partial evaluation of `e` (a run of `mode`) of the models at these
// paths (labelled by file name: the directories may differ per machine).
PartialEvaluation MakePartial(const Evaluation& e, CompareMode mode,
                              const std::vector<std::string>& models);

std::vector<uint8_t> EncodePartial(const PartialEvaluation& p);
// Throws FORMAT, TRUNCATED, CHECKSUM, UNSUPPORTED (and what the accumulator
// decoder throws) for bytes that are not a whole, intact state.
PartialEvaluation DecodePartial(gsl::span<const uint8_t> bytes);

// Written whole or not at all (a temporary file renamed); errors name it.
void SavePartial(const std::string& path, const PartialEvaluation& p);
PartialEvaluation LoadPartial(const std::string& path);

// Folds the parts (in any order given) in chunk order into one: the bytes
// one process gets over their union. Throws MISMATCH when they come from
// different evaluations, models, modes or accumulator options, and
// INVALID_ARGUMENT when their ranges overlap or leave a gap (naming the
// chunks) or there is no part.
PartialEvaluation MergePartials(std::vector<PartialEvaluation> parts);
// LoadPartial of every path, merged.
PartialEvaluation MergePartialFiles(const std::vector<std::string>& paths);

}  // namespace kldkit

#endif  // KLDKIT_PARTIAL_HPP_
