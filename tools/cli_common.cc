#include "tools/cli_common.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <new>

namespace kldkit {
namespace cli {

int ExitCodeFor(kldkit_status status) {
  switch (status) {
    case KLDKIT_OK:
      return kExitOk;
    case KLDKIT_ERROR_INVALID_ARGUMENT:
    case KLDKIT_ERROR_UNSUPPORTED:
      return kExitInvalid;
    case KLDKIT_ERROR_IO:
      return kExitIo;
    case KLDKIT_ERROR_FORMAT:
    case KLDKIT_ERROR_TRUNCATED:
    case KLDKIT_ERROR_CHECKSUM:
      return kExitBadFile;
    case KLDKIT_ERROR_MISMATCH:
    case KLDKIT_ERROR_INCOMPATIBLE:
      return kExitMismatch;
    case KLDKIT_ERROR_NON_FINITE:
      return kExitNonFinite;
    case KLDKIT_ERROR_OUT_OF_MEMORY:
      return kExitNoMemory;
    default:
      return kExitInternal;
  }
}

std::string ExitCodeFooter() {
  return "Exit status: 0 success; 1 internal error; 2 invalid argument or "
         "unsupported input; 3 I/O error; 4 damaged, truncated or unknown "
         "file; 5 inputs do not match (tokens, vocabulary, rows); 6 NaN or "
         "+inf where a number is needed; 7 out of memory; 100-127 "
         "command-line errors (CLI11's codes).\n";
}

int RunGuarded(const std::string& command, const std::function<int()>& body) {
  const std::string prefix = "kldkit " + command + ": ";
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
    return ExitCodeFor(e.Status());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%sout of memory\n", prefix.c_str());
    return kExitNoMemory;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%sinternal error: %s\n", prefix.c_str(), e.what());
    return kExitInternal;
  }
}

bool HasExtension(const std::string& path, const std::string& ext) {
  return path.size() >= ext.size() &&
         path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}


uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw Error(KLDKIT_ERROR_IO, path + ": " + std::strerror(errno));
  }
  return static_cast<uint64_t>(st.st_size);
}

uint64_t ParseSizeOrFile(const std::string& text) {
  struct Unit {
    const char* suffix;
    double factor;
  };
  static const Unit kUnits[] = {{"TiB", 1099511627776.0},
                                {"GiB", 1073741824.0},
                                {"MiB", 1048576.0},
                                {"KiB", 1024.0},
                                {"T", 1e12},
                                {"G", 1e9},
                                {"M", 1e6},
                                {"K", 1e3},
                                {"B", 1.0},
                                {"", 1.0}};
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(begin, &end);
  if (end != begin && errno == 0 && std::isfinite(value) && value >= 0) {
    for (const Unit& unit : kUnits) {
      if (std::strcmp(end, unit.suffix) == 0) {
        return static_cast<uint64_t>(std::llround(value * unit.factor));
      }
    }
  }
  struct stat st;
  if (stat(text.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    return static_cast<uint64_t>(st.st_size);
  }
  throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
              "'" + text +
                  "' is neither a size (e.g. 4.2G, 16.4GiB, "
                  "123456789) nor an existing file");
}

std::string Stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

std::string ReadTextFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(KLDKIT_ERROR_IO, path + ": cannot open");
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > limit) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  path + ": larger than " + std::to_string(limit >> 20) +
                      " MiB, not a report");
    }
  }
  if (in.bad()) throw Error(KLDKIT_ERROR_IO, path + ": read error");
  return text;
}

void WriteTextFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw Error(KLDKIT_ERROR_IO, path + ": cannot write");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(KLDKIT_ERROR_IO, path + ": cannot write");
  }
}

std::string HumanBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f %s" : "%.2f %s", bytes,
                kUnits[unit]);
  return buf;
}

}  // namespace cli
}  // namespace kldkit
