// MappedFile and its SIGBUS handler. The handler only reads a fixed table
// of atomics and calls mmap, so it touches no lock and no allocator.
#include "lib/storage/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

#include "lib/common/error.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace detail {
namespace {

// The mappings the handler knows: [begin, end) page-rounded, and whether a
// read of one faulted. A slot is free while its begin is 0.
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> lost{false};
};
constexpr int kSlots = 256;
Slot g_slots[kSlots];
uintptr_t g_page = 4096;
struct sigaction g_previous;

// What SIGBUS would have done without this handler.
void Previous(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0) {
    g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL &&
             g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
  } else {
    // The default action, for a fault or a sent signal alike (a fault's
    // SIGBUS cannot usefully be ignored).
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& s : g_slots) {
    const uintptr_t begin = s.begin.load(std::memory_order_acquire);
    const uintptr_t end = s.end.load(std::memory_order_acquire);
    if (begin == 0 || addr < begin || addr >= end) continue;
    const uintptr_t page = addr & ~(g_page - 1);
    // Zero pages over the rest of the mapping: the read goes on.
    void* p = mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) break;
    s.lost.store(true, std::memory_order_release);
    return;
  }
  Previous(sig, info, context);
}

void InstallHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    struct sigaction action = {};
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &g_previous) != 0) {
      Throw(KLDKIT_ERROR_UNSUPPORTED, "cannot install a SIGBUS handler");
    }
  });
}

int TakeSlot(uintptr_t begin, uintptr_t end) {
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    // end first: a slot with a begin but no end yet matches no address.
    if (g_slots[i].begin.compare_exchange_strong(expected, 1)) {
      g_slots[i].lost.store(false);
      g_slots[i].end.store(end, std::memory_order_release);
      g_slots[i].begin.store(begin, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
  InstallHandler();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Throw(KLDKIT_ERROR_IO, path + ": " + ErrnoMessage(errno));
  struct stat st = {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
    close(fd);
    Throw(KLDKIT_ERROR_UNSUPPORTED, path + ": not a mappable file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);  // the mapping keeps the file
  if (p == MAP_FAILED) {
    Throw(KLDKIT_ERROR_UNSUPPORTED, path + ": mmap: " + ErrnoMessage(errno));
  }
  madvise(p, size_, MADV_SEQUENTIAL);  // advice only
  data_ = static_cast<const uint8_t*>(p);
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t end = begin + (size_ + g_page - 1) / g_page * g_page;
  slot_ = TakeSlot(begin, end);
  if (slot_ < 0) {
    munmap(p, size_);
    Throw(KLDKIT_ERROR_UNSUPPORTED, path + ": too many files mapped");
  }
}

MappedFile::~MappedFile() {
  g_slots[slot_].end.store(0, std::memory_order_release);
  g_slots[slot_].begin.store(0, std::memory_order_release);
  munmap(const_cast<uint8_t*>(data_), size_);
}

bool MappedFile::Prefault(uint64_t offset, size_t n) const {
  if (offset >= size_) return !Lost();
  const uint64_t end = offset + std::min<uint64_t>(n, size_ - offset);
  uint8_t sum = 0;
  for (uint64_t at = offset - offset % g_page; at < end; at += g_page) {
    sum ^= *static_cast<const volatile uint8_t*>(data_ + at);
  }
  (void)sum;
  return !Lost();
}

bool MappedFile::Lost() const {
  return g_slots[slot_].lost.load(std::memory_order_acquire);
}

void MappedFile::CheckNotLost() const {
  if (Lost()) {
    Throw(KLDKIT_ERROR_TRUNCATED,
          path_ + ": the file shrank while it was being read");
  }
}

}  // namespace detail
}  // namespace kldkit
