// Running the built kldkit binary from tests: a temporary working folder,
// the command's exit status, stdout and stderr.
#ifndef KLDKIT_TESTS_TOOLS_CLI_TEST_UTIL_H_
#define KLDKIT_TESTS_TOOLS_CLI_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace kldkit {
namespace testing {

struct CliResult {
  int status = -1;  // exit status (or -1 if it did not exit normally)
  std::string out;
  std::string err;
};

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh folder under TMPDIR, removed with its files by the destructor.
class TempFolder {
 public:
  TempFolder() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                          "/kldkit-cli-XXXXXX";
    if (mkdtemp(&pattern[0]) != nullptr) path_ = pattern;
  }
  ~TempFolder() {
    if (!path_.empty()) {
      const std::string cmd = "rm -rf '" + path_ + "'";
      if (std::system(cmd.c_str()) != 0) std::perror("rm");
    }
  }
  const std::string& Path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

#ifdef KLDKIT_CLI_PATH
// Runs `kldkit args...` inside `dir`, stdin from /dev/null.
inline CliResult RunCli(const TempFolder& dir,
                        const std::vector<std::string>& args) {
  std::string cmd = "cd " + Quote(dir.Path()) + " && " + Quote(KLDKIT_CLI_PATH);
  for (const std::string& a : args) cmd += " " + Quote(a);
  const std::string out = dir.File(".stdout"), err = dir.File(".stderr");
  cmd += " > " + Quote(out) + " 2> " + Quote(err) + " < /dev/null";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  r.out = ReadFileText(out);
  r.err = ReadFileText(err);
  return r;
}
#endif  // KLDKIT_CLI_PATH

inline bool SameBytes(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  std::istreambuf_iterator<char> ia(fa), ib(fb), end;
  return std::equal(ia, end, ib, end);
}

inline size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos;
       p = text.find(needle, p + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_TOOLS_CLI_TEST_UTIL_H_
