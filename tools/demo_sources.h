// Synthetic inputs of `kldkit demo`: a base written as a .kldz container
// and "quantized models" whose float rows kldkit::LogitGenerator produces
// on demand (nothing is stored for them).
#ifndef KLDKIT_TOOLS_DEMO_SOURCES_H_
#define KLDKIT_TOOLS_DEMO_SOURCES_H_

#include <cstdint>
#include <string>

#include "kldkit/synth.hpp"
#include "kldkit/evaluate.hpp"

namespace kldkit {
namespace cli {

// n_ctx and n_chunk for about `rows` scored rows: one chunk of exactly
// `rows` rows up to 63, else chunks of 63 rows (n_ctx 128) rounded up.
TokenLayout DemoLayout(const LogitGenerator& gen, uint64_t rows);

// Writes the base rows (quantized as llama.cpp does) to a .kldz at `path`
// on `threads` threads. Returns the bytes a llama.cpp file would take.
uint64_t WriteDemoBase(const LogitGenerator& gen, const TokenLayout& layout,
                       const std::string& path, size_t threads);

// Writes `source`'s float rows to a float32 .npy [rows, n_vocab] at `path`.
void WriteRowsNpy(RowSource& source, const std::string& path);

// Float rows of one synthetic quantization, generated on `threads` threads.
class SynthModelSource : public RowSource {
 public:
  SynthModelSource(const LogitGenerator& gen, std::string name,
                   double target_kld, uint64_t variant, uint64_t rows,
                   size_t threads)
      : gen_(gen),
        name_(std::move(name)),
        target_kld_(target_kld),
        variant_(variant),
        rows_(rows),
        threads_(threads) {}
  std::string Path() const override { return name_; }
  size_t NVocab() const override { return gen_.Options().n_vocab; }
  uint64_t Rows() const override { return rows_; }
  bool IsFloat() const override { return true; }
  void ReadF32(uint64_t first, size_t count, float* out) override;

 private:
  const LogitGenerator& gen_;
  std::string name_;
  double target_kld_;
  uint64_t variant_;
  uint64_t rows_;
  size_t threads_;
};

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_DEMO_SOURCES_H_
