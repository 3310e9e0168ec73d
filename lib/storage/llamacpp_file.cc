// LlamaFileReader: validates the header against the file size before
// allocating anything, keeps only the tokens in memory, reads rows with
// pread so that ReadRow is thread-safe.
#include "kldkit/llamacpp_file.hpp"

#include <algorithm>
#include <cstring>

#include "lib/common/error.h"
#include "lib/storage/io_file.h"
#include "lib/storage/llamacpp_format.h"

namespace kldkit {

namespace {

// Where the rows are, derived from the header and the file size.
struct Layout {
  LlamaFileHeader header;
  uint64_t rows_per_chunk = 0;
  uint64_t expected_rows = 0;
  uint64_t complete_rows = 0;
  uint64_t row_bytes = 0;
  uint64_t data_offset = 0;
};

std::string RowsText(uint64_t complete, uint64_t expected) {
  return std::to_string(complete) + " of " + std::to_string(expected) +
         " rows complete";
}

// Reads and checks the 20-byte header (magic, limits).
LlamaFileHeader ReadHeader(const detail::ReadFile& file) {
  const std::string& path = file.Path();
  char bytes[detail::kLlamaHeaderBytes] = {};
  const uint64_t size = file.Size();
  const size_t have = size < sizeof(bytes) ? static_cast<size_t>(size)
                                           : sizeof(bytes);
  file.ReadAt(0, bytes, have);
  const size_t magic_have = have < 8 ? have : 8;
  if (std::memcmp(bytes, detail::kLlamaMagic, magic_have) != 0) {
    detail::Throw(KLDKIT_ERROR_FORMAT,
                  path + ": not a llama.cpp logits file (no _logits_ magic)");
  }
  if (have < sizeof(bytes)) {
    detail::Throw(KLDKIT_ERROR_TRUNCATED,
                  path + ": ends inside the 20-byte header after " +
                      std::to_string(have) + " bytes (0 rows complete)");
  }
  LlamaFileHeader h;
  std::memcpy(&h.n_ctx, bytes + 8, 4);
  std::memcpy(&h.n_vocab, bytes + 12, 4);
  std::memcpy(&h.n_chunk, bytes + 16, 4);
  const std::string problem = detail::LlamaHeaderProblem(h);
  if (!problem.empty()) {
    detail::Throw(KLDKIT_ERROR_FORMAT, path + ": invalid header: " + problem);
  }
  return h;
}

// Sets the row geometry from the header and the file size; throws
// TRUNCATED/FORMAT per the class contract.
void MeasureRows(const detail::ReadFile& file, bool allow_truncated,
                 Layout& m) {
  const std::string& path = file.Path();
  const uint64_t size = file.Size();
  m.rows_per_chunk = RowsPerChunk(m.header.n_ctx);
  m.expected_rows = m.rows_per_chunk * static_cast<uint64_t>(m.header.n_chunk);
  m.row_bytes = detail::LlamaRowBytes(m.header);
  m.data_offset = detail::LlamaDataOffset(m.header);
  if (size < m.data_offset) {
    detail::Throw(KLDKIT_ERROR_TRUNCATED,
                  path + ": ends inside the token list (" +
                      RowsText(0, m.expected_rows) + ")");
  }
  const uint64_t data_bytes = size - m.data_offset;
  m.complete_rows = data_bytes / m.row_bytes;
  if (m.complete_rows < m.expected_rows) {
    if (!allow_truncated) {
      const uint64_t partial = data_bytes % m.row_bytes;
      detail::Throw(KLDKIT_ERROR_TRUNCATED,
                    path + ": truncated: " +
                        RowsText(m.complete_rows, m.expected_rows) +
                        (partial != 0 ? " plus " + std::to_string(partial) +
                                            " bytes of a partial row"
                                      : std::string()));
    }
    return;
  }
  // complete_rows >= expected_rows, so this product fits in data_bytes.
  const uint64_t trailing = data_bytes - m.expected_rows * m.row_bytes;
  if (trailing != 0) {
    detail::Throw(KLDKIT_ERROR_FORMAT,
                  path + ": " + std::to_string(trailing) +
                      " unexpected bytes after the last of " +
                      std::to_string(m.expected_rows) + " rows");
  }
  m.complete_rows = m.expected_rows;
}

// Reads the tokens; every id must index the vocabulary.
std::vector<int32_t> ReadTokens(const detail::ReadFile& file,
                                const LlamaFileHeader& h) {
  std::vector<int32_t> tokens(static_cast<size_t>(detail::LlamaTokenCount(h)));
  file.ReadAt(detail::kLlamaHeaderBytes, tokens.data(),
              tokens.size() * sizeof(int32_t));
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= h.n_vocab) {
      detail::Throw(KLDKIT_ERROR_FORMAT,
                    file.Path() + ": token " + std::to_string(i) + " is " +
                        std::to_string(tokens[i]) + ", outside 0.." +
                        std::to_string(h.n_vocab - 1));
    }
  }
  return tokens;
}

}  // namespace

