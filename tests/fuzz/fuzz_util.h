// Helpers shared by the fuzz targets: an in-memory file with a path (the
// storage readers open paths), and a byte-stream cursor that never reads
// past the input.
#ifndef KLDKIT_TESTS_FUZZ_FUZZ_UTIL_H_
#define KLDKIT_TESTS_FUZZ_FUZZ_UTIL_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace kldkit {
namespace fuzz {

// The fuzz input as a file the readers can open by path. A memfd is a
// regular file to fstat, so it passes the readers' checks without touching
// the disk (libFuzzer runs thousands of inputs a second).
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("kldkit-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) Die("memfd_create");
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) Die("write");
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& Path() const { return path_; }

 private:
  // A failure here is the harness's, not the library's: stop loudly.
  [[noreturn]] static void Die(const char* what) {
    std::perror(what);
    std::abort();
  }
  int fd_ = -1;
  std::string path_;
};

// A scratch folder on tmpfs when there is one (writers sync), removed at
// exit (each input removes its files; a crash leaves it).
inline char* ScratchPathBuffer() {
  static char path[64];
  return path;
}

inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string templ = base + "/kldkit-fuzz-XXXXXX";
    if (mkdtemp(&templ[0]) == nullptr) std::abort();
    std::snprintf(ScratchPathBuffer(), 64, "%s", templ.c_str());
    std::atexit([] { rmdir(ScratchPathBuffer()); });
    return templ;
  }();
  return dir;
}

// Reads little-endian integers and bytes from the input; past the end it
// yields zeros, so every input decodes to some argument set.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t Left() const { return size_ - pos_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() {
    const uint32_t lo = U16();
    return lo | (uint32_t{U16()} << 16);
  }
  float F32() {
    const uint32_t bits = U32();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  // The next `n` bytes (fewer where the input ends).
  std::vector<uint8_t> Bytes(size_t n) {
    const size_t take = n < Left() ? n : Left();
    std::vector<uint8_t> out(data_ + pos_, data_ + pos_ + take);
    pos_ += take;
    return out;
  }
  // Fills `n` bytes at `dst` from the rest of the input, starting `phase`
  // bytes in and cycling through it (zeros if nothing is left), so large
  // rows need no large inputs.
  void FillCycling(void* dst, size_t n, size_t phase = 0) {
    if (n == 0) return;  // dst may be null
    auto* out = static_cast<uint8_t*>(dst);
    const size_t left = size_ - pos_;
    if (left == 0) {
      std::memset(out, 0, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) out[i] = data_[pos_ + (i + phase) % left];
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace fuzz
}  // namespace kldkit

#endif  // KLDKIT_TESTS_FUZZ_FUZZ_UTIL_H_
