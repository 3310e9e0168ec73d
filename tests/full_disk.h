// Fault injection for writers: a disk that fills after a byte budget, so
// every write past it fails with ENOSPC (through the storage layer's
// injectable write function), for the life of a FullDisk object.
#ifndef KLDKIT_TESTS_FULL_DISK_H_
#define KLDKIT_TESTS_FULL_DISK_H_

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

#include "lib/storage/io_file.h"

namespace kldkit {
namespace testing {

class FullDisk {
 public:
  explicit FullDisk(size_t budget) {
    Budget() = budget;
    detail::SetWriteFunctionForTest(&Write);
  }
  ~FullDisk() { detail::SetWriteFunctionForTest(nullptr); }
  FullDisk(const FullDisk&) = delete;
  FullDisk& operator=(const FullDisk&) = delete;

 private:
  static size_t& Budget() {
    static size_t budget = 0;
    return budget;
  }
  static ssize_t Write(int fd, const void* buf, size_t n) {
    if (Budget() == 0) {
      errno = ENOSPC;
      return -1;
    }
    const size_t put = std::min(n, Budget());
    Budget() -= put;
    return ::write(fd, buf, put);
  }
};

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_FULL_DISK_H_
