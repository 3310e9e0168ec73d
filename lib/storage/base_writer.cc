// BaseWriter: quantized or float rows into either row sink, with each
// row's target token from the layout.
#include "kldkit/base_writer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kldkit/file_kind.hpp"
#include "lib/common/error.h"
#include "lib/common/parallel.h"
#include "lib/storage/npy_half.h"

namespace kldkit {
namespace {

// Logit `i` of a float row as a float.
float LogitAt(RowView row, size_t i) {
  const auto* words = static_cast<const uint16_t*>(row.data);
  switch (row.type) {
    case RowType::kF32:
      return static_cast<const float*>(row.data)[i];
    case RowType::kF16:
      return detail::HalfToFloat(words[i]);
    default: {  // bfloat16: the high half of a float
      const uint32_t bits = uint32_t{words[i]} << 16;
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      return f;
    }
  }
}

std::unique_ptr<RowSink> OpenSink(const std::string& path,
                                  const LlamaFileHeader& header,
                                  gsl::span<const int32_t> tokens,
                                  const BaseWriterOptions& o, uint32_t end) {
  if (!HasKldzExtension(path)) {
    detail::Require(!o.shard, "a shard needs a .kldz");
    detail::Require(!o.allow_partial,
                    "allow_partial needs a .kldz: a llama.cpp file must hold "
                    "every chunk its header names");
    detail::Require(o.container.keep == KeepProfile::kAll,
                    "a keep profile needs a .kldz");
    return std::make_unique<LlamaFileWriter>(path, header, tokens);
  }
  ContainerInfo info;
  info.header = header;
  info.tokens.assign(tokens.begin(), tokens.end());
  info.metadata = o.metadata;
  info.shard = o.shard && (o.first_chunk != 0 || end != uint32_t(header.n_chunk));
  info.first_chunk = info.shard ? o.first_chunk : 0;
  ContainerOptions c = o.container;
  c.floor = o.quantize.floor;
  return std::make_unique<ContainerWriter>(path, info, c);
}

}  // namespace

struct BaseWriter::Impl {
  std::unique_ptr<RowSink> sink;
  BaseWriterOptions options;
  std::vector<int32_t> tokens;
  uint32_t n_ctx = 0;
  size_t n_vocab = 0;
  uint64_t expected = 0;
  uint64_t global_first = 0;   // row of the run that row 0 is (a shard)
  std::vector<uint16_t> rows;  // quantized rows waiting to be appended
  uint64_t closed_rows = 0;    // rows written, once closed
  bool closed = false;

