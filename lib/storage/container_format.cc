#include "lib/storage/container_format.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "kldkit/row.hpp"
#include "lib/common/error.h"
#include "lib/storage/checksum.h"
#include "lib/common/bytes.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace detail {
namespace {

constexpr uint8_t kBlockMagic[4] = {'K', 'Z', 'B', 'K'};
constexpr uint8_t kSeekMagic[4] = {'K', 'Z', 'S', 'T'};
constexpr uint8_t kEndMagic[8] = {'K', 'L', 'D', 'Z', '_', 'E', 'N', 'D'};

[[noreturn]] void Fail(kldkit_status status, const ReadFile& file,
                       const std::string& what) {
  Throw(status, file.Path() + ": " + what);
}

void AppendChecksum(std::vector<uint8_t>* out, size_t from) {
  PutU64(out, Checksum64(out->data() + from, out->size() - from));
}

void CheckHeaderFields(const ContainerInfo& info, uint32_t rows_per_block) {
  const auto& h = info.header;
  Require(h.n_vocab > 0 && h.n_vocab <= kMaxVocab,
          "n_vocab must be in 1..16777216");
  Require(h.n_chunk >= 0, "n_chunk must not be negative");
  Require(info.tokens.size() == uint64_t{h.n_ctx} * uint64_t(h.n_chunk),
          "tokens must hold n_ctx * n_chunk ids");
  Require(rows_per_block >= 1 &&
              rows_per_block * RowBytes(h.n_vocab) <= kMaxBlockRawBytes,
          "rows_per_block must be >= 1 and a block at most 256 MiB");
  uint64_t meta = 0;
  for (const auto& kv : info.metadata) {
    Require(!kv.first.empty(), "metadata keys must not be empty");
    meta += 8 + kv.first.size() + kv.second.size();
  }
  Require(meta <= kMaxMetadataBytes, "metadata must be at most 1 MiB");
  Require(info.shard ? info.first_chunk < uint32_t(std::max(h.n_chunk, 0))
                     : info.first_chunk == 0,
          "first_chunk must be below n_chunk in a shard, 0 otherwise");
}

}  // namespace

uint64_t GlobalFirstRow(const FileHeader& header) {
  return header.info.first_chunk * RowsPerChunk(header.info.header.n_ctx);
}

uint32_t BlockLead(const FileHeader& header) {
  return static_cast<uint32_t>(GlobalFirstRow(header) %
                               header.rows_per_block);
}

uint64_t RowBytes(int32_t n_vocab) {
  return 2 * uint64_t{LlamaRowWords(static_cast<size_t>(n_vocab))};
}

std::vector<uint8_t> EncodeFileHeader(FileHeader* header) {
  const ContainerInfo& info = header->info;
  CheckHeaderFields(info, header->rows_per_block);
  std::vector<uint8_t> out;
  PutBytes(&out, kKldzMagic, 8);
  // A keep-kld file is 1.1 with flag bit 0, a shard 1.2 with flag bit 1:
  // older readers refuse them (reserved bits) rather than misread them.
  // Other files stay 1.0, byte for byte.
  const bool keep_kld = header->keep == KeepProfile::kKld;
  const uint16_t minor = info.shard ? kKldzMinorShard
                         : keep_kld ? kKldzMinorKeep
                                    : kKldzMinor;
  PutU16(&out, kKldzMajor);
  PutU16(&out, minor);
  PutU32(&out, (keep_kld ? kFlagKeepKld : 0u) | (info.shard ? kFlagShard : 0u));
  const size_t size_at = out.size();
  PutU64(&out, 0);  // header_size, patched below
  PutU32(&out, info.header.n_ctx);
  PutU32(&out, static_cast<uint32_t>(info.header.n_vocab));
  PutU32(&out, static_cast<uint32_t>(info.header.n_chunk));
  PutU32(&out, header->rows_per_block);
  PutU64(&out, info.tokens.size());
  PutU32(&out, static_cast<uint32_t>(info.metadata.size()));
  PutU32(&out, info.first_chunk);  // reserved (0) unless a shard
  for (int32_t t : info.tokens) PutU32(&out, static_cast<uint32_t>(t));
  for (const auto& kv : info.metadata) {
    PutU32(&out, static_cast<uint32_t>(kv.first.size()));
    PutBytes(&out, kv.first.data(), kv.first.size());
    PutU32(&out, static_cast<uint32_t>(kv.second.size()));
    PutBytes(&out, kv.second.data(), kv.second.size());
  }
  header->header_size = out.size() + 8;
  for (int i = 0; i < 8; ++i) {
    out[size_at + i] = static_cast<uint8_t>(header->header_size >> (8 * i));
  }
  AppendChecksum(&out, 0);
  header->file_id = GetLE(out.data() + out.size() - 8, 8);
  return out;
}

