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
  bool IsFloat() const { return type != RowType::kLlamaU16; }
};

}  // namespace kldkit

#endif  // KLDKIT_ROW_HPP_
