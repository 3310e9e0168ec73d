// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
// libFuzzer, so the checked-in corpus runs under ctest with any compiler
// (zstd's tests/fuzz/regression_driver.c does the same).
// Usage: <target>_regression FILE_OR_DIR... ; directories are read one level
// deep, in sorted order. Exits 1 if an argument cannot be read or a folder
// holds no input (an empty corpus would pass silently).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return files;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name[0] == '.') continue;  // ".", "..", hidden files
    const std::string path = dir + "/" + name;
    if (!IsDirectory(path)) files.push_back(path);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

bool Replay(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // Tell which input is running: a crash leaves this as the last line.
  std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A copy in its own allocation, so ASan sees reads past the input's end.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::vector<std::string> files =
        IsDirectory(arg) ? ListFiles(arg) : std::vector<std::string>{arg};
    if (files.empty()) {
      std::fprintf(stderr, "error: %s holds no input\n", arg.c_str());
      return 1;
    }
    for (const std::string& f : files) {
      if (!Replay(f)) {
        std::fprintf(stderr, "error: cannot read %s\n", f.c_str());
        return 1;
      }
      ++replayed;
    }
  }
  std::fprintf(stderr, "replayed %zu inputs: no crash\n", replayed);
  return 0;
}
