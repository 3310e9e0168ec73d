// A file mapped read-only, so that the compare reads rows straight from the
// page cache without a copy, where that is the cheaper way on this machine
// (lib/storage/map_or_copy.h measures it). Not installed.
//
// A mapped file that shrinks under its reader raises SIGBUS where pread
// would have returned short. A process-wide SIGBUS handler (installed on
// the first mapping, chaining to the one before it for other addresses)
// maps zero pages over the rest of the lost mapping and marks it Lost(),
// so the faulting read goes on with zeros; callers check Lost() after
// reading and throw TRUNCATED, discarding what they computed.
#ifndef KLDKIT_LIB_STORAGE_MAPPED_FILE_H_
#define KLDKIT_LIB_STORAGE_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace kldkit {
namespace detail {

class MappedFile {
 public:
  // Maps all of `path` (a regular file, not empty). Throws IO, or
  // UNSUPPORTED when the file cannot be mapped (callers then read it).
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* Data() const { return data_; }
  uint64_t Size() const { return size_; }  // size when mapped
  const std::string& Path() const { return path_; }

  // Maps bytes [offset, offset + n) into this process by touching a byte
  // per page, so that page faults happen on the caller's thread (a reader
  // thread) rather than in the compare. Returns false if they are lost.
  bool Prefault(uint64_t offset, size_t n) const;
  // Whether a read of the mapping hit the end of a file that shrank: what
  // was read since may be zeros.
  bool Lost() const;
  // Throws TRUNCATED naming the file if Lost().
  void CheckNotLost() const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  int slot_ = -1;  // in the SIGBUS handler's table
};

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_MAPPED_FILE_H_