FileHeader ReadFileHeader(const ReadFile& file) {
  uint8_t fixed[kFileHeaderFixed];
  if (file.Size() < 8)
    Fail(KLDKIT_ERROR_FORMAT, file, "not a .kldz file (too short)");
  file.ReadAt(0, fixed, std::min<uint64_t>(file.Size(), kFileHeaderFixed));
  if (std::memcmp(fixed, kKldzMagic, 8) != 0) {
    Fail(KLDKIT_ERROR_FORMAT, file, "not a .kldz file (bad magic)");
  }
  if (file.Size() < kFileHeaderFixed + 8) {
    Fail(KLDKIT_ERROR_TRUNCATED, file, "file ends inside the .kldz header");
  }
  const auto major = static_cast<uint16_t>(GetLE(fixed + 8, 2));
  const auto minor = static_cast<uint16_t>(GetLE(fixed + 10, 2));
  if (major != kKldzMajor) {
    Fail(KLDKIT_ERROR_UNSUPPORTED, file,
         "kldz version " + std::to_string(major) + "." + std::to_string(minor) +
             " is not supported (this reader reads 1.x)");
  }
  FileHeader h;
  h.header_size = GetLE(fixed + 16, 8);
  if (h.header_size < kFileHeaderFixed + 8 || h.header_size > kMaxHeaderBytes) {
    Fail(KLDKIT_ERROR_FORMAT, file, "impossible header size");
  }
  if (h.header_size > file.Size()) {
    Fail(KLDKIT_ERROR_TRUNCATED, file, "file ends inside the .kldz header");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(h.header_size));
  file.ReadAt(0, bytes.data(), bytes.size());
  const size_t body = bytes.size() - 8;
  h.file_id = GetLE(bytes.data() + body, 8);
  if (Checksum64(bytes.data(), body) != h.file_id) {
    Fail(KLDKIT_ERROR_CHECKSUM, file, "header checksum mismatch");
  }
  ByteReader in(gsl::make_span(bytes.data(), body), KLDKIT_ERROR_FORMAT,
                file.Path() + ": header");
  in.Take(16);
  in.U64();
  const uint64_t flags = GetLE(fixed + 12, 4);
  if ((flags & ~uint64_t{kFlagKeepKld | kFlagShard}) != 0)
    Fail(KLDKIT_ERROR_FORMAT, file, "reserved header flags set");
  if ((flags & kFlagKeepKld) != 0 && minor < kKldzMinorKeep)
    Fail(KLDKIT_ERROR_FORMAT, file, "the keep-kld flag needs version 1.1");
  if ((flags & kFlagShard) != 0 && minor < kKldzMinorShard)
    Fail(KLDKIT_ERROR_FORMAT, file, "the shard flag needs version 1.2");
  h.keep = (flags & kFlagKeepKld) != 0 ? KeepProfile::kKld : KeepProfile::kAll;
  h.info.shard = (flags & kFlagShard) != 0;
  auto& lh = h.info.header;
  lh.n_ctx = in.U32();
  lh.n_vocab = static_cast<int32_t>(in.U32());
  lh.n_chunk = static_cast<int32_t>(in.U32());
  h.rows_per_block = in.U32();
  const uint64_t n_tokens = in.U64();
  const uint32_t n_meta = in.U32();
  h.info.first_chunk = in.U32();
  if (!h.info.shard && h.info.first_chunk != 0)
    Fail(KLDKIT_ERROR_FORMAT, file, "reserved header field set");
  if (h.info.shard && h.info.first_chunk >= uint32_t(std::max(lh.n_chunk, 0)))
    Fail(KLDKIT_ERROR_FORMAT, file, "shard starts past the last chunk");
  if (lh.n_vocab <= 0 || lh.n_vocab > kMaxVocab || lh.n_chunk < 0 ||
      n_tokens != uint64_t{lh.n_ctx} * uint64_t(lh.n_chunk) ||
      n_tokens > in.Remaining() / 4 || h.rows_per_block == 0 ||
      h.rows_per_block * RowBytes(lh.n_vocab) > kMaxBlockRawBytes) {
    Fail(KLDKIT_ERROR_FORMAT, file, "impossible header fields");
  }
  h.info.tokens.resize(static_cast<size_t>(n_tokens));
  for (auto& t : h.info.tokens) t = static_cast<int32_t>(in.U32());
  // Entries count toward the 1 MiB as the writer counts them, so the map
  // (and its per-entry overhead) stays small whatever n_meta says.
  const size_t meta_end =
      in.Position() + std::min<size_t>(in.Remaining(), kMaxMetadataBytes);
  for (uint32_t i = 0; i < n_meta; ++i) {
    const uint32_t klen = in.U32();
    const auto* k = reinterpret_cast<const char*>(in.Take(klen));
    const uint32_t vlen = in.U32();
    const auto* v = reinterpret_cast<const char*>(in.Take(vlen));
    if (in.Position() > meta_end)
      Fail(KLDKIT_ERROR_FORMAT, file, "metadata over 1 MiB");
    std::string key(k, klen);
    if (key.empty() ||
        !h.info.metadata.emplace(key, std::string(v, vlen)).second) {
      Fail(KLDKIT_ERROR_FORMAT, file, "empty or repeated metadata key");
    }
  }
  if (in.Remaining() != 0)
    Fail(KLDKIT_ERROR_FORMAT, file, "trailing bytes in header");
  return h;
}

