// One .kldz block: block header + codec payload, encoded for the writer and
// read back, fully checked, by the reader, Verify and Recover. Not installed.
#ifndef KLDKIT_LIB_STORAGE_CONTAINER_BLOCK_H_
#define KLDKIT_LIB_STORAGE_CONTAINER_BLOCK_H_

#include <cstdint>
#include <vector>

#include "kldkit/sparse_rows.hpp"
#include "lib/storage/codec_split.h"
#include "lib/storage/container_format.h"

namespace kldkit {
namespace detail {

// Encodes `row_count` rows starting at file row `first_row` into a complete
// block (header and payload); replaces *out.
void EncodeBlock(SplitCodec* codec, const uint16_t* rows, uint32_t row_count,
                 uint64_t first_row, const FileHeader& header, int level,
                 std::vector<uint8_t>* out);

// Reads the block at `offset`, checks its header checksum, that it belongs
// to this file, starts at `first_row`, holds at most rows_per_block rows and
// fits in the file, checks the payload checksum, and decodes it into *rows.
// Allocates the payload (at most the rest of the file) into *scratch and,
// only after every stream decoded and checked, row_count rows into *rows.
// Returns the block header. Throws FORMAT, CHECKSUM, TRUNCATED, IO.
BlockHeader ReadBlock(const ReadFile& file, const FileHeader& header,
                      uint64_t offset, uint64_t first_row, SplitCodec* codec,
                      std::vector<uint8_t>* scratch,
                      std::vector<uint16_t>* rows);
// The same rows as sparse rows: *rows is Reset to the file's vocabulary
// and, only after every stream decoded and checked, holds row_count rows.
// Since the sparse form has no padding word, an odd vocabulary's is dropped.
BlockHeader ReadBlockSparse(const ReadFile& file, const FileHeader& header,
                            uint64_t offset, uint64_t first_row,
                            SplitCodec* codec, std::vector<uint8_t>* scratch,
                            SparseRows* rows);
// ReadBlock's checks, every stream decoded and checked into *codec, no
// rows written (for Verify, and the two above).
BlockHeader CheckBlock(const ReadFile& file, const FileHeader& header,
                       uint64_t offset, uint64_t first_row, SplitCodec* codec,
                       std::vector<uint8_t>* scratch);
// ReadBlock's checks without decoding: the checked payload in *scratch.
BlockHeader ReadBlockPayload(const ReadFile& file, const FileHeader& header,
                             uint64_t offset, uint64_t first_row,
                             std::vector<uint8_t>* scratch);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CONTAINER_BLOCK_H_
