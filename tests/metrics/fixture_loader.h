// The two fixture formats (llama.cpp logits file, NumPy .npy float32) held
// in memory for the parity tests, read with the storage layer's readers.
#ifndef KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_
#define KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace testing {

// A whole llama.cpp base file in memory (the fixtures are 16 MB), read
// through the library's streaming reader.
struct LogitsFile {
  int32_t n_vocab = 0;
  int32_t n_chunk = 0;
  uint64_t rows_per_chunk = 0;
  size_t row_words = 0;
  std::vector<int32_t> targets;  // token predicted by each row
  std::vector<uint16_t> words;   // rows, row_words words each
  size_t RowsPerChunk() const { return rows_per_chunk; }
  size_t RowCount() const { return targets.size(); }
  const uint16_t* Row(size_t i) const { return words.data() + i * row_words; }
  int32_t Target(size_t i) const { return targets[i]; }
};

inline LogitsFile ReadLogitsFile(const std::string& path) {
  const LlamaFileReader reader(path);
  LogitsFile f;
  f.n_vocab = reader.Header().n_vocab;
  f.n_chunk = reader.Header().n_chunk;
  f.rows_per_chunk = kldkit::RowsPerChunk(reader.Header().n_ctx);
  f.row_words = reader.RowWords();
  f.words.resize(reader.RowCount() * f.row_words);
  for (uint64_t r = 0; r < reader.RowCount(); ++r) {
    reader.ReadRow(r, gsl::span<uint16_t>(f.words.data() + r * f.row_words,
                                          f.row_words));
    f.targets.push_back(reader.TargetToken(r));
  }
  return f;
}

// A float32 [rows, cols] .npy array in memory, through the library reader.
struct NpyMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;
  const float* Row(size_t i) const { return data.data() + i * cols; }
};

inline NpyMatrix ReadNpyF32(const std::string& path) {
  NpyReader reader(path);
  NpyMatrix m;
  m.rows = reader.Rows();
  m.cols = reader.Cols();
  m.data.resize(m.rows * m.cols);
  for (size_t r = 0; r < m.rows; ++r) {
    reader.ReadRow(r, gsl::span<float>(m.data.data() + r * m.cols, m.cols));
  }
  return m;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_
