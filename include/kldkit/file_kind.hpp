// What a row file holds, told from its magic bytes, never from its name:
// a llama.cpp `_logits_` base file, a .kldz container, or a NumPy array.
// Since 0.2.
#ifndef KLDKIT_FILE_KIND_HPP_
#define KLDKIT_FILE_KIND_HPP_

#include <cstdint>
#include <string>

#include "kldkit/error.hpp"

namespace kldkit {

// Values are pinned: those of the C ABI's kldkit_file_kind.
enum class FileKind : uint32_t {
  kUnknown = 0,
  kLlama = 1,      // llama.cpp _logits_ file
  kNpy = 2,        // NumPy .npy array
  kContainer = 3,  // kldkit .kldz container
  // kldkit token file (per-token results, token_file.hpp); not a row
  // file, so no C reader opens it. Since 0.2.
  kTokenResults = 4,
};

// Reads the first 8 bytes of `path`; a file too short for any magic is
// kUnknown. Throws IO if it cannot be opened or read.
FileKind DetectFileKind(const std::string& path);

// True if `path` ends in ".kldz" (case-sensitive): where a writer is asked
// for a container rather than a llama.cpp file (BaseWriter, kldkit
// convert), the name decides, since the file does not exist yet.
bool HasKldzExtension(const std::string& path);

// "llama.cpp logits file", "kldkit container (.kldz)", "NumPy array
// (.npy)", "kldkit token file", "unknown".
const char* FileKindName(FileKind kind);

}  // namespace kldkit

#endif  // KLDKIT_FILE_KIND_HPP_
