// The split codec's decoder: every stream size is known or bounded before
// it is decompressed, by the block and by the stream's own bytes (a zstd
// frame cannot claim more than its blocks produce), every stream is checked
// before any row is written, and every read of the value streams stays in
// bounds whatever the payload says.
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "kldkit/row.hpp"
#include "lib/common/error.h"
#include "lib/storage/codec_split.h"
#include "lib/storage/codec_split_internal.h"
#include "lib/storage/codec_split_simd.h"
#include "lib/common/bytes.h"

namespace kldkit {
namespace detail {
namespace {

using split::Bad;
using split::ForEachCode;
using split::kAnySize;
using split::PopCount;
using split::kMapRuns;
using split::kStreamRaw;
using split::kStreamZstd;

// The most one zstd frame can decode to, read from its block headers (RFC
// 8878): a raw or an RLE block states its size, a compressed block gives at
// most 128 KiB. So at most 128 KiB per 3 bytes of frame, whatever the
// frame's header declares. Throws FORMAT unless [p, p+size) is exactly one
// zstd frame.
size_t ZstdFrameBound(const uint8_t* p, size_t size) {
  constexpr uint32_t kMagic = 0xFD2FB528;
  constexpr size_t kMaxBlock = size_t{1} << 17;
  constexpr size_t kDictBytes[4] = {0, 1, 2, 4};
  constexpr size_t kSizeBytes[4] = {0, 2, 4, 8};
  if (size < 5 || GetLE(p, 4) != kMagic) Bad("corrupt zstd stream");
  const uint8_t desc = p[4];
  const bool single_segment = (desc & 0x20) != 0;
  const size_t size_bytes = (desc >> 6) == 0 ? (single_segment ? 1 : 0)
                                             : kSizeBytes[desc >> 6];
  size_t at = 5 + (single_segment ? 0 : 1) + kDictBytes[desc & 3] + size_bytes;
  size_t bound = 0;
  for (bool last = false; !last;) {
    if (at > size || size - at < 3) Bad("corrupt zstd stream");
    const auto header = static_cast<uint32_t>(GetLE(p + at, 3));
    at += 3;
    last = (header & 1) != 0;
    const uint32_t type = (header >> 1) & 3;
    const size_t block_size = header >> 3;
    if (type == 3) Bad("corrupt zstd stream");  // reserved block type
    const size_t body = type == 1 ? 1 : block_size;  // RLE: one byte
    bound += type == 2 ? kMaxBlock : block_size;
    if (size - at < body) Bad("corrupt zstd stream");
    at += body;
  }
  const size_t checksum = (desc & 0x04) != 0 ? 4 : 0;
  if (size - at != checksum) Bad("stream is not exactly one zstd frame");
  return bound;
}

// Counts the codes a zero-run stream marks non-zero, checking that they all
// land inside the block's `total` codes and that the stream ends on a code.
// Byte g moves g + (g != 255) codes on and positions only grow, so the last
// code decides; as two sums the loop vectorises (the walk with a branch per
// byte it replaces: DecodeStreams of the demo base's 16 zero-run blocks took
// 28 ms, now 18 ms).
size_t CountRuns(const uint8_t* gaps, size_t n_gaps, size_t total) {
  size_t end = n_gaps;  // one past the last code's byte
  while (end > 0 && gaps[end - 1] == 255) --end;
  size_t zeros = 0, escapes = 0;
  for (size_t i = 0; i < end; ++i) {
    zeros += gaps[i];
    escapes += gaps[i] == 255;
  }
  const size_t nnz = end - escapes;
  if (zeros + nnz > total) Bad("zero runs go past the last code");
  if (end != n_gaps) Bad("zero run without an end");
  return nnz;
}

}  // namespace

size_t SplitCodec::DecompressStream(const uint8_t** p, const uint8_t* end,
                                    size_t expected, size_t limit,
                                    std::vector<uint8_t>* out) {
  if (end - *p < 5) Bad("stream header runs past the payload");
  const uint8_t mode = (*p)[0];
  const size_t size = static_cast<size_t>(GetLE(*p + 1, 4));
  *p += 5;
  if (size > static_cast<size_t>(end - *p)) Bad("stream runs past the payload");
  size_t n = size;
  if (mode == kStreamZstd) {
    const unsigned long long content = ZSTD_getFrameContentSize(*p, size);
    if (content == ZSTD_CONTENTSIZE_UNKNOWN ||
        content == ZSTD_CONTENTSIZE_ERROR) {
      Bad("zstd stream is not a frame with its content size");
    }
    n = content > limit ? limit + 1 : static_cast<size_t>(content);
  } else if (mode != kStreamRaw) {
    Bad("unknown stream mode " + std::to_string(mode));
  }
  if (expected != kAnySize ? n != expected : n > limit) {
    Bad("stream has the wrong size");
  }
  // A frame's declared size is only a claim: check it against what the
  // frame's blocks can produce before allocating for it.
  if (mode == kStreamZstd && n > ZstdFrameBound(*p, size)) {
    Bad("zstd stream declares more than it holds");
  }
  out->resize(n + 8);  // slack for the decoder's 8-byte loads
  if (mode == kStreamRaw) {
    if (n != 0) std::memcpy(out->data(), *p, n);
  } else {
    const size_t got = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_),
                                           out->data(), n, *p, size);
    if (ZSTD_isError(got) || got != n) Bad("corrupt zstd stream");
  }
  std::memset(out->data() + n, 0, 8);
  *p += size;
  return n;
}

