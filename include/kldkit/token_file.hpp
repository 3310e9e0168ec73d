// Per-token results kept: every token's results of one model in base file
// order (KLD, both target log-probabilities and probabilities, Δp, flags,
// the measures computed), with the model's name and size and the base's
// identity, zstd-compressed and checksummed (docs/token-file.md). Written by
// `kldkit compare --save-tokens`, read by `kldkit rank`, which then needs
// neither the base nor the model rows: the accumulator fed from a file
// gives the run's report bit for bit. Since 0.2.
#ifndef KLDKIT_TOKEN_FILE_HPP_
#define KLDKIT_TOKEN_FILE_HPP_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/evaluate.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/metrics.hpp"

namespace kldkit {

// What identifies the evaluation the tokens come from, and the model.
struct TokenFileInfo {
  uint64_t identity = 0;  // XXH3-64 of n_ctx and the token ids
  uint32_t n_ctx = 0;
  uint32_t n_chunk = 0;   // chunks of the whole evaluation
  uint64_t rows = 0;      // rows of the whole evaluation
  uint64_t n_vocab = 0;
  CompareMode mode = CompareMode::kLlamaCpp;
  double base_floor = 0;  // nats: the base rows' floor (0: float rows)
  ChunkRange chunks;      // the chunks whose rows the file holds
  MeasureMask measures = 0;  // the measures each token carries
  TopKList top_k;
  std::string model;         // label (the model file's name)
  uint64_t model_bytes = 0;  // 0: unknown
  double bits_per_weight = NAN;

  uint64_t RowsPerChunk() const { return n_chunk ? rows / n_chunk : 0; }
  uint64_t SavedRows() const {
    return uint64_t{chunks.end - chunks.begin} * RowsPerChunk();
  }
  bool Whole() const { return chunks.begin == 0 && chunks.end == n_chunk; }
  // Same evaluation: identity, layout, rows, vocabulary, mode and floor.
  bool SameBase(const TokenFileInfo& other) const;
};

// Per-token columns, one entry per saved row.
struct TokenColumns {
  std::vector<double> kld;
  std::vector<float> nll, nll_base, p, p_base, dp;
  std::vector<uint32_t> flags;
  // MeasureValueCount(measures) values per row, each measure's slots in
  // id order (what CompareRow writes to `extras`).
  std::vector<double> measures;

  size_t Rows() const { return kld.size(); }
  // Row i as the kernel returned it (top ids are not kept: -1; the
  // measures' mask is `mask` for a valid result, 0 otherwise).
  TokenResult Result(size_t i, MeasureMask mask) const;
};

struct TokenFile {
  TokenFileInfo info;
  TokenColumns tokens;
};

// The info of model `model` of evaluation `e` run with `options`: the
// evaluation's identity, range and measures, the model labelled by its
// file name.
TokenFileInfo MakeTokenFileInfo(const Evaluation& e,
                                const EvaluateOptions& options,
                                const std::string& model_path);

// Writes a token file as results arrive, bounded memory (one block of
// rows). The file appears only on Close; an unclosed writer removes its
// temporary file.
class TokenFileWriter {
 public:
  // Throws IO if `path`.tmp cannot be created, INVALID_ARGUMENT for
  // unknown measures.
  TokenFileWriter(const std::string& path, MeasureMask measures);
  ~TokenFileWriter();
  TokenFileWriter(const TokenFileWriter&) = delete;
  TokenFileWriter& operator=(const TokenFileWriter&) = delete;

  // The next rows, in order. Throws INVALID_ARGUMENT for a valid result
  // without every measure of the file, IO on a write error.
  void Add(gsl::span<const TokenResult> results);
  // Writes the info and commits. Throws INVALID_ARGUMENT when the rows
  // added are not info.SavedRows() or the measures differ, IO.
  void Close(const TokenFileInfo& info);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws FORMAT (not a token file, a hostile field), TRUNCATED, CHECKSUM,
// UNSUPPORTED (a later version), IO; messages name the file.
TokenFile LoadTokenFile(const std::string& path);

// The file's rows folded into an accumulator with `options`' percentiles
// and the file's measures: the run's accumulator, byte for byte, when the
// percentile options are the run's.
Accumulator FoldTokenFile(const TokenFile& file,
                          AccumulatorOptions options = {});

// Saves model `model`'s results of an Evaluate run with `*options` to
// `path`: chains onto options->on_tokens (keep the saver and the options
// alive through the run, the options set before), then Finish(the
// evaluation) writes the file. What `kldkit compare
// --save-tokens`, the C API and Python's save_tokens do.
class TokenFileSaver {
 public:
  TokenFileSaver(const std::string& path, size_t model,
                 EvaluateOptions* options);
  // `model_path`: the model's file (its name labels it); size 0 and NaN
  // bits per weight when unknown.
  void Finish(const Evaluation& e, const std::string& model_path,
              uint64_t model_bytes = 0, double bits_per_weight = NAN);

 private:
  TokenFileWriter writer_;
  const EvaluateOptions* options_;  // as run: the info's mode and measures
  static constexpr uint64_t kNoRow = ~uint64_t{0};
  uint64_t next_row_ = kNoRow;
};

}  // namespace kldkit

#endif  // KLDKIT_TOKEN_FILE_HPP_
