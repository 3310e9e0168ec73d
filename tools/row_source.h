// Where compared rows come from: a llama.cpp file, a .kldz container or a
// float .npy array, behind one sequential interface, plus the chunk layout
// (n_ctx, tokens) that gives each row its target token.
#ifndef KLDKIT_TOOLS_ROW_SOURCE_H_
#define KLDKIT_TOOLS_ROW_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <gsl/span>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/keep.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace cli {

// Chunk layout of an evaluation: row i of chunk c predicts
// tokens[c * n_ctx + n_ctx / 2 + i + 1].
struct Layout {
  uint32_t n_ctx = 0;
  uint32_t n_chunk = 0;
  std::vector<int32_t> tokens;  // n_ctx * n_chunk ids

  uint64_t RowsPerChunk() const { return kldkit::RowsPerChunk(n_ctx); }
  uint64_t Rows() const { return RowsPerChunk() * n_chunk; }
  int32_t Target(uint64_t row) const;
};

// Rows read in increasing order. Not thread-safe: one caller at a time.
class RowSource {
 public:
  virtual ~RowSource() = default;

  virtual std::string Path() const = 0;
  virtual size_t NVocab() const = 0;
  virtual uint64_t Rows() const = 0;
  // Float logits (f32 / f16 widened) or llama.cpp uint16 rows.
  virtual bool IsFloat() const = 0;
  // The layout stored with the rows (llama.cpp files, containers), or null.
  virtual const Layout* StoredLayout() const { return nullptr; }
  // What the stored rows keep (a .kldz may hold the kKld profile).
  virtual KeepProfile Keep() const { return KeepProfile::kAll; }
  // The floor of the first `max_rows` stored rows; rows 0 for float rows.
  virtual RowFloor ScanFloor(uint64_t /*max_rows*/) const { return {}; }

  // Rows [first, first + count): count * NVocab() floats (float sources)
  // or count * LlamaRowWords(NVocab()) words (the others). Throws
  // INVALID_ARGUMENT for the other kind.
  virtual void ReadF32(uint64_t first, size_t count, float* out);
  virtual void ReadU16(uint64_t first, size_t count, uint16_t* out);
};

// Opens `path` by its magic; a .kldz container is decoded on `threads`
// threads (at most ContainerReader::kMaxCursorThreads). Throws FORMAT for an
// unknown kind, and what the readers throw, with the path in the message.
std::unique_ptr<RowSource> OpenRowSource(const std::string& path,
                                         size_t threads = 1);

// Token ids from an int32 .npy (1-D: needs n_ctx; 2-D: [n_chunk, n_ctx])
// or a llama.cpp / .kldz file. n_ctx 0: from the file. Throws MISMATCH,
// INVALID_ARGUMENT.
Layout LoadLayout(const std::string& path, uint32_t n_ctx);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_ROW_SOURCE_H_