void SplitCodec::Decode(const uint8_t* data, size_t size, size_t row_count,
                        size_t n_vocab, uint16_t* rows) {
  DecodeStreams(data, size, row_count, n_vocab);
  WriteRows(rows);
}

void SplitCodec::DecodeStreams(const uint8_t* data, size_t size,
                               size_t row_count, size_t n_vocab) {
  row_count_ = 0;  // WriteRows writes nothing unless this call succeeds
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const size_t head = SplitRowHeadBytes(n_vocab);
  if (size < 2 || row_count > (size - 2) / head) {
    Bad("payload shorter than its row headers");
  }
  const uint8_t order_byte = *p++;
  if (order_byte > 1) Bad("unknown code order " + std::to_string(order_byte));
  const uint8_t map_kind = *p++;
  if (map_kind > kMapRuns) Bad("unknown map kind " + std::to_string(map_kind));
  const auto order = static_cast<CodeOrder>(order_byte);
  heads_.assign(p, p + row_count * head);
  p += row_count * head;
  const size_t total = row_count * n_vocab;
  size_t nnz = 0;
  if (map_kind == kMapRuns) {
    if (order != CodeOrder::kRowMajor) Bad("zero runs need row-major order");
    n_gaps_ =
        DecompressStream(&p, end, kAnySize, total + total / 255 + 1, &gaps_);
    nnz = CountRuns(gaps_.data(), n_gaps_, total);
  } else {
    const size_t bitmap_bytes = (total + 7) / 8;
    DecompressStream(&p, end, bitmap_bytes, bitmap_bytes, &bitmap_);
    if (total % 8 != 0 && (bitmap_[bitmap_bytes - 1] >> (total % 8)) != 0) {
      Bad("bitmap has bits set past the last code");
    }
    for (size_t i = 0; i < bitmap_bytes; i += 8)  // 8 zero bytes of slack
      nnz += PopCount(GetLE(&bitmap_[i], 8));
  }
  DecompressStream(&p, end, nnz, nnz, &hi_);
  DecompressStream(&p, end, nnz, nnz, &lo_);
  if (p != end) Bad("trailing bytes after the last stream");
  row_count_ = row_count;
  n_vocab_ = n_vocab;
  nnz_ = nnz;
  order_ = order;
  runs_ = map_kind == kMapRuns;
}

void SplitCodec::WriteRows(uint16_t* rows) const {
  const size_t words = LlamaRowWords(n_vocab_);
  const bool odd = (n_vocab_ & 1) != 0;
  const uint8_t* h = heads_.data();
  for (size_t r = 0; r < row_count_; ++r) {
    std::memcpy(rows + r * words, h, 8);
    h += 8;
    if (odd) {
      std::memcpy(rows + r * words + 4 + n_vocab_, h, 2);
      h += 2;
    }
  }
  if (runs_) {
    ScatterRuns(n_gaps_, row_count_, n_vocab_, rows);
  } else {
    Scatter(row_count_, n_vocab_, order_, rows);
  }
}

// Row-major codes from zero-run lengths: byte g < 255 means g zero codes
// then the next non-zero code; 255 means 255 zero codes and no code yet.
void SplitCodec::ScatterRuns(size_t n_gaps, size_t row_count, size_t n_vocab,
                             uint16_t* rows) const {
  const size_t words = LlamaRowWords(n_vocab);
  for (size_t r = 0; r < row_count; ++r) {
    std::memset(rows + r * words + 4, 0, n_vocab * sizeof(uint16_t));
  }
  size_t r = 0, v = 0, j = 0, skip = 0;
  for (size_t i = 0; i < n_gaps; ++i) {
    skip += gaps_[i];
    if (gaps_[i] == 255) continue;
    v += skip;
    skip = 0;
    while (v >= n_vocab && r < row_count) {
      v -= n_vocab;
      ++r;
    }
    if (r >= row_count) Bad("zero runs go past the last code");
    rows[r * words + 4 + v] =
        static_cast<uint16_t>((uint32_t{hi_[j]} << 8) | lo_[j]);
    ++j;
    ++v;
  }
  if (skip != 0) Bad("zero run without an end");
}

// Rebuilds the codes from the bitmap and the value bytes. hi_ and lo_ hold
// 8 slack bytes past the last value and the bitmap 8, so the branch-free
// reads below and ExpandRow's stay in bounds.
void SplitCodec::Scatter(size_t row_count, size_t n_vocab, CodeOrder order,
                         uint16_t* rows) const {
  const size_t words = LlamaRowWords(n_vocab);
  const uint8_t* bm = bitmap_.data();
  const uint8_t* hi = hi_.data();
  const uint8_t* lo = lo_.data();
  size_t j = 0;
  if (order == CodeOrder::kRowMajor) {  // 8 codes a shuffle
    for (size_t r = 0; r < row_count; ++r) {
      j += ExpandRow(bm, r * n_vocab, n_vocab, hi + j, lo + j,
                     rows + r * words + 4);
    }
    return;
  }
  // Column-major (old files): one code at a time.
  uint64_t word = 0;
  int left = 0;
  ForEachCode(row_count, n_vocab, order, [&](size_t r, size_t v) {
    if (left == 0) {
      word = split::LoadLE64(bm);
      bm += 8;
      left = 64;
    }
    const uint32_t bit = static_cast<uint32_t>(word & 1);
    word >>= 1;
    --left;
    const uint32_t c = (uint32_t{hi[j]} << 8) | lo[j];
    j += bit;
    rows[r * words + 4 + v] = static_cast<uint16_t>(c & (0u - bit));
  });
}

}  // namespace detail
}  // namespace kldkit
