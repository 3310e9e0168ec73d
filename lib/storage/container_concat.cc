// ConcatShards: shards of consecutive chunk ranges -> one .kldz. Blocks on
// the whole run's grid are copied as they are (new block header only); the
// pieces of a block cut by a seam are decoded and encoded again at the
// level the shards record, so the result is the one-piece file's bytes.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <zstd.h>

#include "kldkit/container.hpp"
#include "kldkit/row.hpp"
#include "lib/common/error.h"
#include "lib/storage/container_block.h"
#include "lib/storage/container_writer_internal.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace {

struct Part {
  std::unique_ptr<detail::ReadFile> file;
  detail::FileHeader header;
  std::vector<detail::SeekEntry> entries;
  uint64_t rows = 0;
  uint32_t first = 0, end = 0;  // chunks [first, end)
};

[[noreturn]] void Refuse(const std::string& what) {
  detail::Throw(KLDKIT_ERROR_MISMATCH, "shards do not join: " + what);
}

std::string MetaOf(const Part& p, const char* key) {
  const auto& meta = p.header.info.metadata;
  const auto it = meta.find(key);
  return it == meta.end() ? std::string() : it->second;
}

Part OpenPart(const std::string& path) {
  Part p;
  p.file.reset(new detail::ReadFile(path));
  p.header = detail::ReadFileHeader(*p.file);
  p.entries = detail::ReadSeekTable(*p.file, p.header, &p.rows);
  const uint64_t per_chunk = RowsPerChunk(p.header.info.header.n_ctx);
  if (per_chunk == 0 || p.rows % per_chunk != 0)
    Refuse(path + " does not hold whole chunks");
  p.first = p.header.info.first_chunk;
  p.end = p.first + static_cast<uint32_t>(p.rows / per_chunk);
  if (MetaOf(p, "level").empty())
    Refuse(path + " records no level: not a shard kldkit wrote");
  return p;
}

// What must agree for the join to be the one-piece file.
void CheckSame(const Part& a, const Part& b) {
  const std::string name = b.file->Path();
  const auto& x = a.header.info.header;
  const auto& y = b.header.info.header;
  if (x.n_vocab != y.n_vocab) Refuse(name + ": another vocabulary size");
  if (x.n_ctx != y.n_ctx || x.n_chunk != y.n_chunk)
    Refuse(name + ": another n_ctx or n_chunk");
  if (a.header.info.tokens != b.header.info.tokens)
    Refuse(name + ": other token ids (not the same text)");
  if (a.header.rows_per_block != b.header.rows_per_block)
    Refuse(name + ": another rows_per_block");
  if (a.header.keep != b.header.keep) Refuse(name + ": another keep profile");
  if (MetaOf(a, "floor") != MetaOf(b, "floor")) Refuse(name + ": another floor");
  if (MetaOf(a, "level") != MetaOf(b, "level")) Refuse(name + ": another level");
}

// Parts sorted by first chunk, each starting where the previous ends.
void CheckContiguous(const std::vector<Part>& parts) {
  for (size_t i = 1; i < parts.size(); ++i) {
    const Part& prev = parts[i - 1];
    const Part& next = parts[i];
    if (next.first != prev.end) {
      Refuse(next.first < prev.end
                 ? "chunks overlap at " + next.file->Path()
                 : "chunks " + std::to_string(prev.end) + ".." +
                       std::to_string(next.first - 1) + " are missing");
    }
  }
}

int ParseLevel(const std::string& text) {
  size_t used = 0;
  int level = 0;
  try {
    level = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || level < ZSTD_minCLevel() ||
      level > ZSTD_maxCLevel()) {
    Refuse("recorded level '" + text + "' is not a zstd level");
  }
  return level;
}

