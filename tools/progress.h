// A one-line progress bar on stderr (rows done, rows/s, ETA), shown only
// when stderr is a terminal and the user did not ask for --quiet.
#ifndef KLDKIT_TOOLS_PROGRESS_H_
#define KLDKIT_TOOLS_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace kldkit {
namespace cli {

class Progress {
 public:
  // total: rows expected (0 if unknown). Draws nothing unless stderr is a
  // terminal and !quiet.
  Progress(std::string label, uint64_t total, bool quiet);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Advance(uint64_t rows);  // redraws at most 10 times a second
  void Finish();                // clears the line

  bool Enabled() const { return enabled_; }

 private:
  void Draw();

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace cli
}  // namespace kldkit

#endif  // KLDKIT_TOOLS_PROGRESS_H_
