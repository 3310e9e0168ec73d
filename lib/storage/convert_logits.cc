// Float logits (.npy) + tokens -> llama.cpp file, one row at a time.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kldkit/base_writer.hpp"
#include "kldkit/convert.hpp"
#include "kldkit/file_kind.hpp"
#include "lib/common/error.h"
#include "lib/storage/io_file.h"
#include "lib/storage/llamacpp_format.h"

namespace kldkit {
namespace {

// The header the conversion will write, checked against the inputs.
void RequireFloatLogits(const NpyReader& logits) {
  if (logits.Dtype() == NpyDtype::kI32) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  logits.Path() + ": logits must be float32 or float16, not "
                                  "int32");
  }
}

LlamaFileHeader PlanHeader(const NpyReader& logits,
                           gsl::span<const int32_t> tokens, uint32_t n_ctx) {
  const std::string& path = logits.Path();
  RequireFloatLogits(logits);
  if (n_ctx < 3 || n_ctx > detail::kLlamaMaxCtx) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "n_ctx " + std::to_string(n_ctx) + " is outside 3.." +
                      std::to_string(detail::kLlamaMaxCtx));
  }
  if (logits.Cols() < 1 ||
      logits.Cols() > static_cast<uint64_t>(detail::kLlamaMaxVocab)) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": vocabulary of " + std::to_string(logits.Cols()) +
                      " is outside 1.." +
                      std::to_string(detail::kLlamaMaxVocab));
  }
  const uint64_t n_chunk = tokens.size() / n_ctx;
  if (tokens.size() % n_ctx != 0 || n_chunk == 0 || n_chunk > INT32_MAX) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  std::to_string(tokens.size()) +
                      " tokens are not a positive whole number of chunks of "
                      "n_ctx " + std::to_string(n_ctx));
  }
  const uint64_t want_rows = n_chunk * RowsPerChunk(n_ctx);
  if (logits.Rows() != want_rows) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  path + ": " + std::to_string(logits.Rows()) +
                      " rows of logits, " + std::to_string(n_chunk) +
                      " chunks of n_ctx " + std::to_string(n_ctx) + " need " +
                      std::to_string(want_rows));
  }
  LlamaFileHeader h;
  h.n_ctx = n_ctx;
  h.n_vocab = static_cast<int32_t>(logits.Cols());
  h.n_chunk = static_cast<int32_t>(n_chunk);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= h.n_vocab) {
      detail::Throw(KLDKIT_ERROR_MISMATCH,
                    "token " + std::to_string(i) + " is " +
                        std::to_string(tokens[i]) + ", outside the logits' "
                        "vocabulary 0.." + std::to_string(h.n_vocab - 1));
    }
  }
  return h;
}

bool IsLlamaFile(const std::string& path) {
  return DetectFileKind(path) == FileKind::kLlama;
}

}  // namespace

namespace {

// Streams every row of `logits` through a BaseWriter into `out_path`.
ConvertResult ConvertWith(const NpyReader& logits,
                          gsl::span<const int32_t> tokens, uint32_t n_ctx,
                          const std::string& out_path,
                          const BaseWriterOptions& options) {
  ConvertResult result;
  result.header = PlanHeader(logits, tokens, n_ctx);
  BaseWriter writer(out_path, n_ctx, result.header.n_vocab, tokens, options);
  std::vector<float> row(static_cast<size_t>(logits.Cols()));
  for (uint64_t r = 0; r < logits.Rows(); ++r) {
    logits.ReadRow(r, row);
    try {
      writer.AppendLogits(RowView::F32(row));
    } catch (const Error& e) {
      // The row number is what the caller needs to find the bad data.
      detail::Throw(e.Status(), logits.Path() + ": row " + std::to_string(r) +
                                    ": " + e.what());
    }
  }
  writer.Close();
  result.rows = logits.Rows();
  return result;
}

}  // namespace

ConvertResult ConvertLogits(const NpyReader& logits,
                            gsl::span<const int32_t> tokens, uint32_t n_ctx,
                            const std::string& out_path,
                            const QuantizeOptions& options) {
  BaseWriterOptions o;
  o.quantize = options;
  return ConvertWith(logits, tokens, n_ctx, out_path, o);
}

ConvertResult ConvertLogitsFile(const std::string& logits_npy,
                                const std::string& tokens_path,
                                const std::string& out_path,
                                const ConvertOptions& options) {
  const NpyReader logits(logits_npy);
  RequireFloatLogits(logits);
  uint32_t n_ctx = options.n_ctx;
  std::vector<int32_t> tokens;
  if (IsLlamaFile(tokens_path)) {
    const LlamaFileReader source(tokens_path, /*allow_truncated=*/true);
    const LlamaFileHeader& h = source.Header();
    if (n_ctx != 0 && n_ctx != h.n_ctx) {
      detail::Throw(KLDKIT_ERROR_MISMATCH,
                    tokens_path + ": n_ctx " + std::to_string(h.n_ctx) +
                        ", but n_ctx " + std::to_string(n_ctx) + " was given");
    }
    if (static_cast<uint64_t>(h.n_vocab) != logits.Cols()) {
      detail::Throw(KLDKIT_ERROR_MISMATCH,
                    tokens_path + ": n_vocab " + std::to_string(h.n_vocab) +
                        ", but " + logits_npy + " has " +
                        std::to_string(logits.Cols()) + " columns");
    }
    n_ctx = h.n_ctx;
    tokens.assign(source.Tokens().begin(), source.Tokens().end());
  } else {
    const NpyReader source(tokens_path);
    if (source.Dtype() != NpyDtype::kI32) {
      detail::Throw(KLDKIT_ERROR_UNSUPPORTED,
                    tokens_path + ": token ids must be an int32 array");
    }
    if (n_ctx == 0 && source.Shape().size() == 2) {
      n_ctx = static_cast<uint32_t>(
          std::min<uint64_t>(source.Cols(), UINT32_MAX));
    }
    if (n_ctx == 0) {
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                    tokens_path + ": a 1-D token list needs n_ctx");
    }
    tokens = source.ReadInt32();
  }
  BaseWriterOptions writer = options.writer;
  writer.quantize = options.quantize;
  return ConvertWith(logits, tokens, n_ctx, out_path, writer);
}

}  // namespace kldkit
