// Whole-file operations on .kldz: import from / export to llama.cpp files,
// Recover from an incomplete file (Verify is in container_reader.cc).
#include <cerrno>
#include <cstdio>
#include <utility>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "lib/common/error.h"
#include "lib/storage/checksum.h"
#include "lib/storage/container_block.h"
#include "lib/storage/container_writer_internal.h"
#include "lib/storage/io_file.h"

namespace kldkit {

uint64_t ImportLlamaFile(const std::string& src, const std::string& dst,
                         const ContainerOptions& options,
                         const std::map<std::string, std::string>& metadata) {
  LlamaFileReader in(src);
  ContainerInfo info;
  info.header = in.Header();
  info.tokens.assign(in.Tokens().begin(), in.Tokens().end());
  info.metadata = metadata;
  ContainerOptions with_floor = options;
  if (with_floor.floor == 0) with_floor.floor = in.ScanFloor().nats;
  ContainerWriter out(dst, info, with_floor);
  std::vector<uint16_t> row(in.RowWords());
  for (uint64_t i = 0; i < in.RowCount(); ++i) {
    in.ReadRow(i, row);
    out.AppendRow(row);
  }
  out.Close();
  return in.RowCount();
}

uint64_t RecompressContainer(const std::string& src, const std::string& dst,
                             const ContainerOptions& options,
                             const std::map<std::string, std::string>& metadata,
                             unsigned decode_threads,
                             const std::function<void(uint64_t)>& progress) {
  ContainerReader in(src);
  ContainerInfo info = in.Info();  // a shard stays the same shard
  for (const auto& kv : metadata) info.metadata[kv.first] = kv.second;
  ContainerOptions o = options;
  if (in.Keep() == KeepProfile::kKld) o.keep = KeepProfile::kKld;
  o.floor = in.RecordedFloor() > 0 ? in.RecordedFloor() : in.ScanFloor().nats;
  auto cursor = in.Rows(0, decode_threads);  // checks threads before dst
  ContainerWriter out(dst, info, o);
  std::vector<uint16_t> row(in.RowWords());
  uint64_t rows = 0;
  while (cursor.Next(row)) {
    out.AppendRow(row);
    if (progress) progress(++rows);
  }
  out.Close();
  return in.RowCount();
}

uint64_t ExportLlamaFile(const std::string& src, const std::string& dst,
                         unsigned threads) {
  ContainerReader in(src);
  LlamaFileHeader h = in.Header();
  gsl::span<const int32_t> tokens = in.Tokens();
  const uint64_t per_chunk = RowsPerChunk(h.n_ctx);
  if (in.Info().shard && per_chunk > 0) {
    // A shard exports as the llama.cpp file of its own chunks.
    h.n_chunk = static_cast<int32_t>((in.RowCount() + per_chunk - 1) / per_chunk);
    tokens = tokens.subspan(size_t{in.Info().first_chunk} * h.n_ctx,
                            size_t(h.n_chunk) * h.n_ctx);
  }
  const uint64_t expected = uint64_t(h.n_chunk) * per_chunk;
  if (in.RowCount() != expected) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  src + ": holds " + std::to_string(in.RowCount()) +
                      " rows, a llama.cpp file of its header needs " +
                      std::to_string(expected));
  }
  auto cursor = in.Rows(0, threads);  // checks threads before dst is created
  LlamaFileWriter out(dst, h, tokens);
  std::vector<uint16_t> row(in.RowWords());
  while (cursor.Next(row)) out.AppendRow(row);
  out.Close();
  return expected;
}

uint64_t Recover(const std::string& src, const std::string& dst) {
  detail::ReadFile in(src);
  const detail::FileHeader header = detail::ReadFileHeader(in);
  detail::FileHeader fresh;
  fresh.info = header.info;
  fresh.rows_per_block = header.rows_per_block;
  fresh.keep = header.keep;
  // Written as `dst`.recover(.tmp) then renamed: the natural call,
  // Recover("x.kldz.tmp", "x.kldz"), must not truncate its own source.
  const std::string staging = dst + ".recover";
  detail::BlockFileWriter out(staging, fresh);
  detail::SplitCodec codec;
  std::vector<uint8_t> payload, block;
  std::vector<uint16_t> rows;
  uint64_t offset = header.header_size;
  uint64_t next_row = 0;
  while (in.Size() - offset >= detail::kBlockHeaderSize) {
    detail::BlockHeader bh;
    try {
      bh = detail::ReadBlock(in, header, offset, next_row, &codec, &payload,
                             &rows);
    } catch (const Error&) {
      break;  // first missing or damaged block: the rest cannot be placed
    }
    // Blocks sit on the whole run's grid: a shard's first may be short.
    const uint32_t room = header.rows_per_block -
                          (next_row == 0 ? detail::BlockLead(header) : 0);
    if (bh.row_count > room) break;
    bh.file_id = out.Header().file_id;
    block.clear();
    detail::EncodeBlockHeader(bh, &block);
    block.insert(block.end(), payload.begin(), payload.end());
    out.WriteBlock(block, bh.row_count);
    offset += detail::kBlockHeaderSize + bh.payload_size;
    next_row += bh.row_count;
    if (bh.row_count < room) break;  // a short block is last
  }
  out.Finish();
  if (std::rename(staging.c_str(), dst.c_str()) != 0) {
    const int err = errno;
    std::remove(staging.c_str());
    detail::Throw(KLDKIT_ERROR_IO, dst + ": " + detail::ErrnoMessage(err));
  }
  return next_row;
}

}  // namespace kldkit
