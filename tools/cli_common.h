// Shared pieces of the kldkit command line: exit codes, error reporting,
// size parsing.
#ifndef KLDKIT_TOOLS_CLI_COMMON_H_
#define KLDKIT_TOOLS_CLI_COMMON_H_

#include <cstdint>
#include <functional>
#include <string>

#include "kldkit/error.hpp"
#include "kldkit/file_kind.hpp"  // DetectFileKind, used by every command
#include "lib/common/error.h"

namespace kldkit {
namespace cli {

// Exit status per kldkit_status class (listed in every --help footer).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,   // INTERNAL, CANCELLED, CLOSED, anything unexpected
  kExitInvalid = 2,    // INVALID_ARGUMENT, UNSUPPORTED
  kExitIo = 3,         // IO
  kExitBadFile = 4,    // FORMAT, TRUNCATED, CHECKSUM
  kExitMismatch = 5,   // MISMATCH, INCOMPATIBLE
  kExitNonFinite = 6,  // NON_FINITE
  kExitNoMemory = 7,   // OUT_OF_MEMORY, std::bad_alloc
};

int ExitCodeFor(kldkit_status status);

// The text of the --help footer that lists the exit codes.
std::string ExitCodeFooter();

// Runs `body` and turns any exception into a one-line message on stderr
// ("kldkit <command>: <message>") and the matching exit code.
int RunGuarded(const std::string& command, const std::function<int()>& body);

// Errors name the file they are about: the library's own helper.
using detail::WithFile;


// True if `path` ends in `ext` (case-sensitive); HasKldzExtension is the
// library's (file_kind.hpp).
bool HasExtension(const std::string& path, const std::string& ext);

// Size of a file in bytes (throws IO).
uint64_t FileSize(const std::string& path);

// "123", "1.5G", "16.4GiB", "900M", "2KiB" (K/M/G/T are powers of 1000,
// KiB/MiB/GiB/TiB of 1024) or else the size of an existing file. Throws
// INVALID_ARGUMENT.
uint64_t ParseSizeOrFile(const std::string& text);

// File name without folders and without its last extension.
std::string Stem(const std::string& path);

// A whole text file, up to `limit` bytes. Throws IO (unreadable) or
// INVALID_ARGUMENT (larger than the limit).
std::string ReadTextFile(const std::string& path, size_t limit = 64 << 20);

// Writes `text` to path.tmp, then renames it to `path`. Throws IO.
void WriteTextFile(const std::string& path, const std::string& text);

// "1.23 GiB" style.
std::string HumanBytes(double bytes);

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_CLI_COMMON_H_
