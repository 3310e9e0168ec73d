// The evaluation engine (include/kldkit/evaluate.hpp): checks the inputs
// against each other, plans batches that never cross a chunk, reads batch
// n+1 while batch n is compared, folds every model's results in row order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <future>

#include "kldkit/batch.hpp"
#include "kldkit/error.hpp"
#include "kldkit/evaluate.hpp"
#include "lib/common/error.h"
#include "lib/common/parallel.h"
#include "lib/evaluation/row_buffer.h"

namespace kldkit {

using detail::ParallelFor;
using detail::WithFile;

namespace {

void Warn(const EvaluateOptions& o, const std::string& message) {
  if (o.on_warning) o.on_warning(message);
}

// Refuses a mismatch unless forced, in which case it warns.
void CheckOrForce(bool ok, const EvaluateOptions& o,
                  const std::string& message) {
  if (ok) return;
  if (!o.force) {
    throw Error(KLDKIT_ERROR_MISMATCH, message + " (--force compares anyway)");
  }
  Warn(o, message + "; compared anyway (--force)");
}

// A --keep kld file holds only the codes llama.cpp-mode statistics read of
// its own target tokens: refuse every other use rather than give a number
// computed from zeroed codes.
void CheckKeepProfiles(RowSource& base, const std::vector<RowSource*>& models,
                       const TokenLayout& layout, const EvaluateOptions& o) {
  const CompareMode mode = o.mode;
  const std::string why = ": written with --keep kld (only the codes "
                          "llama.cpp's statistics read are kept)";
  if (base.Keep() == KeepProfile::kKld) {
    if (mode != CompareMode::kLlamaCpp) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  base.Path() + why +
                      "; --mode tail needs the dropped codes: use a lossless "
                      "base");
    }
    if (o.accumulator.measures != 0) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  base.Path() + why +
                      "; the measures beyond llama.cpp's read every known "
                      "code: use a lossless base");
    }
    const TokenLayout* own = base.StoredLayout();
    if (own == nullptr || own->n_ctx != layout.n_ctx ||
        own->tokens != layout.tokens) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  base.Path() + why +
                      " for its own target tokens, and these tokens differ");
    }
  }
  for (RowSource* m : models) {
    if (m->Keep() == KeepProfile::kKld) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  m->Path() + why +
                      "; as a model its dropped codes would enter the KLD: "
                      "compare with a lossless file");
    }
  }
}

// Rows written with different floors (llama.cpp 16, ik_llama.cpp 24) give
// different log-probabilities below the smaller one: say so. Samples the
// first rows of each stored side. Returns the base's floor (0: float rows).
double WarnFloors(const RowSource& base, const std::vector<RowSource*>& models,
                const EvaluateOptions& o) {
  const RowFloor b = base.ScanFloor(kFloorSampleRows);
  for (const RowSource* m : models) {
    const RowFloor f = m->ScanFloor(kFloorSampleRows);
    if (b.rows > 0 && f.rows > 0 && std::fabs(b.nats - f.nats) > 1e-3) {
      char text[160];
      std::snprintf(text, sizeof(text),
                    ": rows written with a floor of %.6g nats, the base's "
                    "with %.6g (llama.cpp 16, ik_llama.cpp 24)",
                    f.nats, b.nats);
      Warn(o, m->Path() + text);
    }
  }
  return b.nats;
}

// The compared rows, their layout and vocabulary after the checks.
struct Plan {
  TokenLayout layout;
  uint64_t rows = 0;  // rows every side holds
  size_t n_vocab = 0;
  ChunkRange chunks;  // end resolved
  uint64_t first = 0, end = 0;  // rows of the chunk range
  double base_floor = 0;
};

