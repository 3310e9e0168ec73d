// DetectFileKind: the one place that knows every format's magic bytes.
#include "kldkit/file_kind.hpp"

#include <algorithm>
#include <cstring>

#include "lib/storage/container_format.h"
#include "lib/storage/io_file.h"
#include "lib/storage/llamacpp_format.h"
#include "lib/storage/npy_format.h"
#include "lib/storage/token_magic.h"

namespace kldkit {

FileKind DetectFileKind(const std::string& path) {
  const detail::ReadFile file(path);
  uint8_t magic[8] = {};
  const size_t got = static_cast<size_t>(std::min<uint64_t>(file.Size(), 8));
  file.ReadAt(0, magic, got);
  const auto starts = [&](const void* m, size_t n) {
    return got >= n && std::memcmp(magic, m, n) == 0;
  };
  if (starts(detail::kLlamaMagic, 8)) return FileKind::kLlama;
  if (starts(detail::kKldzMagic, 8)) return FileKind::kContainer;
  if (starts(detail::kNpyMagic, 6)) return FileKind::kNpy;
  if (starts(detail::kTokenMagic, 8)) return FileKind::kTokenResults;
  return FileKind::kUnknown;
}

bool HasKldzExtension(const std::string& path) {
  const std::string ext = ".kldz";
  return path.size() >= ext.size() &&
         path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

const char* FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kLlama:
      return "llama.cpp logits file";
    case FileKind::kContainer:
      return "kldkit container (.kldz)";
    case FileKind::kNpy:
      return "NumPy array (.npy)";
    case FileKind::kTokenResults:
      return "kldkit token file";
    default:
      return "unknown";
  }
}

}  // namespace kldkit
