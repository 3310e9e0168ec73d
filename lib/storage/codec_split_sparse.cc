// The split codec's sparse decoder: a block's rows as SparseLlamaRows (a
// bitmap of the non-zero codes per row, 64-bit aligned, and those codes),
// built straight from the streams DecodeStreams checked. The payload's map
// already is that bitmap (row-major: each row's bits at a bit offset) or the
// zero runs that give it, and the byte planes hold exactly the non-zero
// codes in row order, so no dense row is written: the dense Scatter was
// 47% of decoding (1 ns a code, most of them zero).
#include <cstring>

#include "kldkit/row.hpp"
#include "kldkit/sparse_rows.hpp"
#include "lib/common/error.h"
#include "lib/storage/codec_split.h"
#include "lib/storage/codec_split_internal.h"
#include "lib/storage/codec_split_simd.h"

namespace kldkit {
namespace detail {
namespace {

using split::LoadLE64;
using split::PopCount;

// Set bits [begin, end) of a little-endian bitmap (begin < end), read as
// aligned 64-bit words: up to byte (end - 1) / 8 rounded up to 8 bytes.
size_t CountBits(const uint8_t* bm, size_t begin, size_t end) {
  const size_t first = begin / 64, last = (end - 1) / 64;
  const uint64_t head = ~uint64_t{0} << (begin % 64);
  const uint64_t tail = ~uint64_t{0} >> (63 - (end - 1) % 64);
  if (first == last) return PopCount(LoadLE64(bm + 8 * first) & head & tail);
  size_t n = PopCount(LoadLE64(bm + 8 * first) & head);
  for (size_t w = first + 1; w < last; ++w) n += PopCount(LoadLE64(bm + 8 * w));
  return n + PopCount(LoadLE64(bm + 8 * last) & tail);
}

// Bits [k, k + n_vocab) of a little-endian bitmap as SparseWords(n_vocab)
// words, bits past n_vocab 0: one unaligned 64-bit load a word, shifted by
// k % 8 (the same for every word) and topped up by the next byte. Reads up
// to 8 bytes past byte (k + n_vocab - 1) / 8.
void CopyRowBits(const uint8_t* bm, size_t k, size_t n_vocab, uint64_t* out) {
  const size_t words = SparseWords(n_vocab);
  const uint8_t* p = bm + k / 8;
  const unsigned shift = k % 8;
  if (shift == 0) {  // every row when n_vocab % 8 == 0 (248,320; 32,000)
    for (size_t w = 0; w < words; ++w) out[w] = LoadLE64(p + 8 * w);
  } else {
    for (size_t w = 0; w < words; ++w) {
      out[w] = (LoadLE64(p + 8 * w) >> shift) |
               (uint64_t{p[8 * w + 8]} << (64 - shift));
    }
  }
  if (n_vocab % 64 != 0) out[words - 1] &= ~uint64_t{0} >> (64 - n_vocab % 64);
}

// Codes from their two byte planes: a plain loop that GCC vectorises
// (unpack of 16 bytes pairs an instruction, on the SSE2 baseline too).
void Interleave(const uint8_t* __restrict hi, const uint8_t* __restrict lo,
                size_t n, uint16_t* __restrict out) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<uint16_t>((uint32_t{hi[i]} << 8) | lo[i]);
  }
}

// Whether a code the map marks non-zero has two zero bytes. The encoder
// never writes one, but a payload may: SparseLlamaRow promises no code 0,
// so such a block takes the dense way (which reads it as a 0 code, as the
// dense decoder does). Branch-free, so it vectorises.
bool HasZeroValue(const uint8_t* __restrict hi, const uint8_t* __restrict lo,
                  size_t n) {
  uint8_t zero = 0;
  for (size_t i = 0; i < n; ++i) zero |= (hi[i] | lo[i]) == 0;
  return zero != 0;
}

}  // namespace

void SplitCodec::WriteSparse(SparseRows* out) {
  if (row_count_ == 0) return;  // no block decoded (or an empty one)
  Require(out != nullptr && out->NVocab() == n_vocab_,
          "sparse rows must have the block's vocabulary");
  if (order_ == CodeOrder::kColumnMajor || n_vocab_ == 0 ||
      HasZeroValue(hi_.data(), lo_.data(), nnz_)) {
    AppendViaDense(out);  // old files and hostile ones: correct, not fast
    return;
  }
  if (runs_) {
    AppendRunRows(out);
  } else {
    CountRowCodes();
    AppendBitmapRows(out);
  }
}