void EncodeBlockHeader(const BlockHeader& block, std::vector<uint8_t>* out) {
  const size_t from = out->size();
  PutBytes(out, kBlockMagic, 4);
  PutU8(out, block.codec);
  PutBytes(out, "\0\0\0", 3);  // reserved
  PutU64(out, block.file_id);
  PutU64(out, block.first_row);
  PutU32(out, block.row_count);
  PutU32(out, block.payload_size);
  PutU64(out, block.payload_checksum);
  AppendChecksum(out, from);
}

BlockHeader ParseBlockHeader(const uint8_t* b, const std::string& at) {
  if (std::memcmp(b, kBlockMagic, 4) != 0)
    Throw(KLDKIT_ERROR_FORMAT, at + ": bad block magic");
  if (Checksum64(b, 40) != GetLE(b + 40, 8)) {
    Throw(KLDKIT_ERROR_CHECKSUM, at + ": block header checksum mismatch");
  }
  if (b[5] != 0 || b[6] != 0 || b[7] != 0)
    Throw(KLDKIT_ERROR_FORMAT, at + ": reserved bytes set");
  BlockHeader h;
  h.codec = b[4];
  if (h.codec != kCodecSplit) {
    Throw(KLDKIT_ERROR_UNSUPPORTED,
          at + ": unknown codec " + std::to_string(h.codec));
  }
  h.file_id = GetLE(b + 8, 8);
  h.first_row = GetLE(b + 16, 8);
  h.row_count = static_cast<uint32_t>(GetLE(b + 24, 4));
  h.payload_size = static_cast<uint32_t>(GetLE(b + 28, 4));
  h.payload_checksum = GetLE(b + 32, 8);
  return h;
}

bool IsSeekTableMagic(const uint8_t* bytes) {
  return std::memcmp(bytes, kSeekMagic, 4) == 0;
}

std::vector<uint8_t> EncodeSeekTable(const std::vector<SeekEntry>& entries) {
  std::vector<uint8_t> out;
  PutBytes(&out, kSeekMagic, 4);
  PutU32(&out, 0);  // reserved
  PutU64(&out, entries.size());
  for (const auto& e : entries) {
    PutU64(&out, e.offset);
    PutU32(&out, e.row_count);
    PutU32(&out, e.payload_size);
  }
  AppendChecksum(&out, 0);
  return out;
}

std::vector<uint8_t> EncodeFooter(const Footer& footer) {
  std::vector<uint8_t> out;
  PutU64(&out, footer.seek_offset);
  PutU64(&out, footer.row_count);
  PutU64(&out, footer.file_id);
  AppendChecksum(&out, 0);
  PutBytes(&out, kEndMagic, 8);
  return out;
}

