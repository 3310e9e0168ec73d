// What a base file keeps of each next-token distribution: the floor its
// rows were written with (16 nats below the row's maximum in llama.cpp, 24
// in ik_llama.cpp), and the storage profiles of .kldz writers: every code
// (lossless), or only the codes llama.cpp's statistics read. Since 0.2.
// docs/floors.md states the rules and why they keep reports bit-identical.
#ifndef KLDKIT_KEEP_HPP_
#define KLDKIT_KEEP_HPP_

#include <cstddef>
#include <cstdint>
#include <map>

#include <gsl/span>

#include "kldkit/error.hpp"
#include "kldkit/kernels.hpp"  // kLlamaKldCut
#include "kldkit/row.hpp"

namespace kldkit {

// What a .kldz writer keeps of each row. Values are pinned (C ABI).
enum class KeepProfile : uint32_t {
  kAll = 0,  // every word: the file exports byte for byte (the default)
  // The row heads bit-exact; the codes of tokens whose log-probability is
  // above kLlamaKldCut - 4 * scale (in double: a margin no float rounding
  // crosses), of the target token and of every token holding the row's
  // largest code; all other codes 0. llama.cpp-mode results from such a
  // base are bit-identical to the original's; the tail and model-side uses
  // read the dropped codes and refuse it.
  kKld = 1,
};

// "all" / "kld"; ParseKeepProfile throws INVALID_ARGUMENT for other names.
const char* KeepProfileName(KeepProfile profile);
KeepProfile ParseKeepProfile(const char* name);

// Applies kKld to one llama.cpp row (LlamaRowWords(n_vocab) words) in place,
// `target` being the token it predicts. A header no log-probabilities can
// have (non-finite, negative scale) leaves the row as it is. Returns the
// number of codes set to 0. Throws INVALID_ARGUMENT (sizes, target outside
// 0..n_vocab-1).
size_t ApplyKeepKld(gsl::span<uint16_t> row, size_t n_vocab, int32_t target);

// The floor of a set of rows. A row's span is 65535 * scale: the nats
// between its top code and code 0. Rows whose logits spread wider than the
// writer's floor are clamped to exactly that span; narrower rows are
// normal. Rows whose headers are not finite, or negative, are skipped.
struct RowFloor {
  double nats = 0;         // the largest span (0: no usable row)
  uint64_t rows = 0;       // rows examined
  uint64_t at_floor = 0;   // rows whose span is the floor (within 1e-4)
  // Rows clamped at two different floors: another whole-nat span, at least
  // one nat below `nats`, is shared by 8 or more rows (every known writer
  // uses whole nats; narrow rows rarely land within 1e-4 of one).
  bool disagree = false;
  double other = 0;        // that span, when disagree (the most frequent)
  bool sampled = false;    // only the first rows of the file were examined
};

// Rows a reader examines when it reports a floor without scanning the
// whole file (kldkit info, the C reader info, compare's warning): one
// chunk of a 512-token evaluation. One 8-byte read per row, scattered over
// the file: ~20 ms on a cold NVMe disk, so opening a reader stays cheap.
constexpr uint64_t kFloorSampleRows = 256;

// Folds row headers into a RowFloor in constant memory (a count per
// whole-nat span).
class RowFloorScan {
 public:
  void Add(const LlamaRowHeader& head);
  RowFloor Result() const;

 private:
  uint64_t rows_ = 0;
  double max_ = 0;
  uint64_t at_max_ = 0;
  std::map<int64_t, uint64_t> whole_;  // whole-nat spans -> rows
};

}  // namespace kldkit

#endif  // KLDKIT_KEEP_HPP_
