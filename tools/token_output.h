// Per-token outputs of `compare`: the N tokens of largest KLD (--worst) and
// every per-token result written to a file (--dump-tokens).
#ifndef KLDKIT_TOOLS_TOKEN_OUTPUT_H_
#define KLDKIT_TOOLS_TOKEN_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <gsl/span>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/kernels.hpp"
#include "kldkit/npy.hpp"
#include "kldkit/evaluate.hpp"

namespace kldkit {
namespace cli {

struct WorstToken {
  double kld = 0;
  uint64_t row = 0;    // file order
  uint32_t chunk = 0;  // from 1
  uint32_t pos = 0;    // position in the context window
  int32_t token = 0;
  float p = 0;
  float p_base = 0;
};

// Keeps the n tokens with the largest KLD (+inf counts as largest; invalid
// results are ignored). Memory: n entries.
class WorstTokens {
 public:
  explicit WorstTokens(size_t n) : n_(n) {}
  void Add(uint64_t first_row, gsl::span<const TokenResult> results,
           gsl::span<const int32_t> targets, const TokenLayout& layout);
  // Largest first.
  std::vector<WorstToken> Sorted() const;

 private:
  size_t n_;
  std::vector<WorstToken> heap_;  // min-heap on kld
};

std::string RenderWorstText(const std::vector<WorstToken>& worst);
std::string RenderWorstJson(const std::vector<WorstToken>& worst);

// Columns of a dump, in order (CSV header and .npy column order).
extern const char* const kDumpColumns[];
extern const size_t kDumpColumnCount;

// Writes every per-token result as CSV, or as a float32 .npy of shape
// [rows, kDumpColumnCount] when the path ends in ".npy".
class TokenDumper {
 public:
  TokenDumper(const std::string& path, uint64_t rows);
  ~TokenDumper();
  void Add(uint64_t first_row, gsl::span<const TokenResult> results,
           gsl::span<const int32_t> targets, const TokenLayout& layout);
  void Close();

 private:
  std::string path_;
  std::unique_ptr<NpyF32Writer> npy_;
  std::FILE* csv_ = nullptr;
  std::string csv_tmp_;
};

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_TOKEN_OUTPUT_H_