// Resolves options.chunks (or the part) against the rows every side holds
// (the last chunk may be partial when a file is cut short and forced).
void PlanRange(const EvaluateOptions& options, Plan& plan) {
  const uint64_t per_chunk = plan.layout.RowsPerChunk();
  const uint64_t available = (plan.rows + per_chunk - 1) / per_chunk;
  ChunkRange c = options.chunks;
  if (options.parts > 1) {
    if (c.begin != 0 || c.end != 0 || options.part >= options.parts) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "a part of the chunks needs part < parts and no range");
    }
    c = SplitChunks(static_cast<uint32_t>(available), options.part,
                    options.parts);
  } else if (c.end == 0) {
    c.end = static_cast<uint32_t>(available);
  }
  if (options.parts > 1 && c.begin == c.end) {
    // An empty part: no rows.
  } else if (c.begin >= c.end || c.end > available) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "chunk range " + ToString(c) + " is empty or past the " +
                    std::to_string(available) + " chunks compared");
  }
  plan.chunks = c;
  plan.first = c.begin * per_chunk;
  plan.end = std::min(plan.rows, c.end * per_chunk);
}

Plan MakePlan(RowSource& base, const std::vector<RowSource*>& models,
              const EvaluateOptions& options) {
  Plan plan;
  // Token ids: the base's, else a model's, else --tokens.
  const TokenLayout* stored = base.StoredLayout();
  for (size_t i = 0; stored == nullptr && i < models.size(); ++i) {
    stored = models[i]->StoredLayout();
  }
  if (!options.tokens_path.empty()) {
    plan.layout = LoadTokenLayout(options.tokens_path, options.n_ctx);
  } else if (stored != nullptr) {
    plan.layout = *stored;
  } else {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                "no side stores token ids: give --tokens (an int32 .npy or a "
                "llama.cpp/.kldz file)");
  }
  if (plan.layout.RowsPerChunk() == 0) {
    throw Error(
        KLDKIT_ERROR_INVALID_ARGUMENT,
        "n_ctx " + std::to_string(plan.layout.n_ctx) + " scores no rows");
  }
  std::vector<RowSource*> all = {&base};
  all.insert(all.end(), models.begin(), models.end());
  plan.n_vocab = base.NVocab();
  plan.rows = plan.layout.Rows();
  for (RowSource* s : all) {
    const TokenLayout* l = s->StoredLayout();
    if (l != nullptr && &plan.layout != l) {
      CheckOrForce(
          l->n_ctx == plan.layout.n_ctx && l->tokens == plan.layout.tokens,
          options,
          s->Path() +
              ": its token ids or n_ctx differ from the "
              "base's (not the same evaluation)");
    }
    CheckOrForce(s->NVocab() == base.NVocab(), options,
                 s->Path() + ": n_vocab " + std::to_string(s->NVocab()) +
                     " but the base has " + std::to_string(base.NVocab()));
    CheckOrForce(s->Rows() == plan.layout.Rows(), options,
                 s->Path() + ": " + std::to_string(s->Rows()) +
                     " rows but the token layout has " +
                     std::to_string(plan.layout.Rows()));
    plan.n_vocab = std::min(plan.n_vocab, s->NVocab());
    plan.rows = std::min(plan.rows, s->Rows());
  }
  if (options.mode == CompareMode::kExact) {
    for (RowSource* s : all) {
      if (!s->IsFloat()) {
        throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                    s->Path() +
                        ": --mode exact needs float logits (.npy) on "
                        "both sides; this file holds llama.cpp rows");
      }
    }
  } else if (base.IsFloat()) {
    Warn(options, base.Path() +
         ": float base rows are quantized as llama.cpp stores "
         "them (--strict) before comparing");
  }
  CheckKeepProfiles(base, models, plan.layout, options);
  plan.base_floor = WarnFloors(base, models, options);
  if (plan.rows > 0 || options.chunks.begin > 0 || options.chunks.end > 0 ||
      options.parts > 1) {
    PlanRange(options, plan);
  }
  for (uint64_t r = plan.first; r < plan.end; ++r) {
    const int32_t t = plan.layout.Target(r);
    if (t < 0 || static_cast<size_t>(t) >= plan.n_vocab) {
      throw Error(KLDKIT_ERROR_MISMATCH, "token id " + std::to_string(t) +
                                             " of row " + std::to_string(r) +
                                             " is outside the vocabulary of " +
                                             std::to_string(plan.n_vocab));
    }
  }
  return plan;
}