struct LlamaFileReader::Impl {
  explicit Impl(const std::string& path) : file(path) {}

  detail::ReadFile file;
  Layout layout;
  std::vector<int32_t> tokens;
};

LlamaFileReader::LlamaFileReader(const std::string& path, bool allow_truncated)
    : impl_(std::make_unique<Impl>(path)) {
  impl_->layout.header = ReadHeader(impl_->file);
  MeasureRows(impl_->file, allow_truncated, impl_->layout);
  impl_->tokens = ReadTokens(impl_->file, impl_->layout.header);
}

LlamaFileReader::~LlamaFileReader() = default;

uint64_t LlamaFileReader::DataOffset() const {
  return impl_->layout.data_offset;
}

const LlamaFileHeader& LlamaFileReader::Header() const {
  return impl_->layout.header;
}

gsl::span<const int32_t> LlamaFileReader::Tokens() const {
  return {impl_->tokens.data(), impl_->tokens.size()};
}

size_t LlamaFileReader::RowWords() const {
  return LlamaRowWords(static_cast<size_t>(impl_->layout.header.n_vocab));
}

uint64_t LlamaFileReader::RowCount() const {
  return impl_->layout.complete_rows;
}

uint64_t LlamaFileReader::ExpectedRowCount() const {
  return impl_->layout.expected_rows;
}

int32_t LlamaFileReader::TargetToken(uint64_t row) const {
  if (row >= impl_->layout.expected_rows) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "row " + std::to_string(row) + " is outside 0.." +
                      std::to_string(impl_->layout.expected_rows - 1));
  }
  return LlamaTargetToken(impl_->tokens, impl_->layout.header.n_ctx, row);
}

int32_t LlamaTargetToken(gsl::span<const int32_t> tokens, uint32_t n_ctx,
                         uint64_t row) {
  const uint64_t at =
      RowsPerChunk(n_ctx) == 0 ? UINT64_MAX : LlamaTargetIndex(n_ctx, row);
  if (at >= tokens.size()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "row " + std::to_string(row) +
                      " is past the rows of the token layout (n_ctx " +
                      std::to_string(n_ctx) + ", " +
                      std::to_string(tokens.size()) + " tokens)");
  }
  return tokens[static_cast<size_t>(at)];
}

RowFloor LlamaFileReader::ScanFloor(uint64_t max_rows) const {
  const Layout& m = impl_->layout;
  RowFloorScan scan;
  const uint64_t rows = std::min(max_rows, m.complete_rows);
  for (uint64_t r = 0; r < rows; ++r) {
    uint16_t head[4];
    impl_->file.ReadAt(m.data_offset + r * m.row_bytes, head, sizeof(head));
    scan.Add(ReadLlamaRowHeader(head));
  }
  RowFloor f = scan.Result();
  f.sampled = rows < m.complete_rows;
  return f;
}

void LlamaFileReader::ReadRow(uint64_t row, gsl::span<uint16_t> out) const {
  if (row >= impl_->layout.complete_rows) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  impl_->file.Path() + ": row " + std::to_string(row) +
                      " requested, the file holds " +
                      std::to_string(impl_->layout.complete_rows));
  }
  if (out.size() != RowWords()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "ReadRow: output holds " + std::to_string(out.size()) +
                      " words, a row has " + std::to_string(RowWords()));
  }
  const Layout& m = impl_->layout;
  impl_->file.ReadAt(m.data_offset + row * m.row_bytes, out.data(),
                     static_cast<size_t>(m.row_bytes));
}

}  // namespace kldkit
