#include "lib/storage/io_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {
namespace {

std::atomic<WriteFunction> g_write_function{nullptr};

ssize_t DoWrite(int fd, const void* buf, size_t n) {
  const WriteFunction fn = g_write_function.load(std::memory_order_relaxed);
  return fn != nullptr ? fn(fd, buf, n) : ::write(fd, buf, n);
}

[[noreturn]] void ThrowErrno(const std::string& path, int err) {
  Throw(KLDKIT_ERROR_IO, path + ": " + ErrnoMessage(err));
}

}  // namespace

std::string ErrnoMessage(int err) {
  return std::error_code(err, std::generic_category()).message();
}

void SetWriteFunctionForTest(WriteFunction fn) {
  g_write_function.store(fn, std::memory_order_relaxed);
}

// ---- ReadFile ----------------------------------------------------------------

ReadFile::ReadFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) ThrowErrno(path, errno);
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    ThrowErrno(path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    Throw(KLDKIT_ERROR_IO, path + ": not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

ReadFile::~ReadFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ReadFile::ReadAt(uint64_t offset, void* dst, size_t n) const {
  auto* out = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(path_, errno);
    }
    if (got == 0) {
      Throw(KLDKIT_ERROR_TRUNCATED,
            path_ + ": file ended at byte " + std::to_string(offset) +
                " (it shrank while open)");
    }
    out += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
}

// ---- TempFileWriter ------------------------------------------------------------

TempFileWriter::TempFileWriter(const std::string& path)
    : path_(path), temp_path_(path + ".tmp") {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
               0666);
  if (fd_ < 0) ThrowErrno(temp_path_, errno);
}

TempFileWriter::~TempFileWriter() { Abandon(); }

void TempFileWriter::Write(const void* data, size_t n) {
  if (fd_ < 0 || failed_) {
    Throw(KLDKIT_ERROR_IO, temp_path_ + ": write after a failed write");
  }
  const auto* in = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t put = DoWrite(fd_, in, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      failed_ = true;
      // write() returning 0 for n > 0 is a device that takes nothing more.
      ThrowErrno(temp_path_, put < 0 ? errno : ENOSPC);
    }
    in += put;
    written_ += static_cast<uint64_t>(put);
    n -= static_cast<size_t>(put);
  }
}

void TempFileWriter::Commit() {
  if (fd_ < 0 || failed_) {
    Throw(KLDKIT_ERROR_IO, temp_path_ + ": commit after a failed write");
  }
  // fsync before rename: after a crash the final name holds either nothing
  // or the complete file, never a prefix.
  if (::fsync(fd_) != 0) {
    failed_ = true;
    ThrowErrno(temp_path_, errno);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    failed_ = true;
    const int err = errno;
    std::remove(temp_path_.c_str());
    ThrowErrno(temp_path_, err);
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    failed_ = true;
    const int err = errno;
    std::remove(temp_path_.c_str());
    ThrowErrno(path_, err);
  }
  temp_path_.clear();  // nothing left to remove
}

void TempFileWriter::Abandon() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    std::remove(temp_path_.c_str());
    temp_path_.clear();
  }
  failed_ = true;
}

}  // namespace detail
}  // namespace kldkit
