// LoadTokenFile (include/kldkit/token_file.hpp): the trailer first (the
// info says how many rows the blocks must hold), then the chain of blocks
// walked and every checksum checked, then every block decoded in order.
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/token_file.hpp"
#include "lib/evaluation/token_file_format.h"
#include "lib/metrics/crc32c.h"
#include "lib/storage/io_file.h"

namespace kldkit {

using detail::ByteReader;

namespace {

constexpr size_t kHeadBytes = 12;  // magic, u32 version
constexpr size_t kTailBytes = 16;  // u32 CRC, u32 size, end magic

std::vector<uint8_t> ReadAll(const std::string& path) {
  const detail::ReadFile file(path);
  std::vector<uint8_t> bytes(static_cast<size_t>(file.Size()));
  file.ReadAt(0, bytes.data(), bytes.size());
  return bytes;
}

void CheckHead(gsl::span<const uint8_t> bytes, const std::string& path) {
  if (bytes.size() < 8 ||
      std::memcmp(bytes.data(), detail::kTokenMagic, 8) != 0) {
    throw Error(KLDKIT_ERROR_FORMAT,
                path + ": not a kldkit token file (bad magic)");
  }
  if (bytes.size() < kHeadBytes + 4 + kTailBytes) {
    throw Error(KLDKIT_ERROR_TRUNCATED, path + ": token file truncated");
  }
  ByteReader r(bytes.subspan(8, 4), KLDKIT_ERROR_TRUNCATED, path);
  const uint32_t version = r.U32();
  if (version != detail::kTokenVersion) {
    throw Error(KLDKIT_ERROR_UNSUPPORTED,
                path + ": token file version " +
                    std::to_string(version & 0xFFFF) + " (flags " +
                    std::to_string(version >> 16) +
                    ") is not supported (this library reads 1)");
  }
}

// The info and the row count from the trailer; *blocks_end gets where the
// blocks end (the end marker's offset).
TokenFileInfo ReadTrailer(gsl::span<const uint8_t> bytes,
                          const std::string& path, uint64_t* rows,
                          size_t* blocks_end) {
  const size_t end = bytes.size();
  if (std::memcmp(bytes.data() + end - 8, detail::kTokenEndMagic, 8) != 0) {
    throw Error(KLDKIT_ERROR_TRUNCATED,
                path + ": token file truncated (no end marker)");
  }
  ByteReader tail(bytes.subspan(end - kTailBytes, 8), KLDKIT_ERROR_TRUNCATED,
                  path);
  const uint32_t crc = tail.U32();
  const uint64_t size = tail.U32();
  if (size > end - kTailBytes - kHeadBytes - 4) {
    throw Error(KLDKIT_ERROR_FORMAT, path + ": token file trailer size");
  }
  const auto trailer = bytes.subspan(end - kTailBytes - size, size);
  if (detail::Crc32c(trailer) != crc) {
    throw Error(KLDKIT_ERROR_CHECKSUM,
                path + ": token file trailer checksum mismatch");
  }
  ByteReader r(trailer, KLDKIT_ERROR_FORMAT, path + ": token file trailer");
  const TokenFileInfo info = detail::ReadTokenInfo(&r, path);
  *rows = r.U64();
  if (r.Remaining() != 0 || *rows != info.SavedRows()) {
    throw Error(KLDKIT_ERROR_FORMAT,
                path + ": token file trailer: " + std::to_string(*rows) +
                    " rows for chunks " + ToString(info.chunks));
  }
  *blocks_end = end - kTailBytes - size - 4;
  return info;
}

// A block's header, checked: where it starts, its rows, its frame.
struct Block {
  size_t at;
  uint32_t rows;
  const uint8_t* packed;
  uint32_t size;
};

std::string BlockWhere(const std::string& path, size_t at) {
  return path + ": token block at byte " + std::to_string(at);
}

// Walks the chain of blocks in bytes [kHeadBytes, blocks_end) and
// checks each header's row count (1 to 65,536, within the trailer's rows
// left) and each frame's CRC-32C, then that the chain holds the trailer's
// rows and ends at the u32 0. Nothing is decompressed or allocated per
// row yet, so a damaged, truncated or lying file fails having allocated
// only this list (one entry per 12 bytes of file at most).
std::vector<Block> ScanBlocks(gsl::span<const uint8_t> bytes,
                              size_t blocks_end, uint64_t rows,
                              const std::string& path) {
  std::vector<Block> blocks;
  const gsl::span<const uint8_t> chain = bytes.first(blocks_end);
  size_t at = kHeadBytes;
  uint64_t have = 0;
  while (have < rows && at < blocks_end) {
    const std::string where = BlockWhere(path, at);
    ByteReader r(chain.subspan(at), KLDKIT_ERROR_TRUNCATED, where);
    Block b;
    b.at = at;
    b.rows = r.U32();
    b.size = r.U32();
    const uint32_t crc = r.U32();
    if (b.rows == 0 || b.rows > detail::kTokenBlockRows ||
        b.rows > rows - have) {
      throw Error(KLDKIT_ERROR_FORMAT,
                  where + ": " + std::to_string(b.rows) + " rows (" +
                      std::to_string(rows - have) + " of the trailer's " +
                      std::to_string(rows) + " left)");
    }
    b.packed = r.Take(b.size);
    if (detail::Crc32c({b.packed, b.size}) != crc) {
      throw Error(KLDKIT_ERROR_CHECKSUM, where + ": checksum mismatch");
    }
    blocks.push_back(b);
    have += b.rows;
    at += r.Position();
  }
  ByteReader end(bytes.subspan(at, 4), KLDKIT_ERROR_FORMAT, path);
  if (have != rows || at != blocks_end || end.U32() != 0) {
    throw Error(KLDKIT_ERROR_FORMAT,
                path + ": token blocks hold other than the trailer's " +
                    std::to_string(rows) + " rows");
  }
  return blocks;
}

// One block, decompressed and appended to *columns. The planes are
// allocated only for a frame whose header records exactly the block's
// rows (every frame the writer makes records its size): a zstd frame can
// claim far more than its bytes hold, and this one would then fail only
// after its buffer was zeroed.
void ReadBlock(const Block& b, size_t values, const std::string& path,
               TokenColumns* columns) {
  const size_t want = size_t{b.rows} * detail::TokenRowBytes(values);
  const auto fail = [&] {
    throw Error(KLDKIT_ERROR_FORMAT, BlockWhere(path, b.at) +
                                         ": does not decode to " +
                                         std::to_string(b.rows) + " rows");
  };
  if (ZSTD_getFrameContentSize(b.packed, b.size) != want) fail();
  std::vector<uint8_t> planes(want);
  const size_t got =
      ZSTD_decompress(planes.data(), planes.size(), b.packed, b.size);
  if (ZSTD_isError(got) || got != planes.size()) fail();
  detail::ReadTokenPlanes(planes, values, b.rows, columns);
}

}  // namespace

TokenResult TokenColumns::Result(size_t i, MeasureMask mask) const {
  TokenResult r;
  r.kld = kld.at(i);
  r.nll = nll[i];
  r.nll_base = nll_base[i];
  r.p = p[i];
  r.p_base = p_base[i];
  r.dp = dp[i];
  r.flags = flags[i];
  if (!r.Valid()) return r;
  r.measures.mask = mask;
  const size_t values = MeasureValueCount(mask);
  const double* v = measures.data() + i * values;
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((mask & MeasureBit(d.id)) == 0) continue;
    for (int k = 0; k < d.slots; ++k) r.measures.v[d.slot + k] = *v++;
  }
  return r;
}

Accumulator FoldTokenFile(const TokenFile& file, AccumulatorOptions options) {
  options.measures = file.info.measures;
  options.top_k = file.info.top_k;
  Accumulator a(options);
  for (size_t i = 0; i < file.tokens.Rows(); ++i) {
    a.Add(file.tokens.Result(i, file.info.measures));
  }
  return a;
}

TokenFile LoadTokenFile(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadAll(path);
  CheckHead(bytes, path);
  TokenFile out;
  uint64_t rows = 0;
  size_t blocks_end = 0;
  out.info = ReadTrailer(bytes, path, &rows, &blocks_end);
  // The columns grow block by block, never reserved from the trailer's
  // count: rows are allocated only as decoded frames hold them.
  const size_t values = MeasureValueCount(out.info.measures);
  for (const Block& b : ScanBlocks(bytes, blocks_end, rows, path)) {
    ReadBlock(b, values, path, &out.tokens);
  }
  return out;
}

}  // namespace kldkit