  void CheckOpen() const {
    if (closed) detail::Throw(KLDKIT_ERROR_CLOSED, "base writer is closed");
  }
  void CheckRoom(uint64_t n) const {
    if (sink->RowCount() + n > expected) {
      detail::Throw(KLDKIT_ERROR_MISMATCH,
                    "more rows than the layout's " + std::to_string(expected));
    }
  }
  void CheckFloor(const QuantizeOptions& q) const {
    detail::Require(q.floor == options.quantize.floor,
                    "quantize options with another floor than the writer's: "
                    "a file has one floor");
  }
  // Quantizes row `i` of `logits` into rows[i]; its numbers into *out.
  void Quantize(RowView logits, const QuantizeOptions& quantize, size_t i,
                AppendedRow* out) {
    const size_t words = LlamaRowWords(n_vocab);
    detail::Require(logits.IsFloat() && logits.n_vocab == n_vocab,
                    "logits must be a float row of the file's n_vocab");
    const QuantizeInfo q = QuantizeRow(
        logits, gsl::make_span(rows.data() + i * words, words), quantize);
    const int32_t target =
        LlamaTargetToken(tokens, n_ctx, global_first + sink->RowCount() + i);
    out->log_sum_exp = q.max + q.log_sum_exp;
    out->nll = q.Nll(LogitAt(logits, static_cast<size_t>(target)));
  }
};

BaseWriter::BaseWriter(const std::string& path, uint32_t n_ctx,
                       int32_t n_vocab, gsl::span<const int32_t> tokens,
                       const BaseWriterOptions& options)
    : impl_(new Impl) {
  detail::Require(n_ctx >= 3, "n_ctx must be at least 3");
  detail::Require(n_vocab >= 1, "n_vocab must be at least 1");
  detail::Require(!tokens.empty() && tokens.size() % n_ctx == 0,
                  "tokens must hold a whole number (>= 1) of n_ctx chunks");
  detail::Require(options.threads >= 1 && options.threads <= 1024,
                  "threads must be 1..1024");
  for (int32_t t : tokens) {
    detail::Require(t >= 0 && t < n_vocab, "a token id is outside 0..n_vocab-1");
  }
  const auto n_chunk = static_cast<int32_t>(
      std::min<uint64_t>(tokens.size() / n_ctx, INT32_MAX));
  Impl& m = *impl_;
  m.options = options;
  m.tokens.assign(tokens.begin(), tokens.end());
  m.n_ctx = n_ctx;
  m.n_vocab = static_cast<size_t>(n_vocab);
  uint32_t first = 0, end = static_cast<uint32_t>(n_chunk);
  if (options.shard) {
    first = options.first_chunk;
    if (options.end_chunk != 0) end = options.end_chunk;
    detail::Require(first < end && end <= uint32_t(n_chunk),
                    "shard chunks [first_chunk, end_chunk) must be a "
                    "non-empty range of the tokens' chunks");
  }
  m.global_first = RowsPerChunk(n_ctx) * first;
  m.expected = RowsPerChunk(n_ctx) * (end - first);
  m.sink = OpenSink(path, LlamaFileHeader{n_ctx, n_vocab, n_chunk}, tokens,
                    options, end);
}

BaseWriter::~BaseWriter() = default;  // an unclosed sink removes path.tmp

void BaseWriter::AppendRow(gsl::span<const uint16_t> row) {
  impl_->CheckOpen();
  impl_->CheckRoom(1);
  impl_->sink->AppendRow(row);
}

AppendedRow BaseWriter::AppendLogits(RowView logits) {
  return AppendLogits(logits, impl_->options.quantize);
}

AppendedRow BaseWriter::AppendLogits(RowView logits,
                                     const QuantizeOptions& quantize) {
  Impl& m = *impl_;
  m.CheckOpen();
  m.CheckFloor(quantize);
  m.CheckRoom(1);
  m.rows.resize(LlamaRowWords(m.n_vocab));
  AppendedRow out;
  m.Quantize(logits, quantize, 0, &out);
  m.sink->AppendRow(m.rows);
  return out;
}

void BaseWriter::AppendLogitsBatch(const RowBatch& logits,
                                   gsl::span<AppendedRow> results) {
  AppendLogitsBatch(logits, impl_->options.quantize, results);
}

void BaseWriter::AppendLogitsBatch(const RowBatch& logits,
                                   const QuantizeOptions& quantize,
                                   gsl::span<AppendedRow> results) {
  Impl& m = *impl_;
  m.CheckOpen();
  m.CheckFloor(quantize);
  const size_t n = logits.Size();
  detail::Require(results.empty() || results.size() == n,
                  "results must be empty or hold one element per row");
  m.CheckRoom(n);
  const size_t words = LlamaRowWords(m.n_vocab);
  m.rows.resize(n * words);
  std::vector<AppendedRow> numbers(n);
  detail::ParallelFor(n, m.options.threads, [&](size_t i) {
    try {
      m.Quantize(logits.Row(i), quantize, i, &numbers[i]);
    } catch (const Error& e) {
      detail::Throw(e.Status(), "row " + std::to_string(i) + " of the batch: " +
                                    e.what());
    }
  });
  for (size_t i = 0; i < n; ++i) {
    m.sink->AppendRow(gsl::make_span(m.rows.data() + i * words, words));
  }
  if (!results.empty()) std::copy(numbers.begin(), numbers.end(), results.begin());
}

void BaseWriter::Close() {
  Impl& m = *impl_;
  m.CheckOpen();
  m.closed = true;  // final whatever the outcome
  std::unique_ptr<RowSink> sink = std::move(m.sink);  // dies: removes .tmp
  const uint64_t rows = sink->RowCount();
  m.closed_rows = rows;
  if (rows != m.expected && !m.options.allow_partial) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  std::to_string(rows) + " of " + std::to_string(m.expected) +
                      " rows written (allow_partial keeps a run cut short)");
  }
  sink->Close();
}

uint64_t BaseWriter::RowCount() const {
  return impl_->sink ? impl_->sink->RowCount() : impl_->closed_rows;
}

uint64_t BaseWriter::ExpectedRows() const { return impl_->expected; }

float BaseWriter::Floor() const { return impl_->options.quantize.floor; }

}  // namespace kldkit