// One side's rows for one batch: dense, in place in a mapped file, or (a
// .kldz base) sparse rows with the views the compare reads.
struct SideBuffer {
  detail::RowBuffer<float> f32;
  detail::RowBuffer<uint16_t> u16;
  SparseRows sparse;
  std::vector<SparseLlamaRow> sparse_rows;
  std::vector<RowView> views;
  MappedRows mapped;  // rows in place, when the source maps them
};

struct Batch {
  uint64_t first = 0;
  size_t count = 0;
  SideBuffer base;
  std::vector<SideBuffer> models;
};

class Runner {
 public:
  Runner(RowSource& base, const std::vector<RowSource*>& models,
         const EvaluateOptions& options, Plan plan)
      : base_(base),
        models_(models),
        options_(options),
        plan_(std::move(plan)) {
    size_t row_bytes = RowBytes(base_);
    if (base_.IsFloat() && options_.mode != CompareMode::kExact) {
      row_bytes += LlamaRowWords(base_.NVocab()) * 2;
    }
    for (RowSource* m : models_) row_bytes += RowBytes(*m);
    const uint64_t per_chunk = plan_.layout.RowsPerChunk();
    sparse_base_ = SparseBase();
    batch_rows_ = static_cast<size_t>(std::clamp<uint64_t>(
        options_.batch_bytes / row_bytes, 1, std::max<uint64_t>(1, per_chunk)));
  }

  // Errors of a run over part of the chunks name the part.
  Evaluation Run() {
    const bool whole = plan_.first == 0 && plan_.end == plan_.rows;
    try {
      return RunRange();
    } catch (const Error& e) {
      if (whole) throw;
      throw Error(e.Status(),
                  "chunks " + ToString(plan_.chunks) + ": " + e.what());
    }
  }

