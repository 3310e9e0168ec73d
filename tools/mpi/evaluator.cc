#include "tools/mpi/evaluator.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <string>

#include "kldkit/error.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/partial.hpp"
#include "lib/common/bytes.h"
#include "tools/cli_common.h"

namespace kldkit {
namespace mpi {

using detail::ByteReader;
using detail::ByteWriter;

namespace {

bool gathered = false;

// What a rank sends rank 0: its partial state and per-chunk states, or
// its error.
struct Outcome {
  bool ok = false;
  kldkit_status status = KLDKIT_OK;
  std::string message;
  std::vector<uint8_t> partial;
  std::vector<uint32_t> chunk_numbers;
  std::vector<std::vector<uint8_t>> chunk_states;  // one model after another
  TokenLayout layout;  // not sent: rank 0 keeps its own
};

void PutBlob(ByteWriter& w, const std::vector<uint8_t>& b) {
  w.U64(b.size());
  for (const uint8_t x : b) w.U8(x);
}

std::vector<uint8_t> GetBlob(ByteReader& r) {
  const uint64_t n = r.U64();
  const uint8_t* p = r.Take(n);
  return {p, p + n};
}

std::vector<uint8_t> Encode(const Outcome& o) {
  ByteWriter w;
  w.U8(o.ok);
  w.U32(static_cast<uint32_t>(o.status));
  PutBlob(w, {o.message.begin(), o.message.end()});
  PutBlob(w, o.partial);
  w.U64(o.chunk_numbers.size());
  for (const uint32_t c : o.chunk_numbers) w.U32(c);
  w.U64(o.chunk_states.size());
  for (const std::vector<uint8_t>& s : o.chunk_states) PutBlob(w, s);
  return std::move(w.Bytes());
}

Outcome Decode(gsl::span<const uint8_t> bytes) {
  ByteReader r(bytes, KLDKIT_ERROR_INTERNAL, "rank message");
  Outcome o;
  o.ok = r.U8() != 0;
  o.status = static_cast<kldkit_status>(r.U32());
  const std::vector<uint8_t> message = GetBlob(r);
  o.message.assign(message.begin(), message.end());
  o.partial = GetBlob(r);
  o.chunk_numbers.resize(r.U64());
  for (uint32_t& c : o.chunk_numbers) c = r.U32();
  o.chunk_states.resize(r.U64());
  for (std::vector<uint8_t>& s : o.chunk_states) s = GetBlob(r);
  return o;
}

// Every rank's bytes at rank 0 (empty elsewhere).
std::vector<std::vector<uint8_t>> Gather(const std::vector<uint8_t>& mine,
                                         int rank, int ranks) {
  if (mine.size() > static_cast<size_t>(INT_MAX)) {
    throw Error(KLDKIT_ERROR_UNSUPPORTED,
                "a rank's states exceed 2 GiB: use --percentiles sketch");
  }
  const int size = static_cast<int>(mine.size());
  std::vector<int> sizes(rank == 0 ? ranks : 0), offsets(sizes.size());
  MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<uint8_t> all;
  if (rank == 0) {
    size_t total = 0;
    for (int r = 0; r < ranks; ++r) {
      if (total > static_cast<size_t>(INT_MAX - sizes[r])) {
        throw Error(KLDKIT_ERROR_UNSUPPORTED,
                    "the ranks' states exceed 2 GiB: use --percentiles sketch");
      }
      offsets[r] = static_cast<int>(total);
      total += static_cast<size_t>(sizes[r]);
    }
    all.resize(total);
  }
  MPI_Gatherv(mine.data(), size, MPI_BYTE, all.data(), sizes.data(),
              offsets.data(), MPI_BYTE, 0, MPI_COMM_WORLD);
  std::vector<std::vector<uint8_t>> out;
  for (int r = 0; rank == 0 && r < ranks; ++r) {
    out.emplace_back(all.begin() + offsets[r],
                     all.begin() + offsets[r] + sizes[r]);
  }
  return out;
}

std::vector<std::string> Paths(const std::vector<RowSource*>& models) {
  std::vector<std::string> paths;
  for (const RowSource* m : models) paths.push_back(m->Path());
  return paths;
}

// This rank's part, run with the callbacks that make sense here.
Outcome RunPart(RowSource& base, const std::vector<RowSource*>& models,
                const EvaluateOptions& options, int rank, int ranks) {
  EvaluateOptions local = options;
  local.part = static_cast<uint32_t>(rank);
  local.parts = static_cast<uint32_t>(ranks);
  local.on_chunk = nullptr;
  if (rank != 0) {  // rank 0 shows its own progress and the warnings
    local.on_start = nullptr;
    local.on_progress = nullptr;
    local.on_warning = nullptr;
  }
  Outcome o;
  if (options.on_chunk) {
    local.on_chunk_state = [&](uint32_t chunk,
                               const std::vector<Accumulator>& a) {
      o.chunk_numbers.push_back(chunk);
      for (const Accumulator& acc : a) o.chunk_states.push_back(acc.Serialize());
    };
  }
  try {
    const Evaluation e = kldkit::Evaluate(base, models, local);
    o.partial = EncodePartial(MakePartial(e, options.mode, Paths(models)));
    o.layout = e.layout;
    o.ok = true;
  } catch (const Error& e) {
    o.status = e.Status();
    o.message = e.what();
  } catch (const std::exception& e) {
    o.status = KLDKIT_ERROR_INTERNAL;
    o.message = e.what();
  }
  return o;
}

[[noreturn]] void FinishOtherRank(const Outcome& mine) {
  MPI_Finalize();
  std::exit(mine.ok ? 0 : cli::ExitCodeFor(mine.status));
}

// Rank 0: the first failure, named; else the parts folded in chunk order
// with the per-chunk callbacks replayed.
Evaluation Fold(const std::vector<std::vector<uint8_t>>& sent,
                const EvaluateOptions& options, size_t n_models) {
  std::vector<Outcome> outcomes;
  for (const std::vector<uint8_t>& bytes : sent) {
    outcomes.push_back(Decode(bytes));
  }
  const int ranks = static_cast<int>(outcomes.size());
  for (int r = 0; r < ranks; ++r) {
    if (!outcomes[r].ok) {
      throw Error(outcomes[r].status, "rank " + std::to_string(r) + " of " +
                                          std::to_string(ranks) + ": " +
                                          outcomes[r].message);
    }
  }
  std::vector<PartialEvaluation> parts;
  for (const Outcome& o : outcomes) parts.push_back(DecodePartial(o.partial));
  const PartialEvaluation whole = MergePartials(parts);
  if (options.on_chunk) {
    std::vector<Accumulator> running(n_models,
                                     Accumulator(options.accumulator));
    const uint64_t per_chunk = RowsPerChunk(whole.n_ctx);
    for (const Outcome& o : outcomes) {
      for (size_t c = 0; c < o.chunk_numbers.size(); ++c) {
        for (size_t m = 0; m < n_models; ++m) {
          running[m].DecodeAndMerge(o.chunk_states[c * n_models + m]);
        }
        if (uint64_t{o.chunk_numbers[c]} * per_chunk <= whole.rows) {
          options.on_chunk(o.chunk_numbers[c], running);
        }
      }
    }
  }
  Evaluation result;
  result.accumulators = whole.accumulators;
  result.chunks = whole.chunks;
  result.rows = result.total_rows = whole.rows;
  result.n_vocab = static_cast<size_t>(whole.n_vocab);
  return result;
}

}  // namespace

Evaluation Evaluate(RowSource& base, const std::vector<RowSource*>& models,
                    const EvaluateOptions& options) {
  if (options.chunks.begin != 0 || options.chunks.end != 0) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "kldkit-mpi splits every chunk over the ranks: run kldkit "
                "--chunk-range for one range");
  }
  if (options.on_tokens) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "--worst, --dump-tokens and --save-tokens are not gathered "
                "across ranks: run kldkit compare for them");
  }
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  // Every rank has opened its files (one that failed aborted the job):
  // start together, so that the rate rank 0 reports is the evaluation's,
  // not another rank's later start.
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = std::chrono::steady_clock::now();
  const Outcome mine = RunPart(base, models, options, rank, ranks);
  const std::vector<std::vector<uint8_t>> sent =
      Gather(Encode(mine), rank, ranks);
  gathered = true;
  if (rank != 0) FinishOtherRank(mine);
  Evaluation result = Fold(sent, options, models.size());
  result.layout = mine.layout;  // every rank planned the same
  result.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  return result;
}

bool Gathered() { return gathered; }

}  // namespace mpi
}  // namespace kldkit
