// .npy writers: float32 [rows, cols] streamed row by row, int32 [n] at once.
#include <string>

#include "kldkit/npy.hpp"
#include "lib/common/error.h"
#include "lib/storage/io_file.h"
#include "lib/storage/npy_format.h"

namespace kldkit {

struct NpyF32Writer::Impl {
  explicit Impl(const std::string& path) : out(path) {}

  detail::TempFileWriter out;
  uint64_t rows = 0;
  uint64_t cols = 0;
  uint64_t written = 0;
  bool closed = false;
};

NpyF32Writer::NpyF32Writer(const std::string& path, uint64_t rows,
                           uint64_t cols)
    : impl_(std::make_unique<Impl>(path)) {
  impl_->rows = rows;
  impl_->cols = cols;
  const std::string head = detail::FormatNpyHeader("<f4", {rows, cols});
  impl_->out.Write(head.data(), head.size());
}

NpyF32Writer::~NpyF32Writer() = default;  // TempFileWriter cleans up

void NpyF32Writer::AppendRow(gsl::span<const float> row) {
  Impl& m = *impl_;
  if (m.closed) detail::Throw(KLDKIT_ERROR_CLOSED, "AppendRow after Close");
  if (row.size() != m.cols) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  m.out.TempPath() + ": row of " + std::to_string(row.size()) +
                      " floats, expected " + std::to_string(m.cols));
  }
  if (m.written == m.rows) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  m.out.TempPath() + ": more than " + std::to_string(m.rows) +
                      " rows");
  }
  m.out.Write(row.data(), row.size() * sizeof(float));
  ++m.written;
}

void NpyF32Writer::Close() {
  Impl& m = *impl_;
  if (m.closed) detail::Throw(KLDKIT_ERROR_CLOSED, "Close called twice");
  if (m.written != m.rows) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  m.out.TempPath() + ": " + std::to_string(m.written) +
                      " of " + std::to_string(m.rows) + " rows written");
  }
  m.closed = true;
  m.out.Commit();
}

void WriteNpyInt32(const std::string& path, gsl::span<const int32_t> values) {
  detail::TempFileWriter out(path);
  const std::string head = detail::FormatNpyHeader("<i4", {values.size()});
  out.Write(head.data(), head.size());
  out.Write(values.data(), values.size() * sizeof(int32_t));
  out.Commit();
}

}  // namespace kldkit