  Evaluation RunRange() {
    Evaluation result;
    for (size_t i = 0; i < models_.size(); ++i) {
      result.accumulators.emplace_back(options_.accumulator);
    }
    // With per-chunk states, rows fold into the chunk's own accumulators,
    // merged into the running ones at each chunk's end (exact sums: the
    // same bits as folding directly).
    std::vector<Accumulator> chunk_accs;
    if (options_.on_chunk_state) chunk_accs = result.accumulators;
    std::vector<Accumulator>& into =
        options_.on_chunk_state ? chunk_accs : result.accumulators;
    const uint64_t total = plan_.end - plan_.first;
    if (options_.on_start) options_.on_start(total, plan_.layout);
    const auto start = std::chrono::steady_clock::now();
    Batch batches[2];
    uint64_t next = plan_.first;
    std::future<void> pending;
    int current = 0;
    if (total > 0) {
      next = Fill(batches[0], next);
      Read(batches[0]);
    }
    while (batches[current].count > 0) {
      Batch& batch = batches[current];
      Batch& other = batches[1 - current];
      other.count = 0;
      if (next < plan_.end) {
        next = Fill(other, next);
        pending = std::async(std::launch::async, [&] { Read(other); });
      }
      try {
        Compare(batch, into);
      } catch (...) {
        if (pending.valid()) pending.wait();
        throw;
      }
      if (pending.valid()) pending.get();
      const uint64_t done = batch.first + batch.count - plan_.first;
      if (options_.on_progress && options_.on_progress(done, total)) {
        throw Error(KLDKIT_ERROR_CANCELLED,
                    "comparison cancelled by the progress callback after " +
                        std::to_string(done) + " rows");
      }
      const uint64_t per_chunk = plan_.layout.RowsPerChunk();
      const uint64_t end = batch.first + batch.count;
      if (options_.on_chunk_state &&
          (end % per_chunk == 0 || end == plan_.end)) {
        options_.on_chunk_state(
            static_cast<uint32_t>((end + per_chunk - 1) / per_chunk),
            chunk_accs);
        for (size_t m = 0; m < chunk_accs.size(); ++m) {
          result.accumulators[m].Merge(chunk_accs[m]);
          chunk_accs[m] = Accumulator(options_.accumulator);
        }
      }
      if (options_.on_chunk && end % per_chunk == 0) {
        options_.on_chunk(static_cast<uint32_t>(end / per_chunk),
                          result.accumulators);
      }
      batch.count = 0;
      current = 1 - current;
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    result.layout = plan_.layout;
    result.chunks = plan_.chunks;
    result.rows = total;
    result.total_rows = plan_.rows;
    result.n_vocab = plan_.n_vocab;
    result.base_floor = plan_.base_floor;
    return result;
  }

 private:
  // Whether the base is read as sparse rows (no dense rebuild of a .kldz
  // block's codes): a comparison the sparse kernel makes, llama.cpp or tail
  // mode against float logits without the measures, from a source that
  // has the sparse form (probed with an empty read).
  bool SparseBase() {
    if (base_.IsFloat() || options_.mode == CompareMode::kExact ||
        options_.accumulator.measures != 0 ||
        base_.NVocab() != plan_.n_vocab) {
      return false;
    }
    for (const RowSource* m : models_) {
      if (!m->IsFloat()) return false;
    }
    SparseRows probe(base_.NVocab());
    return base_.ReadSparse(plan_.first, 0, &probe);
  }

  static size_t RowBytes(const RowSource& s) {
    return s.IsFloat() ? s.NVocab() * sizeof(float)
                       : LlamaRowWords(s.NVocab()) * sizeof(uint16_t);
  }

  // Sets the batch's row range starting at `first`; returns its end.
  uint64_t Fill(Batch& batch, uint64_t first) const {
    const uint64_t per_chunk = plan_.layout.RowsPerChunk();
    const uint64_t chunk_end = (first / per_chunk + 1) * per_chunk;
    const uint64_t end = std::min({first + batch_rows_, chunk_end, plan_.end});
    batch.first = first;
    batch.count = static_cast<size_t>(end - first);
    return end;
  }

  static void ReadSide(RowSource& s, uint64_t first, size_t count,
                       SideBuffer& buf, bool sparse = false) {
    buf.mapped = sparse ? MappedRows{} : s.MapRows(first, count);
    if (buf.mapped.data != nullptr) return;
    if (sparse) {
      buf.sparse.Reset(s.NVocab());
      if (!s.ReadSparse(first, count, &buf.sparse)) {
        throw Error(KLDKIT_ERROR_INTERNAL, s.Path() + ": lost its sparse rows");
      }
    } else if (s.IsFloat()) {
      buf.f32.resize(count * s.NVocab());
      s.ReadF32(first, count, buf.f32.data());
    } else {
      buf.u16.resize(count * LlamaRowWords(s.NVocab()));
      s.ReadU16(first, count, buf.u16.data());
    }
  }

  // Each side on its own thread: reading (page-cache copies, container
  // decoding) costs more than comparing, measured 1800 vs 8300 rows/s at
  // n_vocab 248320 (benchmarks/cli_bench.sh).
  void Read(Batch& batch) {
    batch.models.resize(models_.size());
    std::vector<std::future<void>> reads;
    for (size_t m = 0; m < models_.size(); ++m) {
      reads.push_back(std::async(std::launch::async, [&, m] {
        ReadSide(*models_[m], batch.first, batch.count, batch.models[m]);
      }));
    }
    std::exception_ptr error;
    try {
      ReadSide(base_, batch.first, batch.count, batch.base, sparse_base_);
    } catch (...) {
      error = std::current_exception();
    }
    for (std::future<void>& f : reads) {
      try {
        f.get();
      } catch (...) {
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
  }

  // The batch's rows of one side as the compare reads them: the first
  // n_vocab (default: the plan's) of each.
  RowBatch View(const RowSource& s, SideBuffer& buf, size_t count,
                bool as_llama, size_t n_vocab = 0) const {
    if (n_vocab == 0) n_vocab = plan_.n_vocab;
    if (&s == &base_ && sparse_base_) {
      buf.sparse_rows.resize(count);
      buf.views.resize(count);
      for (size_t i = 0; i < count; ++i) {
        buf.sparse_rows[i] = buf.sparse.Row(i);
        buf.views[i] = RowView::LlamaSparse(&buf.sparse_rows[i], n_vocab);
      }
      return RowBatch::Views(buf.views);
    }
    if (buf.mapped.data != nullptr) {
      return RowBatch::Strided(buf.mapped.data, count, n_vocab,
                               buf.mapped.stride_bytes, buf.mapped.type);
    }
    if (as_llama) {
      const size_t words = LlamaRowWords(s.NVocab());
      return RowBatch::Strided(buf.u16.data(), count, n_vocab,
                               words * sizeof(uint16_t), RowType::kLlamaU16);
    }
    return RowBatch::Strided(buf.f32.data(), count, n_vocab,
                             s.NVocab() * sizeof(float), RowType::kF32);
  }

  void Compare(Batch& batch, std::vector<Accumulator>& accumulators) {
    const size_t threads = options_.threads;
    bool base_llama = !base_.IsFloat();
    if (base_.IsFloat() && options_.mode != CompareMode::kExact) {
      // As llama.cpp would have stored these rows in its base file.
      const size_t n = base_.NVocab();
      const size_t words = LlamaRowWords(n);
      batch.base.u16.resize(batch.count * words);
      QuantizeOptions q;
      q.strict = true;
      const RowBatch logits = View(base_, batch.base, batch.count, false, n);
      ParallelFor(batch.count, threads, [&](size_t i) {
        QuantizeRow(logits.Row(i), {batch.base.u16.data() + i * words, words},
                    q);
      });
      base_.CheckMapped();
      batch.base.mapped = MappedRows{};  // the quantized rows, from here on
      base_llama = true;
    }
    const RowBatch base_rows = View(base_, batch.base, batch.count, base_llama);
    targets_.resize(batch.count);
    for (size_t i = 0; i < batch.count; ++i) {
      targets_[i] = plan_.layout.Target(batch.first + i);
    }
    BatchOptions batch_options;
    batch_options.threads = threads;
    batch_options.compare.mode = options_.mode;
    if (options_.on_tokens) {
      results_.resize(batch.count);
      batch_options.results = results_;  // filled by the same pass
    }
    for (size_t m = 0; m < models_.size(); ++m) {
      const RowBatch model_rows = View(*models_[m], batch.models[m],
                                       batch.count, !models_[m]->IsFloat());
      WithFile(models_[m]->Path(), [&] {
        CompareBatch(base_rows, model_rows, targets_, accumulators[m],
                     batch_options);
      });
      // Before anything is reported: rows read from a file that shrank.
      models_[m]->CheckMapped();
      base_.CheckMapped();
      if (options_.on_tokens) {
        options_.on_tokens(m, batch.first, results_, targets_, plan_.layout);
      }
    }
  }

  RowSource& base_;
  const std::vector<RowSource*>& models_;
  const EvaluateOptions& options_;
  Plan plan_;
  size_t batch_rows_ = 1;
  bool sparse_base_ = false;
  std::vector<int32_t> targets_;
  std::vector<TokenResult> results_;
};

}  // namespace

std::string ToString(const ChunkRange& c) {
  return std::to_string(c.begin) + ":" + std::to_string(c.end);
}

ChunkRange SplitChunks(uint32_t n_chunk, uint32_t part, uint32_t parts) {
  if (parts == 0 || part >= parts) return {0, 0};
  const uint32_t base = n_chunk / parts, extra = n_chunk % parts;
  const uint32_t begin = part * base + std::min(part, extra);
  return {begin, begin + base + (part < extra ? 1 : 0)};
}

Evaluation Evaluate(RowSource& base, const std::vector<RowSource*>& models,
                    const EvaluateOptions& options) {
  if (options.threads < 1 || options.threads > 1024) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "threads must be 1..1024");
  }
  Plan plan = MakePlan(base, models, options);
  Runner runner(base, models, options, std::move(plan));
  return runner.Run();
}

Evaluation EvaluateFiles(const std::string& base,
                         const std::vector<std::string>& models,
                         const EvaluateOptions& options) {
  std::unique_ptr<RowSource> b = OpenRowSource(base, options.threads);
  std::vector<std::unique_ptr<RowSource>> owned;
  std::vector<RowSource*> m;
  for (const std::string& path : models) {
    owned.push_back(OpenRowSource(path, options.threads));
    m.push_back(owned.back().get());
  }
  return Evaluate(*b, m, options);
}

}  // namespace kldkit
