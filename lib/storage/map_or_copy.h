// Whether a file's rows reach the compare through a mapping or by pread
// copies. Mapping saves a copy but costs a page-table entry per 4 KiB page
// (a fault, then an unmap), and that price varies by machine far more than
// a copy's: the same 993 KB float row cost 0.07 ms mapped against 0.14-0.21
// copied on one of our 2-core VMs, and 0.39 ms mapped against 0.06 copied
// on another (a hypervisor that traps page-table updates). So the choice is
// measured on the file's own first rows when it is opened. Not installed.
#ifndef KLDKIT_LIB_STORAGE_MAP_OR_COPY_H_
#define KLDKIT_LIB_STORAGE_MAP_OR_COPY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/storage/mapped_file.h"

namespace kldkit {
namespace detail {

enum class ReadPath { kAuto, kMap, kCopy };

// The environment's choice: KLDKIT_READ=auto (or unset), map or copy.
// Throws INVALID_ARGUMENT on any other value, naming it.
ReadPath ReadPathFromEnv();

// Timings of reading the same rows both ways (best of a few tries, seconds).
struct ReadProbe {
  double map = 0;   // touching every page of fresh mapped rows, unmap share
  double copy = 0;  // pread of the same rows into a warm buffer
  bool MapPays() const { return map < copy; }
};

// Times `rows` rows of `stride` bytes from `offset` of `path` both ways:
// up to three tries of ~2 MiB each, on distinct rows for the mapping
// (a page maps only once). Throws IO if the file cannot be read.
ReadProbe ProbeReadPath(const MappedFile& file, uint64_t offset,
                        size_t stride, uint64_t rows);

// `path` mapped where reading through the mapping pays (by ReadPathFromEnv,
// measured for kAuto), or null: the caller copies its rows.
std::unique_ptr<MappedFile> MapIfCheaper(const std::string& path,
                                         uint64_t offset, size_t stride,
                                         uint64_t rows);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_MAP_OR_COPY_H_
