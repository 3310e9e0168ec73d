// Byte layout of the .kldz container (docs/FORMAT.md is the spec; the two
// change together): file header, block header, seek table, end marker.
// Encoders produce bytes; parsers validate everything a file controls and
// throw FORMAT, CHECKSUM, UNSUPPORTED or TRUNCATED. Not installed.
#ifndef KLDKIT_LIB_STORAGE_CONTAINER_FORMAT_H_
#define KLDKIT_LIB_STORAGE_CONTAINER_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/keep.hpp"

namespace kldkit {
namespace detail {

class ReadFile;

// \x89KLDZ\r\n\x1a: high bit, line-ending and EOF traps as in PNG.
constexpr uint8_t kKldzMagic[8] = {0x89, 'K', 'L', 'D', 'Z', '\r', '\n', 0x1a};
constexpr uint16_t kKldzMajor = 1;
constexpr uint16_t kKldzMinor = 0;       // files every 1.x reader reads
constexpr uint16_t kKldzMinorKeep = 1;   // files with the keep-kld flag
constexpr uint16_t kKldzMinorShard = 2;  // files with the shard flag
constexpr uint32_t kFlagKeepKld = 1u;    // header flag bit 0 (version 1.1)
constexpr uint32_t kFlagShard = 2u;      // header flag bit 1 (version 1.2)
constexpr size_t kFileHeaderFixed = 56;  // bytes before the tokens
constexpr size_t kBlockHeaderSize = 48;
constexpr size_t kSeekEntrySize = 16;
constexpr size_t kSeekFixed = 16 + 8;  // magic..n_blocks, checksum
constexpr size_t kFooterSize = 40;
constexpr uint8_t kCodecSplit = 1;

// Documented limits, checked before allocating.
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 30;
constexpr uint64_t kMaxMetadataBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxBlockRawBytes = uint64_t{1} << 28;
// Blocks per file: bounds the seek table (256 MiB) a reader allocates.
constexpr uint64_t kMaxBlocks = uint64_t{1} << 24;

// The file header, parsed.
struct FileHeader {
  ContainerInfo info;
  KeepProfile keep = KeepProfile::kAll;  // header flag bit 0
  uint32_t rows_per_block = 0;
  uint64_t header_size = 0;  // bytes, checksum included
  uint64_t file_id = 0;      // the header checksum; blocks repeat it
};

// Row of the whole evaluation that a file's row 0 is: 0 unless a shard.
uint64_t GlobalFirstRow(const FileHeader& header);
// Rows the first block leaves out so that block boundaries fall on
// multiples of rows_per_block of the whole evaluation (0 unless a shard).
uint32_t BlockLead(const FileHeader& header);

// Encodes the header; sets header->header_size and header->file_id.
std::vector<uint8_t> EncodeFileHeader(FileHeader* header);
// Reads and checks the header at the start of `file`.
FileHeader ReadFileHeader(const ReadFile& file);

struct BlockHeader {
  uint8_t codec = kCodecSplit;
  uint64_t file_id = 0;
  uint64_t first_row = 0;
  uint32_t row_count = 0;
  uint32_t payload_size = 0;
  uint64_t payload_checksum = 0;
};

void EncodeBlockHeader(const BlockHeader& block, std::vector<uint8_t>* out);
// Parses kBlockHeaderSize bytes; `at` names the block in messages. Checks
// magic, checksum, reserved bytes and codec only.
BlockHeader ParseBlockHeader(const uint8_t* bytes, const std::string& at);
// True if `bytes` start with the seek table's magic.
bool IsSeekTableMagic(const uint8_t* bytes);

struct SeekEntry {
  uint64_t offset = 0;  // of the block header
  uint64_t first_row = 0;
  uint32_t row_count = 0;
  uint32_t payload_size = 0;
};

std::vector<uint8_t> EncodeSeekTable(const std::vector<SeekEntry>& entries);

struct Footer {
  uint64_t seek_offset = 0;
  uint64_t row_count = 0;
  uint64_t file_id = 0;
};

std::vector<uint8_t> EncodeFooter(const Footer& footer);

// Reads the end marker and the seek table of `file` and checks them against
// the header: block offsets contiguous from the header to the table, row
// counts summing to the footer's. TRUNCATED when there is no end marker.
std::vector<SeekEntry> ReadSeekTable(const ReadFile& file,
                                     const FileHeader& header,
                                     uint64_t* row_count);

// Raw bytes of `rows` llama.cpp rows of `n_vocab`.
uint64_t RowBytes(int32_t n_vocab);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CONTAINER_FORMAT_H_
