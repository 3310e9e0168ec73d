// Row views: what the kernels read. A row is one next-token distribution over
// a vocabulary of n_vocab entries, either as float logits (f32, f16, bf16) or
// as a llama.cpp base-file row of uint16 words.
#ifndef KLDKIT_ROW_HPP_
#define KLDKIT_ROW_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <gsl/span>

namespace kldkit {

// Element type of a row. Values are pinned (they cross the C ABI).
enum class RowType : uint32_t {
  kF32 = 0,       // float logits (or log-probabilities)
  kF16 = 1,       // IEEE half logits, as raw uint16 bits
  kBF16 = 2,      // bfloat16 logits, as raw uint16 bits
  kLlamaU16 = 3,  // a llama.cpp row: scale, min_log_prob, n_vocab codes
  // Since 0.2, C++ only: a llama.cpp row without its zero codes
  // (SparseLlamaRow), as a .kldz block stores it.
  kLlamaSparse = 4,
};

// Number of uint16 words in a llama.cpp row for a vocabulary of n_vocab:
// two floats (4 words), then n_vocab codes rounded up to an even count.
constexpr size_t LlamaRowWords(size_t n_vocab) {
  return 2 * ((n_vocab + 1) / 2) + 4;
}

// The two float fields at the head of a llama.cpp row.
struct LlamaRowHeader {
  float scale;         // (max - min_logit) / 65535
  float min_log_prob;  // log-probability of code 0
};

inline LlamaRowHeader ReadLlamaRowHeader(const uint16_t* words) {
  LlamaRowHeader h;
  std::memcpy(&h.scale, words, sizeof(float));
  std::memcpy(&h.min_log_prob, words + 2, sizeof(float));
  return h;
}

// A llama.cpp row without its zero (floor) codes, since 0.2: what a .kldz
// block holds, handed to the compare without rebuilding the dense row.
// Token i's code is 0 unless bit i % 64 of nonzero[i / 64] is set; the set
// bits' codes are codes[0..count), in token order, none of them 0. Bits
// past n_vocab are 0. Non-owning.
struct SparseLlamaRow {
  LlamaRowHeader header{};
  const uint64_t* nonzero = nullptr;  // SparseWords(n_vocab) words
  const uint16_t* codes = nullptr;    // `count` codes
  size_t count = 0;
};

// Words of a SparseLlamaRow's bitmap for a vocabulary of n_vocab.
constexpr size_t SparseWords(size_t n_vocab) { return (n_vocab + 63) / 64; }

// A non-owning view of one row. `data` is referenced, not copied.
struct RowView {
  const void* data = nullptr;
  size_t n_vocab = 0;
  RowType type = RowType::kF32;

  static RowView F32(gsl::span<const float> logits) {
    return {logits.data(), logits.size(), RowType::kF32};
  }
  static RowView F16(gsl::span<const uint16_t> bits) {
    return {bits.data(), bits.size(), RowType::kF16};
  }
  static RowView BF16(gsl::span<const uint16_t> bits) {
    return {bits.data(), bits.size(), RowType::kBF16};
  }
  // `words` must hold LlamaRowWords(n_vocab) words.
  static RowView Llama(const uint16_t* words, size_t n_vocab) {
    return {words, n_vocab, RowType::kLlamaU16};
  }
  // Since 0.2: `row` (and what it points to) must outlive the view.
  static RowView LlamaSparse(const SparseLlamaRow* row, size_t n_vocab) {
    return {row, n_vocab, RowType::kLlamaSparse};
  }
  bool IsFloat() const {
    return type == RowType::kF32 || type == RowType::kF16 ||
           type == RowType::kBF16;
  }
};

}  // namespace kldkit

#endif  // KLDKIT_ROW_HPP_
