// Owned llama.cpp rows without their zero codes (kldkit::SparseLlamaRow),
// since 0.2: what a .kldz cursor decodes into for the compare's sparse
// path, and what the engine hands the kernels. Header-only.
#ifndef KLDKIT_SPARSE_ROWS_HPP_
#define KLDKIT_SPARSE_ROWS_HPP_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kldkit/row.hpp"

namespace kldkit {

// Rows are appended, then read; Row(i) views stay valid until the next
// non-const call. Memory is kept across Reset, so a buffer reused from
// batch to batch stops allocating once it has held its largest batch.
class SparseRows {
 public:
  explicit SparseRows(size_t n_vocab = 0) { Reset(n_vocab); }

  // Drops the rows (keeps the memory) and sets the vocabulary.
  void Reset(size_t n_vocab) {
    n_vocab_ = n_vocab;
    heads_.clear();
    code_end_.clear();
    bits_.clear();
    codes_used_ = 0;
  }

  size_t NVocab() const { return n_vocab_; }
  size_t Size() const { return heads_.size(); }
  size_t Words() const { return SparseWords(n_vocab_); }

  // Room for one more row with `count` non-zero codes: the caller writes
  // all Words() bitmap words (bits past n_vocab 0) and the `count` codes,
  // in token order, before the next non-const call.
  struct Slot {
    uint64_t* nonzero;
    uint16_t* codes;
  };
  Slot Append(const LlamaRowHeader& header, size_t count) {
    const size_t words = Words();
    heads_.push_back(header);
    bits_.resize(bits_.size() + words);
    // Codes grow geometrically without value-initialising on each row.
    if (codes_.size() < codes_used_ + count) {
      codes_.resize(std::max(codes_used_ + count, 2 * codes_.size()));
    }
    const size_t at = codes_used_;
    codes_used_ += count;
    code_end_.push_back(codes_used_);
    return {bits_.data() + bits_.size() - words, codes_.data() + at};
  }

  // Appends the sparse form of a dense llama.cpp row (LlamaRowWords words).
  void AppendDense(const uint16_t* words) {
    const uint16_t* u = words + 4;
    size_t count = 0;
    for (size_t i = 0; i < n_vocab_; ++i) count += u[i] != 0;
    const Slot s = Append(ReadLlamaRowHeader(words), count);
    std::memset(s.nonzero, 0, Words() * sizeof(uint64_t));
    size_t k = 0;
    for (size_t i = 0; i < n_vocab_; ++i) {
      if (u[i] == 0) continue;
      s.nonzero[i / 64] |= uint64_t{1} << (i % 64);
      s.codes[k++] = u[i];
    }
  }

  SparseLlamaRow Row(size_t i) const {
    SparseLlamaRow r;
    r.header = heads_[i];
    r.nonzero = bits_.data() + i * Words();
    const size_t begin = i == 0 ? 0 : code_end_[i - 1];
    r.codes = codes_.data() + begin;
    r.count = code_end_[i] - begin;
    return r;
  }

  // Writes row i as a dense llama.cpp row (LlamaRowWords(n_vocab) words,
  // an odd vocabulary's padding word 0).
  void ToDense(size_t i, uint16_t* words) const {
    const SparseLlamaRow r = Row(i);
    std::memcpy(words, &r.header.scale, sizeof(float));
    std::memcpy(words + 2, &r.header.min_log_prob, sizeof(float));
    uint16_t* u = words + 4;
    std::memset(u, 0, (LlamaRowWords(n_vocab_) - 4) * sizeof(uint16_t));
    size_t k = 0;
    for (size_t w = 0; w < Words(); ++w) {
      for (uint64_t b = r.nonzero[w]; b != 0; b &= b - 1) {
        u[w * 64 + static_cast<size_t>(__builtin_ctzll(b))] = r.codes[k++];
      }
    }
  }

 private:
  size_t n_vocab_ = 0;
  std::vector<LlamaRowHeader> heads_;
  std::vector<size_t> code_end_;  // one past each row's last code
  std::vector<uint64_t> bits_;
  std::vector<uint16_t> codes_;
  size_t codes_used_ = 0;
};

}  // namespace kldkit

#endif  // KLDKIT_SPARSE_ROWS_HPP_
