#include "tools/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace kldkit {
namespace cli {

Progress::Progress(std::string label, uint64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      enabled_(!quiet && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Advance(uint64_t rows) {
  done_ += rows;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) {
    return;
  }
  last_draw_ = now;
  Draw();
}

void Progress::Draw() {
  const double seconds =
      std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  constexpr int kWidth = 30;
  const double fraction = total_ == 0
                              ? 0.0
                              : std::min(1.0, static_cast<double>(done_) /
                                                  static_cast<double>(total_));
  const int filled = static_cast<int>(fraction * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  const double eta = rate > 0 && total_ > done_
                         ? static_cast<double>(total_ - done_) / rate
                         : 0.0;
  std::fprintf(stderr, "\r%s [%s] %llu/%llu rows  %.0f rows/s  ETA %d:%02d   ",
               label_.c_str(), bar, static_cast<unsigned long long>(done_),
               static_cast<unsigned long long>(total_), rate,
               static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  enabled_ = false;
}

}  // namespace cli
}  // namespace kldkit
