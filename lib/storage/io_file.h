// POSIX file helpers for the storage layer: positioned reads of a file opened
// read-only, and a write-to-temporary-then-rename writer. Not installed.
#ifndef KLDKIT_LIB_STORAGE_IO_FILE_H_
#define KLDKIT_LIB_STORAGE_IO_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kldkit {
namespace detail {

// A regular file opened read-only. ReadAt uses pread, so one ReadFile may be
// read from several threads at once.
class ReadFile {
 public:
  // Throws IO if the file cannot be opened or is not a regular file.
  explicit ReadFile(const std::string& path);
  ~ReadFile();
  ReadFile(const ReadFile&) = delete;
  ReadFile& operator=(const ReadFile&) = delete;

  const std::string& Path() const { return path_; }
  uint64_t Size() const { return size_; }  // size when opened

  // Reads exactly `n` bytes at `offset`. Throws IO on a read error and
  // TRUNCATED if the file ends first (it shrank since it was opened).
  void ReadAt(uint64_t offset, void* dst, size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Writes `path`.tmp; Commit() syncs it and renames it to `path`. Destroying
// an uncommitted writer removes the temporary file, so an interrupted write
// never leaves a complete-looking file behind.
class TempFileWriter {
 public:
  // Throws IO if `path`.tmp cannot be created.
  explicit TempFileWriter(const std::string& path);
  ~TempFileWriter();
  TempFileWriter(const TempFileWriter&) = delete;
  TempFileWriter& operator=(const TempFileWriter&) = delete;

  // Writes all `n` bytes (retrying short writes); throws IO on failure
  // (ENOSPC, EFBIG, EIO...), after which the writer only accepts Abandon.
  void Write(const void* data, size_t n);
  // fsync, close, rename. Throws IO; the temporary file is then removed.
  void Commit();
  // Closes and removes the temporary file (also done by the destructor).
  void Abandon() noexcept;

  const std::string& TempPath() const { return temp_path_; }
  uint64_t BytesWritten() const { return written_; }

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool failed_ = false;
};

// Test hook: the function TempFileWriter calls instead of ::write (nullptr
// restores ::write), to inject short writes and ENOSPC. Not thread-safe with
// concurrent writers; for tests only.
using WriteFunction = ssize_t (*)(int fd, const void* buf, size_t n);
void SetWriteFunctionForTest(WriteFunction fn);

// "message" of errno value `err`, thread-safe.
std::string ErrnoMessage(int err);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_IO_FILE_H_
