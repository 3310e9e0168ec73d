// The sequential part of writing a .kldz file: header, already-encoded
// blocks in order, seek table and end marker into `path`.tmp, then rename.
// Used by ContainerWriter and Recover. Not installed; not thread-safe.
#ifndef KLDKIT_LIB_STORAGE_CONTAINER_WRITER_INTERNAL_H_
#define KLDKIT_LIB_STORAGE_CONTAINER_WRITER_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/storage/container_format.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace detail {

class BlockFileWriter {
 public:
  // Validates and writes the header (sets its size and file id).
  BlockFileWriter(const std::string& path, FileHeader header);

  const FileHeader& Header() const { return header_; }
  // `block` is a complete block whose first row is the next row.
  void WriteBlock(const std::vector<uint8_t>& block, uint32_t row_count);
  // Seek table, end marker, fsync, rename.
  void Finish();

 private:
  FileHeader header_;
  std::vector<uint8_t> header_bytes_;
  TempFileWriter file_;
  uint64_t offset_ = 0;
  uint64_t rows_ = 0;
  std::vector<SeekEntry> entries_;
};

// The "floor" metadata value: "16", "24", "16.5".
std::string FloorText(double nats);

// ~4 MiB of raw rows per block, at least one row.
uint32_t DefaultRowsPerBlock(int32_t n_vocab);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_CONTAINER_WRITER_INTERNAL_H_
