// WriteShard: chunks [A, B) of a llama.cpp file or .kldz into a .kldz
// shard whose header keeps the whole evaluation (docs/FORMAT.md 1.2).
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/file_kind.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "lib/common/error.h"

namespace kldkit {
namespace {

// Header of the piece: the whole run's, with the shard fields set (none
// when the range is every chunk, so that the piece is the normal file).
ContainerInfo PieceInfo(ContainerInfo whole, uint32_t first, uint32_t end) {
  const bool was_shard = whole.shard;
  whole.shard = first != 0 || end != uint32_t(whole.header.n_chunk);
  whole.first_chunk = whole.shard ? first : 0;
  // ContainerWriter records the level in shards only.
  if (was_shard && !whole.shard) whole.metadata.erase("level");
  return whole;
}

// Resolves end 0 and checks the range against n_chunk.
uint32_t CheckRange(uint32_t first, uint32_t end, int32_t n_chunk) {
  if (end == 0) end = static_cast<uint32_t>(n_chunk);
  if (first >= end || end > uint32_t(n_chunk)) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "chunk range " + std::to_string(first) + ":" +
                      std::to_string(end) + " is empty or past n_chunk " +
                      std::to_string(n_chunk));
  }
  return end;
}

[[noreturn]] void Missing(const std::string& src) {
  detail::Throw(KLDKIT_ERROR_MISMATCH,
                src + ": does not hold every row of the chunk range");
}

uint64_t FromLlama(const std::string& src, const std::string& dst,
                   uint32_t first, uint32_t end, ContainerOptions options,
                   const std::map<std::string, std::string>& metadata) {
  LlamaFileReader in(src);
  end = CheckRange(first, end, in.Header().n_chunk);
  ContainerInfo whole;
  whole.header = in.Header();
  whole.tokens.assign(in.Tokens().begin(), in.Tokens().end());
  whole.metadata = metadata;
  const uint64_t per_chunk = RowsPerChunk(whole.header.n_ctx);
  if (in.RowCount() < end * per_chunk) Missing(src);
  // The whole file's floor, as ImportLlamaFile records it: every piece's
  // header then matches the one-piece file's.
  if (options.floor == 0) options.floor = in.ScanFloor().nats;
  ContainerWriter out(dst, PieceInfo(whole, first, end), options);
  std::vector<uint16_t> row(in.RowWords());
  for (uint64_t r = first * per_chunk; r < end * per_chunk; ++r) {
    in.ReadRow(r, row);
    out.AppendRow(row);
  }
  out.Close();
  return out.RowCount();
}

uint64_t FromKldz(const std::string& src, const std::string& dst,
                  uint32_t first, uint32_t end, ContainerOptions options,
                  const std::map<std::string, std::string>& metadata,
                  unsigned threads) {
  ContainerReader in(src);
  ContainerInfo whole = in.Info();
  end = CheckRange(first, end, whole.header.n_chunk);
  for (const auto& kv : metadata) whole.metadata[kv.first] = kv.second;
  const uint64_t per_chunk = RowsPerChunk(whole.header.n_ctx);
  const uint64_t base = uint64_t{whole.first_chunk} * per_chunk;
  if (first * per_chunk < base ||
      end * per_chunk > base + in.RowCount()) {
    Missing(src);
  }
  if (in.Keep() == KeepProfile::kKld) options.keep = KeepProfile::kKld;
  options.floor =
      in.RecordedFloor() > 0 ? in.RecordedFloor() : in.ScanFloor().nats;
  auto cursor =
      in.Rows(first * per_chunk - base, end * per_chunk - base, threads);
  ContainerWriter out(dst, PieceInfo(whole, first, end), options);
  std::vector<uint16_t> row(in.RowWords());
  while (cursor.Next(row)) out.AppendRow(row);
  out.Close();
  return out.RowCount();
}

}  // namespace

uint64_t WriteShard(const std::string& src, const std::string& dst,
                    uint32_t first_chunk, uint32_t end_chunk,
                    const ContainerOptions& options,
                    const std::map<std::string, std::string>& metadata,
                    unsigned decode_threads) {
  if (DetectFileKind(src) == FileKind::kContainer) {
    return FromKldz(src, dst, first_chunk, end_chunk, options, metadata,
                    decode_threads);
  }
  return FromLlama(src, dst, first_chunk, end_chunk, options, metadata);
}

}  // namespace kldkit
