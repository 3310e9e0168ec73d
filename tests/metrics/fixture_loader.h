// A small test-local reader for the two fixture formats (llama.cpp logits
// file, NumPy .npy float32), allowed until the storage layer's readers land.
#ifndef KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_
#define KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "kldkit/row.hpp"

namespace kldkit {
namespace testing {

inline std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct LogitsFile {
  uint32_t n_ctx = 0;
  int32_t n_vocab = 0;
  int32_t n_chunk = 0;
  std::vector<int32_t> tokens;
  std::vector<uint16_t> words;  // rows, LlamaRowWords(n_vocab) words each
  size_t RowsPerChunk() const { return n_ctx - 1 - n_ctx / 2; }
  size_t RowCount() const { return RowsPerChunk() * size_t(n_chunk); }
  const uint16_t* Row(size_t i) const {
    return words.data() + i * LlamaRowWords(size_t(n_vocab));
  }
  // Target token of scored row i (row k of chunk c sits at n_ctx/2 + k).
  int32_t Target(size_t i) const {
    const size_t c = i / RowsPerChunk(), k = i % RowsPerChunk();
    return tokens[c * n_ctx + n_ctx / 2 + k + 1];
  }
};

inline LogitsFile ReadLogitsFile(const std::string& path) {
  const std::vector<uint8_t> b = ReadAll(path);
  LogitsFile f;
  if (b.size() < 20 || std::memcmp(b.data(), "_logits_", 8) != 0) {
    throw std::runtime_error("not a llama.cpp logits file: " + path);
  }
  std::memcpy(&f.n_ctx, &b[8], 4);
  std::memcpy(&f.n_vocab, &b[12], 4);
  std::memcpy(&f.n_chunk, &b[16], 4);
  const size_t n_tokens = size_t(f.n_ctx) * size_t(f.n_chunk);
  f.tokens.resize(n_tokens);
  std::memcpy(f.tokens.data(), &b[20], n_tokens * 4);
  const size_t offset = 20 + n_tokens * 4;
  f.words.resize(f.RowCount() * LlamaRowWords(size_t(f.n_vocab)));
  if (b.size() != offset + f.words.size() * 2) {
    throw std::runtime_error("unexpected logits file size: " + path);
  }
  std::memcpy(f.words.data(), &b[offset], f.words.size() * 2);
  return f;
}

// A C-order float32 2-D .npy array.
struct NpyMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;
  const float* Row(size_t i) const { return data.data() + i * cols; }
};

inline NpyMatrix ReadNpyF32(const std::string& path) {
  const std::vector<uint8_t> b = ReadAll(path);
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) {
    throw std::runtime_error("not a .npy file: " + path);
  }
  size_t header_len = 0, start = 0;
  if (b[6] == 1) {
    header_len = b[8] | b[9] << 8;
    start = 10;
  } else {
    header_len = b[8] | b[9] << 8 | b[10] << 16 | size_t(b[11]) << 24;
    start = 12;
  }
  const std::string header(b.begin() + start, b.begin() + start + header_len);
  if (header.find("'<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error("expected little-endian float32 C order: " + path);
  }
  const size_t open = header.find('(', header.find("'shape'"));
  NpyMatrix m;
  m.rows = std::stoul(header.substr(open + 1));
  m.cols = std::stoul(header.substr(header.find(',', open) + 1));
  const size_t offset = start + header_len;
  if (b.size() != offset + m.rows * m.cols * 4) {
    throw std::runtime_error("unexpected .npy size: " + path);
  }
  m.data.resize(m.rows * m.cols);
  std::memcpy(m.data.data(), &b[offset], m.data.size() * 4);
  return m;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_METRICS_FIXTURE_LOADER_H_