// The output header: the first part's, a shard unless it covers all.
detail::FileHeader JoinedHeader(const std::vector<Part>& parts) {
  detail::FileHeader h;
  h.info = parts.front().header.info;
  h.keep = parts.front().header.keep;
  h.rows_per_block = parts.front().header.rows_per_block;
  const bool all = parts.front().first == 0 &&
                   parts.back().end == uint32_t(h.info.header.n_chunk);
  h.info.shard = !all;
  h.info.first_chunk = all ? 0 : parts.front().first;
  if (all) h.info.metadata.erase("level");  // recorded in shards only
  return h;
}

// Writes the blocks in order, collecting the rows of cut blocks until a
// grid boundary (or the end) and encoding them then.
class Joiner {
 public:
  Joiner(detail::BlockFileWriter* out, int level, uint64_t total_rows)
      : out_(out),
        level_(level),
        per_block_(out->Header().rows_per_block),
        global_(detail::GlobalFirstRow(out->Header())),
        end_(global_ + total_rows),
        row_words_(LlamaRowWords(
            static_cast<size_t>(out->Header().info.header.n_vocab))) {}

  void Add(const Part& p, const detail::SeekEntry& e) {
    const detail::BlockHeader bh = detail::ReadBlockPayload(
        *p.file, p.header, e.offset, e.first_row, &payload_);
    if (bh.row_count != e.row_count || bh.payload_size != e.payload_size)
      Refuse(p.file->Path() + ": a block disagrees with the seek table");
    const uint64_t at = global_ + written_ + pending_rows_;
    const bool whole = pending_rows_ == 0 && at % per_block_ == 0 &&
                       (e.row_count == per_block_ || at + e.row_count == end_);
    if (whole) return Copy(bh);
    codec_.DecodeStreams(payload_.data(), payload_.size(), bh.row_count,
                         static_cast<size_t>(p.header.info.header.n_vocab));
    pending_.resize((pending_rows_ + bh.row_count) * row_words_);
    codec_.WriteRows(pending_.data() + pending_rows_ * row_words_);
    pending_rows_ += bh.row_count;
    const uint64_t reached = at + bh.row_count;
    if (reached % per_block_ == 0 || reached == end_) Flush();
  }

  uint64_t Rows() const { return written_; }

 private:
  void Copy(detail::BlockHeader bh) {
    bh.file_id = out_->Header().file_id;
    bh.first_row = written_;
    block_.clear();
    detail::EncodeBlockHeader(bh, &block_);
    block_.insert(block_.end(), payload_.begin(), payload_.end());
    out_->WriteBlock(block_, bh.row_count);
    written_ += bh.row_count;
  }

  void Flush() {
    detail::EncodeBlock(&codec_, pending_.data(), pending_rows_, written_,
                        out_->Header(), level_, &block_);
    out_->WriteBlock(block_, pending_rows_);
    written_ += pending_rows_;
    pending_rows_ = 0;
  }

  detail::BlockFileWriter* out_;
  int level_;
  uint64_t per_block_, global_, end_;
  size_t row_words_;
  uint64_t written_ = 0;
  uint32_t pending_rows_ = 0;
  std::vector<uint16_t> pending_;
  std::vector<uint8_t> payload_, block_;
  detail::SplitCodec codec_;
};

}  // namespace

uint64_t ConcatShards(const std::vector<std::string>& parts_in,
                      const std::string& dst) {
  detail::Require(!parts_in.empty(), "concat needs at least one part");
  std::vector<Part> parts;
  for (const std::string& path : parts_in) parts.push_back(OpenPart(path));
  for (const Part& p : parts) CheckSame(parts.front(), p);
  std::stable_sort(parts.begin(), parts.end(),
                   [](const Part& a, const Part& b) { return a.first < b.first; });
  CheckContiguous(parts);
  const int level = ParseLevel(MetaOf(parts.front(), "level"));
  uint64_t total = 0;
  for (const Part& p : parts) total += p.rows;
  detail::BlockFileWriter out(dst, JoinedHeader(parts));
  Joiner joiner(&out, level, total);
  for (const Part& p : parts) {
    for (const detail::SeekEntry& e : p.entries) joiner.Add(p, e);
  }
  out.Finish();
  return joiner.Rows();
}

}  // namespace kldkit
