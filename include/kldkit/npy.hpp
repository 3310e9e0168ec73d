// NumPy .npy arrays (format versions 1.0, 2.0, 3.0): a streaming reader of
// little-endian float32, float16 and int32 arrays of 1 or 2 dimensions in C
// order, and a writer of float32 2-D and int32 1-D arrays. This is how float
// logits dumped from Python (np.save) enter kldkit.
#ifndef KLDKIT_NPY_HPP_
#define KLDKIT_NPY_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gsl/span>

#include "kldkit/error.hpp"

namespace kldkit {

// Element type of an array. Values are pinned.
enum class NpyDtype : uint32_t {
  kF32 = 0,  // '<f4'
  kF16 = 1,  // '<f2'
  kI32 = 2,  // '<i4'
};

// Reads an .npy file. Memory: the header only; rows are read on demand.
// Thread safety: ReadRow and ReadInt32 may be called concurrently
// (positioned reads); everything else is const.
class NpyReader {
 public:
  // Throws IO (cannot open), FORMAT (bad magic, malformed header, more data
  // than the shape), TRUNCATED (less data than the shape; the message says
  // how many complete rows), UNSUPPORTED (other versions, dtypes or byte
  // order, fortran_order True, 0 or more than 2 dimensions).
  explicit NpyReader(const std::string& path);
  ~NpyReader();
  NpyReader(const NpyReader&) = delete;
  NpyReader& operator=(const NpyReader&) = delete;

  const std::string& Path() const;
  NpyDtype Dtype() const;
  const std::vector<uint64_t>& Shape() const;  // 1 or 2 entries
  uint64_t Rows() const;  // shape[0] of a 2-D array; 1 for a 1-D array
  uint64_t Cols() const;  // shape[1] of a 2-D array; shape[0] for 1-D
  // Since 0.2: where the data starts in the file (C order, little-endian,
  // Cols() elements a row), for callers that map the file.
  uint64_t DataOffset() const;

  // Float arrays: copies row `row` (< Rows()) into `out` (Cols() floats),
  // float16 widened exactly. Throws INVALID_ARGUMENT for a bad row or size,
  // or an int32 array.
  void ReadRow(uint64_t row, gsl::span<float> out) const;

  // Int32 arrays (token ids): every element in C order. Throws
  // INVALID_ARGUMENT for a float array.
  std::vector<int32_t> ReadInt32() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes a float32 array of shape [rows, cols] row by row, as np.save would
// (format 1.0, header padded to 64 bytes). The file is written to `path`.tmp
// and renamed by Close(), as LlamaFileWriter does. Not thread-safe.
class NpyF32Writer {
 public:
  // Throws IO if the file cannot be created.
  NpyF32Writer(const std::string& path, uint64_t rows, uint64_t cols);
  ~NpyF32Writer();  // without Close(): removes the temporary file
  NpyF32Writer(const NpyF32Writer&) = delete;
  NpyF32Writer& operator=(const NpyF32Writer&) = delete;

  // Appends one row of `cols` floats. Throws INVALID_ARGUMENT (size),
  // MISMATCH (more than `rows` rows), IO.
  void AppendRow(gsl::span<const float> row);
  // Throws MISMATCH if rows are missing, IO.
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes `values` as a 1-D int32 array (e.g. token ids). Throws IO.
void WriteNpyInt32(const std::string& path, gsl::span<const int32_t> values);

}  // namespace kldkit

#endif  // KLDKIT_NPY_HPP_