void SplitCodec::CountRowCodes() {
  row_nnz_.resize(row_count_);
  size_t total = 0;
  for (size_t r = 0; r < row_count_; ++r) {
    row_nnz_[r] = CountBits(bitmap_.data(), r * n_vocab_, (r + 1) * n_vocab_);
    total += row_nnz_[r];
  }
  // The map gives DecodeStreams' count whichever way it is read; anything
  // else is our bug, and the value reads rely on it.
  if (total != nnz_) Throw(KLDKIT_ERROR_INTERNAL, "sparse rows lost codes");
}

LlamaRowHeader SplitCodec::RowHead(size_t r) const {
  const uint8_t* p = heads_.data() + r * SplitRowHeadBytes(n_vocab_);
  LlamaRowHeader h;
  std::memcpy(&h.scale, p, sizeof(float));
  std::memcpy(&h.min_log_prob, p + 4, sizeof(float));
  return h;
}

void SplitCodec::AppendBitmapRows(SparseRows* out) const {
  size_t j = 0;
  for (size_t r = 0; r < row_count_; ++r) {
    const size_t n = row_nnz_[r];
    const SparseRows::Slot s = out->Append(RowHead(r), n);
    CopyRowBits(bitmap_.data(), r * n_vocab_, n_vocab_, s.nonzero);
    Interleave(hi_.data() + j, lo_.data() + j, n, s.codes);
    j += n;
  }
}

// Zero runs, row by row: the walk marks each code's byte in marks_ (one
// byte a token, so no read-modify-write of a shared word chains the codes
// through memory) and counts them; the marks are then packed into the
// row's bitmap. CountRuns has checked that every position stays inside
// the block. Positions are kept relative to the row's start, modulo 2^64:
// the position before a row's first code may lie in the row before.
void SplitCodec::AppendRunRows(SparseRows* out) {
  const size_t words = SparseWords(n_vocab_);
  marks_.assign(64 * words, 0);
  size_t i = 0, v = 0, j = 0;  // next gap byte, next position, next code
  for (size_t r = 0; r < row_count_; ++r) {
    const size_t n = MarkRunCodes(&i, &v);
    const SparseRows::Slot s = out->Append(RowHead(r), n);
    PackMarks(marks_.data(), words, s.nonzero);
    Interleave(hi_.data() + j, lo_.data() + j, n, s.codes);
    j += n;
    v -= n_vocab_;
  }
  if (i != n_gaps_ || j != nnz_) {
    Throw(KLDKIT_ERROR_INTERNAL, "sparse rows lost codes");
  }
}

// Marks the codes of gap bytes *i_inout on that land inside the current row
// (positions [0, n_vocab_) relative to *v_inout's row); returns their count.
// Eight bytes at a time while they hold no 255 and end inside the row: then
// each code is one add on the chain and one store (1.4 ns a code byte by
// byte, most of it the 255 test and the row test).
size_t SplitCodec::MarkRunCodes(size_t* i_inout, size_t* v_inout) {
  const uint8_t* gaps = gaps_.data();
  uint8_t* marks = marks_.data();
  const size_t n_gaps = n_gaps_, end = n_vocab_;
  size_t i = *i_inout, v = *v_inout, count = 0;
  for (;;) {
    for (; i + 8 <= n_gaps; i += 8, count += 8) {
      const uint64_t x = LoadLE64(gaps + i);
      constexpr uint64_t kOnes = 0x0101010101010101u;
      if (((~x - kOnes) & x & (kOnes << 7)) != 0) break;  // a 255 byte
      // Byte sum: pairs into 16-bit lanes, then the four lanes.
      const uint64_t pairs = (x & 0x00FF00FF00FF00FFu) +
                             ((x >> 8) & 0x00FF00FF00FF00FFu);
      if (v + ((pairs * 0x0001000100010001u) >> 48) + 7 >= end) break;
      for (int k = 0; k < 64; k += 8) {
        const size_t at = v + ((x >> k) & 0xFF);
        marks[at] = 0xFF;
        v = at + 1;
      }
    }
    if (i == n_gaps) break;
    const size_t g = gaps[i];
    const size_t at = v + g;
    if (at >= end) break;  // a later row's (a zero run may span rows)
    const size_t code = g != 255;  // 255: 255 zeros, no code yet
    marks[at] = static_cast<uint8_t>(0 - code);
    count += code;
    v = at + code;
    ++i;
  }
  *i_inout = i;
  *v_inout = v;
  return count;
}

void SplitCodec::AppendViaDense(SparseRows* out) {
  const size_t words = LlamaRowWords(n_vocab_);
  dense_.resize(row_count_ * words);
  WriteRows(dense_.data());
  for (size_t r = 0; r < row_count_; ++r) {
    out->AppendDense(dense_.data() + r * words);
  }
}

}  // namespace detail
}  // namespace kldkit
