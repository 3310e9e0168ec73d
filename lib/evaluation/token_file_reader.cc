// LoadTokenFile (include/kldkit/token_file.hpp): the trailer first (the
// info says how many rows the blocks must hold), then every block checked
// and decoded in order.
#include <zstd.h>

#include <cstring>
#include <string>

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

// One block at *at: checked, decompressed and appended to *columns.
void ReadBlock(gsl::span<const uint8_t> bytes, size_t* at, size_t values,
               const std::string& path, TokenColumns* columns) {
  const std::string where =
      path + ": token block at byte " + std::to_string(*at);
  ByteReader r(bytes.subspan(*at), KLDKIT_ERROR_TRUNCATED, where);
  const uint32_t n = r.U32();
  const uint32_t size = r.U32();
  const uint32_t crc = r.U32();
  if (n == 0 || n > detail::kTokenBlockRows) {
    throw Error(KLDKIT_ERROR_FORMAT, where + ": " + std::to_string(n) +
                                         " rows");
  }
  const uint8_t* packed = r.Take(size);
  if (detail::Crc32c({packed, size}) != crc) {
    throw Error(KLDKIT_ERROR_CHECKSUM, where + ": checksum mismatch");
  }
  std::vector<uint8_t> planes(n * detail::TokenRowBytes(values));
  const size_t got =
      ZSTD_decompress(planes.data(), planes.size(), packed, size);
  if (ZSTD_isError(got) || got != planes.size()) {
    throw Error(KLDKIT_ERROR_FORMAT, where + ": does not decode to " +
                                         std::to_string(n) + " rows");
  }
  detail::ReadTokenPlanes(planes, values, n, columns);
  *at += r.Position();
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
  const size_t values = MeasureValueCount(out.info.measures);
  const gsl::span<const uint8_t> blocks(bytes.data(), blocks_end);
  size_t at = kHeadBytes;
  while (out.tokens.Rows() < rows) {
    ReadBlock(blocks, &at, values, path, &out.tokens);
  }
  ByteReader end(gsl::span<const uint8_t>(bytes).subspan(at, 4),
                 KLDKIT_ERROR_FORMAT, path);
  if (at != blocks_end || end.U32() != 0 || out.tokens.Rows() != rows) {
    throw Error(KLDKIT_ERROR_FORMAT,
                path + ": token blocks hold other than the trailer's " +
                    std::to_string(rows) + " rows");
  }
  return out;
}

}  // namespace kldkit
