// LlamaFileWriter: header and tokens up front, rows appended as they come,
// `path`.tmp renamed to `path` only once every row is in.
#include <cstring>

#include "kldkit/llamacpp_file.hpp"
#include "lib/common/error.h"
#include "lib/storage/io_file.h"
#include "lib/storage/llamacpp_format.h"

namespace kldkit {

struct LlamaFileWriter::Impl {
  explicit Impl(const std::string& path) : out(path) {}

  detail::TempFileWriter out;
  size_t row_words = 0;
  uint64_t expected_rows = 0;
  uint64_t rows = 0;
  bool closed = false;
};

LlamaFileWriter::LlamaFileWriter(const std::string& path,
                                 const LlamaFileHeader& header,
                                 gsl::span<const int32_t> tokens) {
  const std::string problem = detail::LlamaHeaderProblem(header);
  if (!problem.empty()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": invalid header: " + problem);
  }
  const uint64_t n_tokens = detail::LlamaTokenCount(header);
  if (tokens.size() != n_tokens) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": " + std::to_string(tokens.size()) +
                      " tokens given, n_ctx * n_chunk = " +
                      std::to_string(n_tokens));
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= header.n_vocab) {
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                    path + ": token " + std::to_string(i) + " is " +
                        std::to_string(tokens[i]) + ", outside 0.." +
                        std::to_string(header.n_vocab - 1));
    }
  }
  impl_ = std::make_unique<Impl>(path);
  impl_->row_words = LlamaRowWords(static_cast<size_t>(header.n_vocab));
  impl_->expected_rows =
      RowsPerChunk(header.n_ctx) * static_cast<uint64_t>(header.n_chunk);
  char head[detail::kLlamaHeaderBytes];
  std::memcpy(head, detail::kLlamaMagic, 8);
  std::memcpy(head + 8, &header.n_ctx, 4);
  std::memcpy(head + 12, &header.n_vocab, 4);
  std::memcpy(head + 16, &header.n_chunk, 4);
  impl_->out.Write(head, sizeof(head));
  impl_->out.Write(tokens.data(), tokens.size() * sizeof(int32_t));
}

LlamaFileWriter::~LlamaFileWriter() = default;  // TempFileWriter cleans up

void LlamaFileWriter::AppendRow(gsl::span<const uint16_t> row) {
  Impl& m = *impl_;
  const std::string& path = m.out.TempPath();
  if (m.closed) detail::Throw(KLDKIT_ERROR_CLOSED, "AppendRow after Close");
  if (row.size() != m.row_words) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": row of " + std::to_string(row.size()) +
                      " words, expected " + std::to_string(m.row_words));
  }
  if (m.rows == m.expected_rows) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  path + ": more rows than n_chunk * rows per chunk = " +
                      std::to_string(m.expected_rows));
  }
  m.out.Write(row.data(), row.size() * sizeof(uint16_t));
  ++m.rows;
}

uint64_t LlamaFileWriter::RowCount() const { return impl_->rows; }

void LlamaFileWriter::Close() {
  Impl& m = *impl_;
  if (m.closed) detail::Throw(KLDKIT_ERROR_CLOSED, "Close called twice");
  if (m.rows != m.expected_rows) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  m.out.TempPath() + ": " + std::to_string(m.rows) + " of " +
                      std::to_string(m.expected_rows) + " rows written");
  }
  m.closed = true;
  m.out.Commit();
}

}  // namespace kldkit