std::vector<SeekEntry> ReadSeekTable(const ReadFile& file,
                                     const FileHeader& header,
                                     uint64_t* row_count) {
  const uint64_t size = file.Size();
  uint8_t f[kFooterSize];
  if (size < header.header_size + kSeekFixed + kFooterSize) {
    Fail(KLDKIT_ERROR_TRUNCATED, file,
         "no end marker: incomplete .kldz file (Recover can salvage its "
         "blocks)");
  }
  file.ReadAt(size - kFooterSize, f, kFooterSize);
  if (std::memcmp(f + 32, kEndMagic, 8) != 0) {
    Fail(KLDKIT_ERROR_TRUNCATED, file,
         "no end marker: incomplete .kldz file (Recover can salvage its "
         "blocks)");
  }
  if (Checksum64(f, 24) != GetLE(f + 24, 8))
    Fail(KLDKIT_ERROR_CHECKSUM, file, "end marker checksum mismatch");
  Footer footer{GetLE(f, 8), GetLE(f + 8, 8), GetLE(f + 16, 8)};
  if (footer.file_id != header.file_id)
    Fail(KLDKIT_ERROR_FORMAT, file, "end marker belongs to another file");
  const uint64_t table_end = size - kFooterSize;
  if (footer.seek_offset < header.header_size ||
      footer.seek_offset > table_end - kSeekFixed ||
      (table_end - footer.seek_offset - kSeekFixed) % kSeekEntrySize != 0 ||
      table_end - footer.seek_offset >
          kSeekFixed + kSeekEntrySize * kMaxBlocks) {
    Fail(KLDKIT_ERROR_FORMAT, file, "impossible seek table position");
  }
  std::vector<uint8_t> t(static_cast<size_t>(table_end - footer.seek_offset));
  file.ReadAt(footer.seek_offset, t.data(), t.size());
  if (Checksum64(t.data(), t.size() - 8) != GetLE(t.data() + t.size() - 8, 8)) {
    Fail(KLDKIT_ERROR_CHECKSUM, file, "seek table checksum mismatch");
  }
  const uint64_t n_blocks = (t.size() - kSeekFixed) / kSeekEntrySize;
  if (!IsSeekTableMagic(t.data()) || GetLE(t.data() + 4, 4) != 0 ||
      GetLE(t.data() + 8, 8) != n_blocks) {
    Fail(KLDKIT_ERROR_FORMAT, file, "bad seek table");
  }
  std::vector<SeekEntry> entries(static_cast<size_t>(n_blocks));
  const uint32_t lead = BlockLead(header);
  uint64_t next = header.header_size;
  uint64_t rows = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint8_t* p = t.data() + 16 + i * kSeekEntrySize;
    SeekEntry& e = entries[i];
    e.offset = GetLE(p, 8);
    e.row_count = static_cast<uint32_t>(GetLE(p + 8, 4));
    e.payload_size = static_cast<uint32_t>(GetLE(p + 12, 4));
    e.first_row = rows;
    const bool last = i + 1 == entries.size();
    // A shard's first block ends at a block boundary of the whole run.
    const uint32_t room = header.rows_per_block - (i == 0 ? lead : 0);
    if (e.offset != next ||
        e.offset + kBlockHeaderSize + e.payload_size > footer.seek_offset ||
        e.row_count == 0 || e.row_count > room ||
        (!last && e.row_count != room)) {
      Fail(KLDKIT_ERROR_FORMAT, file,
           "seek table entry " + std::to_string(i) + " is inconsistent");
    }
    next = e.offset + kBlockHeaderSize + e.payload_size;
    rows += e.row_count;
  }
  if (next != footer.seek_offset || rows != footer.row_count) {
    Fail(KLDKIT_ERROR_FORMAT, file, "seek table does not match the end marker");
  }
  const auto& lh = header.info.header;
  if (header.info.shard &&
      rows > (uint64_t(lh.n_chunk) - header.info.first_chunk) *
                 RowsPerChunk(lh.n_ctx)) {
    Fail(KLDKIT_ERROR_FORMAT, file, "shard holds rows past the last chunk");
  }
  *row_count = rows;
  return entries;
}

}  // namespace detail
}  // namespace kldkit
