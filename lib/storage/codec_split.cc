#include "lib/storage/codec_split.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_literalCompressionMode (1.5.x)
#include <zstd.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "kldkit/row.hpp"
#include "lib/common/error.h"
#include "lib/storage/codec_split_internal.h"
#include "lib/common/bytes.h"

namespace kldkit {
namespace detail {
namespace {

using split::ForEachCode;
using split::kMapBitmap;
using split::kMapRuns;
using split::kStreamRaw;
using split::kStreamZstd;

// Order-0 entropy of a byte string, in bits.
double ByteEntropyBits(const std::vector<uint8_t>& bytes) {
  uint64_t hist[256] = {};
  for (uint8_t b : bytes) ++hist[b];
  const double n = static_cast<double>(bytes.size());
  double bits = 0;
  for (uint64_t h : hist) {
    if (h != 0)
      bits -= static_cast<double>(h) * std::log2(static_cast<double>(h) / n);
  }
  return bits;
}

}  // namespace

SplitCodec::SplitCodec() : cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()) {
  if (cctx_ == nullptr || dctx_ == nullptr) {
    ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
    ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
    Throw(KLDKIT_ERROR_OUT_OF_MEMORY, "cannot create a zstd context");
  }
}

SplitCodec::~SplitCodec() {
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
}

SplitCodec::SplitCodec(SplitCodec&& other) noexcept {
  *this = std::move(other);
}

SplitCodec& SplitCodec::operator=(SplitCodec&& other) noexcept {
  std::swap(cctx_, other.cctx_);
  std::swap(dctx_, other.dctx_);
  bitmap_.swap(other.bitmap_);
  hi_.swap(other.hi_);
  lo_.swap(other.lo_);
  gaps_.swap(other.gaps_);
  tmp_.swap(other.tmp_);
  heads_.swap(other.heads_);
  std::swap(row_count_, other.row_count_);
  std::swap(n_vocab_, other.n_vocab_);
  std::swap(n_gaps_, other.n_gaps_);
  std::swap(nnz_, other.nnz_);
  row_nnz_.swap(other.row_nnz_);
  marks_.swap(other.marks_);
  dense_.swap(other.dense_);
  std::swap(order_, other.order_);
  std::swap(runs_, other.runs_);
  return *this;
}

void SplitCodec::CompressStream(const std::vector<uint8_t>& in, int level,
                                std::vector<uint8_t>* out) {
  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  size_t size = 0;
  if (!in.empty()) {
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    // Negative levels skip Huffman literals; they are the whole gain here.
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
    tmp_.resize(ZSTD_compressBound(in.size()));
    size = ZSTD_compress2(cctx, tmp_.data(), tmp_.size(), in.data(), in.size());
  }
  // Under 2% gain (the low bytes: nearly uniform) raw is kept: memcpy
  // decodes several times faster than Huffman.
  const bool raw =
      in.empty() || ZSTD_isError(size) || size >= in.size() - in.size() / 50;
  PutU8(out, raw ? kStreamRaw : kStreamZstd);
  PutU32(out, static_cast<uint32_t>(raw ? in.size() : size));
  if (raw) {
    PutBytes(out, in.data(), in.size());
  } else {
    PutBytes(out, tmp_.data(), size);
  }
}

void SplitCodec::Encode(const uint16_t* rows, size_t row_count, size_t n_vocab,
                        const SplitCodecOptions& options,
                        std::vector<uint8_t>* out) {
  const size_t words = LlamaRowWords(n_vocab);
  const bool odd = (n_vocab & 1) != 0;
  out->clear();
  PutU8(out, static_cast<uint8_t>(options.order));
  PutU8(out, kMapBitmap);  // set below
  for (size_t r = 0; r < row_count; ++r) {
    PutBytes(out, rows + r * words, 8);  // scale, min_log_prob
    if (odd) PutBytes(out, rows + r * words + 4 + n_vocab, 2);  // padding
  }
  const size_t total = row_count * n_vocab;
  const bool runs = options.order == CodeOrder::kRowMajor;
  bitmap_.assign((total + 7) / 8, 0);
  hi_.resize(total + 1);
  lo_.resize(total + 1);
  gaps_.resize(runs ? total + total / 255 + 1 : 0);
  uint8_t* bm = bitmap_.data();
  uint32_t acc = 0;
  int nbits = 0;
  size_t n = 0, g = 0, run = 0;
  ForEachCode(row_count, n_vocab, options.order, [&](size_t r, size_t v) {
    const uint16_t c = rows[r * words + 4 + v];
    const uint32_t bit = c != 0;
    hi_[n] = static_cast<uint8_t>(c >> 8);
    lo_[n] = static_cast<uint8_t>(c);
    n += bit;
    acc |= bit << nbits;
    if (++nbits == 8) {
      *bm++ = static_cast<uint8_t>(acc);
      acc = 0;
      nbits = 0;
    }
    if (!runs) return;
    // Branch-free: a non-zero code closes the run (written, g advances); a
    // zero one extends it, and a run reaching 255 is flushed as an escape.
    gaps_[g] = static_cast<uint8_t>(run);
    g += bit;
    run = (run + 1) * (1 - bit);
    if (run == 255) {
      gaps_[g++] = 255;
      run = 0;
    }
  });
  if (nbits != 0) *bm = static_cast<uint8_t>(acc);
  hi_.resize(n);
  lo_.resize(n);
  while (g > 0 && gaps_[g - 1] == 255) --g;  // trailing zeros are implied
  gaps_.resize(g);
  // The map: a bitmap costs at least 1 bit per 8 codes after Huffman, too
  // much when >90% of codes are 0; zero-run lengths then win. Keep the
  // smaller (both are deterministic, so the file still is).
  // Chosen by the order-0 entropy of each (what Huffman nearly reaches),
  // which costs two histograms instead of a second compression.
  const bool use_runs = runs && (options.map < 0 ? ByteEntropyBits(gaps_) <
                                                       ByteEntropyBits(bitmap_)
                                                 : options.map == 1);
  (*out)[1] = use_runs ? kMapRuns : kMapBitmap;
  CompressStream(use_runs ? gaps_ : bitmap_, options.level, out);
  CompressStream(hi_, options.level, out);
  CompressStream(lo_, options.level, out);
}

}  // namespace detail
}  // namespace kldkit
