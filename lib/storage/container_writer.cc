// ContainerWriter: rows -> blocks (encoded inline or on a BlockPool) ->
// `path`.tmp, then seek table, end marker, fsync and rename.
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <future>
#include <utility>

#include "kldkit/container.hpp"
#include "lib/common/error.h"
#include "lib/storage/container_block.h"
#include "lib/storage/container_pool.h"
#include "lib/storage/container_writer_internal.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace detail {

// ~4 MiB blocks: 4% smaller than 1 MiB ones on the fixture, and one block
// still decodes in a few ms for random access.
constexpr uint64_t kDefaultBlockBytes = uint64_t{4} << 20;

BlockFileWriter::BlockFileWriter(const std::string& path, FileHeader header)
    : header_(std::move(header)),
      header_bytes_(EncodeFileHeader(&header_)),  // validates: before file_
      file_(path) {
  file_.Write(header_bytes_.data(), header_bytes_.size());
  offset_ = header_bytes_.size();
}

void BlockFileWriter::WriteBlock(const std::vector<uint8_t>& block,
                                 uint32_t row_count) {
  if (entries_.size() >= kMaxBlocks) {
    Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
          "more than 2^24 blocks: raise rows_per_block");
  }
  SeekEntry e;
  e.offset = offset_;
  e.first_row = rows_;
  e.row_count = row_count;
  e.payload_size = static_cast<uint32_t>(block.size() - kBlockHeaderSize);
  file_.Write(block.data(), block.size());
  offset_ += block.size();
  rows_ += row_count;
  entries_.push_back(e);
}

void BlockFileWriter::Finish() {
  const std::vector<uint8_t> table = EncodeSeekTable(entries_);
  file_.Write(table.data(), table.size());
  const std::vector<uint8_t> footer =
      EncodeFooter(Footer{offset_, rows_, header_.file_id});
  file_.Write(footer.data(), footer.size());
  file_.Commit();
}

std::string FloorText(double nats) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", nats);
  return text;
}

uint32_t DefaultRowsPerBlock(int32_t n_vocab) {
  const uint64_t row = RowBytes(std::max<int32_t>(n_vocab, 1));
  return static_cast<uint32_t>(std::max<uint64_t>(1, kDefaultBlockBytes / row));
}

}  // namespace detail

struct ContainerWriter::Impl {
  struct Pending {
    std::future<std::vector<uint8_t>> block;
    uint32_t row_count;
  };

  ContainerOptions options;
  std::unique_ptr<detail::BlockFileWriter> out;
  size_t row_words = 0;
  uint64_t global_first = 0;  // detail::GlobalFirstRow
  uint64_t row_limit = UINT64_MAX;  // a shard stops at the last chunk
  std::vector<uint16_t> block;  // rows of the block being filled
  uint32_t in_block = 0;
  uint64_t rows = 0;
  detail::SplitCodec codec;
  std::vector<uint8_t> encoded;
  std::unique_ptr<detail::BlockPool> pool;
  std::deque<Pending> pending;
  bool closed = false;
  bool failed = false;

  void CheckUsable() const {
    if (closed)
      detail::Throw(KLDKIT_ERROR_CLOSED, "kldz writer already closed");
    if (failed) detail::Throw(KLDKIT_ERROR_IO, "kldz writer failed earlier");
  }

  // Writes finished blocks in order, keeping at most `keep` in flight.
  void Drain(size_t keep) {
    while (pending.size() > keep) {
      Pending p = std::move(pending.front());
      pending.pop_front();
      out->WriteBlock(p.block.get(), p.row_count);
    }
  }

  void FlushBlock() {
    if (in_block == 0) return;
    const uint64_t first = rows - in_block;
    const uint32_t count = in_block;
    in_block = 0;
    if (!pool) {
      detail::EncodeBlock(&codec, block.data(), count, first, out->Header(),
                          options.level, &encoded);
      out->WriteBlock(encoded, count);
      return;
    }
    std::vector<uint16_t> rows_copy(block.begin(),
                                    block.begin() + count * row_words);
    const detail::FileHeader* header = &out->Header();
    const int level = options.level;
    auto job = [rows_copy = std::move(rows_copy), count, first, header,
                level](detail::SplitCodec* c) {
      std::vector<uint8_t> bytes;
      detail::EncodeBlock(c, rows_copy.data(), count, first, *header, level,
                          &bytes);
      return bytes;
    };
    pending.push_back(Pending{pool->Submit(std::move(job)), count});
    Drain(options.threads);
  }
};

