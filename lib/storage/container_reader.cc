// ContainerReader: header and seek table checked at open; rows decoded one
// block at a time (random access through a one-block cache, sequential
// through a Cursor that decodes the next block on a worker thread).
#include <algorithm>
#include <future>
#include <mutex>
#include <utility>

#include "kldkit/container.hpp"
#include "lib/common/error.h"
#include "lib/storage/container_block.h"
#include "lib/storage/io_file.h"

namespace kldkit {

struct ContainerReader::Impl {
  explicit Impl(const std::string& path)
      : file(path), header(detail::ReadFileHeader(file)) {
    entries = detail::ReadSeekTable(file, header, &rows);
    row_words = LlamaRowWords(static_cast<size_t>(header.info.header.n_vocab));
  }

  // Decodes block `b` into *out (thread-safe: positioned reads only).
  void Load(size_t b, detail::SplitCodec* with, std::vector<uint8_t>* buffer,
            std::vector<uint16_t>* out) const {
    const detail::SeekEntry& e = entries[b];
    const detail::BlockHeader bh = detail::ReadBlock(
        file, header, e.offset, e.first_row, with, buffer, out);
    if (bh.row_count != e.row_count || bh.payload_size != e.payload_size) {
      detail::Throw(KLDKIT_ERROR_FORMAT, file.Path() + ": block " +
                                             std::to_string(b) +
                                             " disagrees with the seek table");
    }
  }

  detail::ReadFile file;
  detail::FileHeader header;
  std::vector<detail::SeekEntry> entries;
  uint64_t rows = 0;
  size_t row_words = 0;

  // One-block cache for ReadRow.
  std::mutex mu;
  size_t cached = SIZE_MAX;
  detail::SplitCodec codec;
  std::vector<uint8_t> scratch;
  std::vector<uint16_t> block;
};

ContainerReader::ContainerReader(const std::string& path)
    : impl_(new Impl(path)) {}
ContainerReader::~ContainerReader() = default;

const LlamaFileHeader& ContainerReader::Header() const {
  return impl_->header.info.header;
}
gsl::span<const int32_t> ContainerReader::Tokens() const {
  return impl_->header.info.tokens;
}
const std::map<std::string, std::string>& ContainerReader::Metadata() const {
  return impl_->header.info.metadata;
}
size_t ContainerReader::RowWords() const { return impl_->row_words; }
uint64_t ContainerReader::RowCount() const { return impl_->rows; }
uint64_t ContainerReader::BlockCount() const { return impl_->entries.size(); }

void ContainerReader::ReadRow(uint64_t row, gsl::span<uint16_t> out) const {
  detail::Require(row < impl_->rows, "row index out of range");
  detail::Require(out.size() == impl_->row_words,
                  "output must hold RowWords() words");
  const uint64_t per_block = impl_->header.rows_per_block;
  const auto b = static_cast<size_t>(row / per_block);
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->cached != b) {
    impl_->cached = SIZE_MAX;
    impl_->Load(b, &impl_->codec, &impl_->scratch, &impl_->block);
    impl_->cached = b;
  }
  const size_t at = static_cast<size_t>(row % per_block) * impl_->row_words;
  std::copy_n(impl_->block.begin() + at, impl_->row_words, out.begin());
}

// ---- Cursor
// --------------------------------------------------------------------

struct ContainerReader::Cursor::Impl {
  const ContainerReader::Impl* reader = nullptr;
  uint64_t row = 0;        // next row to return
  size_t block_index = 0;  // block held in `rows`
  bool have_block = false;
  std::vector<uint16_t> rows;
  // Read-ahead: the block after `block_index`, decoding on a worker thread.
  std::future<std::vector<uint16_t>> ahead;
  detail::SplitCodec codec;  // used only by the (single) read-ahead task
  std::vector<uint8_t> scratch;

  void Prefetch(size_t b) {
    if (b >= reader->entries.size()) return;
    ahead = std::async(std::launch::async, [this, b] {
      std::vector<uint16_t> out;
      reader->Load(b, &codec, &scratch, &out);
      return out;
    });
  }

  ~Impl() {
    if (ahead.valid()) ahead.wait();
  }
};

ContainerReader::Cursor::Cursor(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
ContainerReader::Cursor::~Cursor() = default;
ContainerReader::Cursor::Cursor(Cursor&&) noexcept = default;
ContainerReader::Cursor& ContainerReader::Cursor::operator=(Cursor&&) noexcept =
    default;

bool ContainerReader::Cursor::Next(gsl::span<uint16_t> out) {
  Impl& c = *impl_;
  const ContainerReader::Impl& r = *c.reader;
  detail::Require(out.size() == r.row_words,
                  "output must hold RowWords() words");
  if (c.row >= r.rows) return false;
  const uint64_t per_block = r.header.rows_per_block;
  const auto b = static_cast<size_t>(c.row / per_block);
  if (!c.have_block || c.block_index != b) {
    c.have_block = false;
    if (!c.ahead.valid()) c.Prefetch(b);  // first block: nothing ahead yet
    c.rows = c.ahead.get();               // rethrows a decoding error
    c.block_index = b;
    c.have_block = true;
    c.Prefetch(b + 1);
  }
  const size_t at = static_cast<size_t>(c.row % per_block) * r.row_words;
  std::copy_n(c.rows.begin() + at, r.row_words, out.begin());
  ++c.row;
  return true;
}

ContainerReader::Cursor ContainerReader::Rows(uint64_t first) const {
  detail::Require(first <= impl_->rows, "first row out of range");
  std::unique_ptr<Cursor::Impl> c(new Cursor::Impl);
  c->reader = impl_.get();
  c->row = first;
  return Cursor(std::move(c));
}

}  // namespace kldkit
