#include "tools/token_output.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "kldkit/error.hpp"
#include "tools/cli_common.h"

namespace kldkit {
namespace cli {

namespace {

bool KldGreater(const WorstToken& a, const WorstToken& b) {
  return a.kld > b.kld || (a.kld == b.kld && a.row < b.row);
}

WorstToken Describe(uint64_t row, const TokenResult& r, int32_t target,
                    const TokenLayout& layout) {
  WorstToken w;
  w.kld = r.kld;
  w.row = row;
  w.chunk = static_cast<uint32_t>(row / layout.RowsPerChunk() + 1);
  w.pos = static_cast<uint32_t>(layout.n_ctx / 2 + row % layout.RowsPerChunk());
  w.token = target;
  w.p = r.p;
  w.p_base = r.p_base;
  return w;
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

void WorstTokens::Add(uint64_t first_row, gsl::span<const TokenResult> results,
                      gsl::span<const int32_t> targets, const TokenLayout& layout) {
  if (n_ == 0) return;
  for (size_t i = 0; i < results.size(); ++i) {
    const TokenResult& r = results[i];
    if (!r.Valid() || std::isnan(r.kld)) continue;
    const WorstToken w = Describe(first_row + i, r, targets[i], layout);
    if (heap_.size() < n_) {
      heap_.push_back(w);
      std::push_heap(heap_.begin(), heap_.end(), KldGreater);
    } else if (KldGreater(w, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), KldGreater);
      heap_.back() = w;
      std::push_heap(heap_.begin(), heap_.end(), KldGreater);
    }
  }
}

std::vector<WorstToken> WorstTokens::Sorted() const {
  std::vector<WorstToken> out = heap_;
  std::sort(out.begin(), out.end(), KldGreater);
  return out;
}

std::string RenderWorstText(const std::vector<WorstToken>& worst) {
  std::string out = "\n====== Tokens with the largest KLD ======\n";
  char line[160];
  std::snprintf(line, sizeof(line), "%5s %10s %6s %6s %9s %12s %9s %9s\n",
                "rank", "row", "chunk", "pos", "token", "KLD", "p", "p_base");
  out += line;
  for (size_t i = 0; i < worst.size(); ++i) {
    const WorstToken& w = worst[i];
    std::snprintf(line, sizeof(line),
                  "%5zu %10llu %6u %6u %9d %12.6f %8.3f%% %8.3f%%\n", i + 1,
                  static_cast<unsigned long long>(w.row), w.chunk, w.pos,
                  w.token, w.kld, 100.0 * w.p, 100.0 * w.p_base);
    out += line;
  }
  return out;
}

std::string RenderWorstJson(const std::vector<WorstToken>& worst) {
  std::string out = "[";
  for (size_t i = 0; i < worst.size(); ++i) {
    const WorstToken& w = worst[i];
    out += i ? ",\n    " : "\n    ";
    out += "{\"row\": " + std::to_string(w.row) +
           ", \"chunk\": " + std::to_string(w.chunk) +
           ", \"pos\": " + std::to_string(w.pos) +
           ", \"token\": " + std::to_string(w.token) +
           ", \"kld\": " + JsonNumber(w.kld) + ", \"p\": " + JsonNumber(w.p) +
           ", \"p_base\": " + JsonNumber(w.p_base) + "}";
  }
  out += worst.empty() ? "]" : "\n  ]";
  return out;
}

const char* const kDumpColumns[] = {"row", "chunk",    "pos",  "token",  "kld",
                                    "nll", "nll_base", "p",    "p_base", "dp",
                                    "top", "top_base", "flags"};
const size_t kDumpColumnCount = sizeof(kDumpColumns) / sizeof(kDumpColumns[0]);

TokenDumper::TokenDumper(const std::string& path, uint64_t rows) : path_(path) {
  if (HasExtension(path, ".npy")) {
    WithFile(path, [&] {
      npy_ = std::make_unique<NpyF32Writer>(path, rows, kDumpColumnCount);
    });
    return;
  }
  csv_tmp_ = path + ".tmp";
  csv_ = std::fopen(csv_tmp_.c_str(), "w");
  if (csv_ == nullptr) {
    throw Error(KLDKIT_ERROR_IO,
                path + ": cannot create: " + std::strerror(errno));
  }
  for (size_t c = 0; c < kDumpColumnCount; ++c) {
    std::fprintf(csv_, c ? ",%s" : "%s", kDumpColumns[c]);
  }
  std::fputc('\n', csv_);
}

TokenDumper::~TokenDumper() {
  if (csv_ != nullptr) {
    std::fclose(csv_);
    std::remove(csv_tmp_.c_str());
  }
}

void TokenDumper::Add(uint64_t first_row, gsl::span<const TokenResult> results,
                      gsl::span<const int32_t> targets, const TokenLayout& layout) {
  for (size_t i = 0; i < results.size(); ++i) {
    const TokenResult& r = results[i];
    const WorstToken w = Describe(first_row + i, r, targets[i], layout);
    if (npy_) {
      const float row[] = {static_cast<float>(w.row),
                           static_cast<float>(w.chunk),
                           static_cast<float>(w.pos),
                           static_cast<float>(w.token),
                           static_cast<float>(r.kld),
                           r.nll,
                           r.nll_base,
                           r.p,
                           r.p_base,
                           r.dp,
                           static_cast<float>(r.top),
                           static_cast<float>(r.top_base),
                           static_cast<float>(r.flags)};
      WithFile(path_, [&] { npy_->AppendRow(row); });
    } else {
      std::fprintf(
          csv_, "%llu,%u,%u,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%d,%u\n",
          static_cast<unsigned long long>(w.row), w.chunk, w.pos, w.token,
          r.kld, static_cast<double>(r.nll), static_cast<double>(r.nll_base),
          static_cast<double>(r.p), static_cast<double>(r.p_base),
          static_cast<double>(r.dp), r.top, r.top_base, r.flags);
    }
  }
}

void TokenDumper::Close() {
  if (npy_) {
    WithFile(path_, [&] { npy_->Close(); });
    return;
  }
  const bool ok = std::ferror(csv_) == 0;
  const bool closed = std::fclose(csv_) == 0;
  csv_ = nullptr;
  if (!ok || !closed || std::rename(csv_tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(csv_tmp_.c_str());
    throw Error(KLDKIT_ERROR_IO, path_ + ": write failed");
  }
}

}  // namespace cli
}  // namespace kldkit