ContainerWriter::ContainerWriter(const std::string& path,
                                 const ContainerInfo& info,
                                 const ContainerOptions& options)
    : impl_(new Impl) {
  detail::Require(options.threads >= 1 && options.threads <= kMaxWriterThreads,
                  "threads must be in 1..256");
  detail::Require(
      options.level >= ZSTD_minCLevel() && options.level <= ZSTD_maxCLevel(),
      "level is outside zstd's range");
  detail::Require(options.floor >= 0 && options.floor < 1e6,
                  "floor must be in [0, 1e6) nats");
  detail::FileHeader header;
  header.info = info;
  header.keep = options.keep;
  auto& meta = header.info.metadata;
  if (options.floor > 0) meta["floor"] = detail::FloorText(options.floor);
  if (options.keep == KeepProfile::kKld) {
    meta["keep"] = KeepProfileName(options.keep);
  } else {
    meta.erase("keep");
  }
  // The level is not in the blocks: ConcatShards reads it here to encode
  // seam blocks as the one-piece writer would.
  if (info.shard) meta["level"] = std::to_string(options.level);
  header.rows_per_block =
      options.rows_per_block != 0
          ? options.rows_per_block
          : detail::DefaultRowsPerBlock(info.header.n_vocab);
  impl_->options = options;
  impl_->out.reset(new detail::BlockFileWriter(path, std::move(header)));
  const auto& h = impl_->out->Header();
  impl_->row_words = LlamaRowWords(static_cast<size_t>(h.info.header.n_vocab));
  impl_->block.resize(size_t{h.rows_per_block} * impl_->row_words);
  impl_->global_first = detail::GlobalFirstRow(h);
  if (h.info.shard) {
    impl_->row_limit =
        (uint64_t(h.info.header.n_chunk) - h.info.first_chunk) *
        RowsPerChunk(h.info.header.n_ctx);
  }
  if (options.threads > 1)
    impl_->pool.reset(new detail::BlockPool(options.threads));
}

ContainerWriter::~ContainerWriter() {
  impl_->pending.clear();  // results unwanted; the pool joins next
  impl_->pool.reset();
}

void ContainerWriter::AppendRow(gsl::span<const uint16_t> row) {
  impl_->CheckUsable();
  if (row.size() != impl_->row_words) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "row has " + std::to_string(row.size()) +
                      " words, n_vocab needs " +
                      std::to_string(impl_->row_words));
  }
  const detail::FileHeader& header = impl_->out->Header();
  if (impl_->rows >= impl_->row_limit) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  "a shard holds no rows past the last chunk");
  }
  const bool keep_kld = header.keep == KeepProfile::kKld;
  const int32_t target =
      keep_kld ? LlamaTargetToken(header.info.tokens, header.info.header.n_ctx,
                                  impl_->global_first + impl_->rows)
               : 0;
  if (target < 0 || target >= header.info.header.n_vocab) {
    detail::Throw(KLDKIT_ERROR_MISMATCH,
                  "row " + std::to_string(impl_->rows) + " predicts token " +
                      std::to_string(target) + ", outside the vocabulary");
  }
  try {
    const auto slot = impl_->block.begin() + impl_->in_block * impl_->row_words;
    std::copy(row.begin(), row.end(), slot);
    if (keep_kld) {
      ApplyKeepKld(gsl::make_span(&*slot, impl_->row_words),
                   static_cast<size_t>(header.info.header.n_vocab), target);
    }
    ++impl_->in_block;
    ++impl_->rows;
    // Boundaries on the whole run's grid: a shard's blocks are the blocks
    // the one-piece file has, but its first and last.
    if ((impl_->global_first + impl_->rows) % header.rows_per_block == 0)
      impl_->FlushBlock();
  } catch (...) {
    impl_->failed = true;
    throw;
  }
}

void ContainerWriter::Close() {
  impl_->CheckUsable();
  try {
    impl_->FlushBlock();
    impl_->Drain(0);
    impl_->out->Finish();
    impl_->closed = true;
  } catch (...) {
    impl_->failed = true;
    throw;
  }
}

uint64_t ContainerWriter::RowCount() const { return impl_->rows; }

}  // namespace kldkit
