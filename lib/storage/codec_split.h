// The "split" block codec of the .kldz container (docs/FORMAT.md, codec 1):
// a block of llama.cpp rows becomes the row headers (raw), a bitmap of the
// non-zero codes, and the high and the low bytes of the non-zero codes, each
// compressed separately with zstd (Huffman literals forced on). Not installed.
//
// Why: code 0 (the -16 floor) holds 40-96% of the codes; zstd on the raw
// 16-bit words pays for that zero/non-zero structure in both byte planes
// (fixture: 11.70 MB vs an order-0 bound of 9.91 MB). Separating the map
// from the values brings the size to the bound (see benchmarks/storage_bench).
#ifndef KLDKIT_LIB_STORAGE_CODEC_SPLIT_H_
#define KLDKIT_LIB_STORAGE_CODEC_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kldkit/sparse_rows.hpp"

namespace kldkit {
namespace detail {

// Order in which a block's codes are visited (payload byte 0).
enum class CodeOrder : uint8_t {
  kRowMajor = 0,     // row after row
  kColumnMajor = 1,  // token after token, all rows of the block per token
};

struct SplitCodecOptions {
  int level = 1;  // zstd level of each stream
  CodeOrder order = CodeOrder::kRowMajor;
  // Map of the non-zero codes: -1 picks the smaller by entropy; 0 forces
  // the bitmap, 1 zero runs (row-major only). For tests and measurements.
  int map = -1;
};

// Bytes of one row's head at the start of a payload (after its order and
// map bytes): scale and min_log_prob, plus the padding word of an odd vocab.
inline size_t SplitRowHeadBytes(size_t n_vocab) {
  return (n_vocab & 1) != 0 ? 10 : 8;
}

// Owns zstd contexts and scratch buffers: reuse one per thread.
// Not thread-safe; move-only.
class SplitCodec {
 public:
  SplitCodec();
  ~SplitCodec();
  SplitCodec(SplitCodec&& other) noexcept;
  SplitCodec& operator=(SplitCodec&& other) noexcept;
  SplitCodec(const SplitCodec&) = delete;
  SplitCodec& operator=(const SplitCodec&) = delete;

  // Encodes `row_count` rows of LlamaRowWords(n_vocab) words; replaces *out.
  void Encode(const uint16_t* rows, size_t row_count, size_t n_vocab,
              const SplitCodecOptions& options, std::vector<uint8_t>* out);

  // Decodes a payload into `rows` (row_count * LlamaRowWords(n_vocab)
  // words). Throws FORMAT on any inconsistency; never writes past `rows`.
  // Same as DecodeStreams then WriteRows.
  void Decode(const uint8_t* data, size_t size, size_t row_count,
              size_t n_vocab, uint16_t* rows);

  // The two halves of Decode, so that a caller allocates the rows only for
  // a payload that holds them. DecodeStreams decompresses and checks every
  // stream into this codec's buffers: each is at most its expected size and
  // what its bytes can produce (a raw stream is its bytes; a zstd frame's
  // declared size must not exceed what its blocks can produce), and the map
  // must describe exactly row_count * n_vocab codes. Throws FORMAT.
  void DecodeStreams(const uint8_t* data, size_t size, size_t row_count,
                     size_t n_vocab);
  // Writes the rows of the last successful DecodeStreams into `rows`
  // (row_count * LlamaRowWords(n_vocab) words).
  void WriteRows(uint16_t* rows) const;
  // Appends the same rows to *out as sparse rows (SparseLlamaRow: an odd
  // vocabulary's padding word is not kept), without building dense rows
  // for row-major payloads; out->NVocab() must be the payload's n_vocab
  // (else INVALID_ARGUMENT). It checks nothing DecodeStreams has not: a
  // block that decoded is appended whole. Non-const: it builds the rows in
  // this codec's scratch.
  void WriteSparse(SparseRows* out);

 private:
  void CompressStream(const std::vector<uint8_t>& in, int level,
                      std::vector<uint8_t>* out);
  void Scatter(size_t row_count, size_t n_vocab, CodeOrder order,
               uint16_t* rows) const;
  void ScatterRuns(size_t n_gaps, size_t row_count, size_t n_vocab,
                   uint16_t* rows) const;
  // WriteSparse's steps (codec_split_sparse.cc): with a bitmap map, each
  // row's count of codes into row_nnz_, then the rows appended; with zero
  // runs, each row walked, appended and its bits packed.
  void CountRowCodes();
  void AppendBitmapRows(SparseRows* out) const;
  void AppendRunRows(SparseRows* out);
  size_t MarkRunCodes(size_t* i_inout, size_t* v_inout);
  void AppendViaDense(SparseRows* out);
  LlamaRowHeader RowHead(size_t r) const;
  // Reads one stream into *out; its size must be `expected` (or, with
  // SIZE_MAX, at most `limit`). Returns the size.
  size_t DecompressStream(const uint8_t** p, const uint8_t* end,
                          size_t expected, size_t limit,
                          std::vector<uint8_t>* out);

  void* cctx_ = nullptr;  // ZSTD_CCtx, kept out of the header
  void* dctx_ = nullptr;  // ZSTD_DCtx
  std::vector<uint8_t> bitmap_, gaps_, hi_, lo_, tmp_;
  // The payload DecodeStreams checked last, for WriteRows.
  std::vector<uint8_t> heads_;  // row heads as stored (8 or 10 bytes a row)
  size_t row_count_ = 0, n_vocab_ = 0, n_gaps_ = 0, nnz_ = 0;
  // WriteSparse's scratch.
  std::vector<size_t> row_nnz_;
  std::vector<uint8_t> marks_;   // a row's code marks (zero runs)
  std::vector<uint16_t> dense_;  // the slow paths' dense rows
  CodeOrder order_ = CodeOrder::kRowMajor;
  bool runs_ = false;
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CODEC_SPLIT_H_
