// ContainerReader: header and seek table checked at open; rows decoded one
// block at a time (random access through a one-block cache, sequential
// through a Cursor that decodes the next blocks on worker threads).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <utility>

#include "kldkit/container.hpp"
#include "lib/common/error.h"
#include "lib/storage/codec_split.h"
#include "lib/storage/container_block.h"
#include "lib/storage/io_file.h"

namespace kldkit {
namespace {

// memcpy, not std::copy_n into span iterators: gsl's bounds-checked
// iterators make that a word-by-word loop, measured 2 GB/s (a quarter of a
// .kldz row's decoding time).
void CopyRow(const uint16_t* row, gsl::span<uint16_t> out) {
  std::memcpy(out.data(), row, out.size_bytes());
}

// Appends row i of `rows` to *out (same vocabulary): its bitmap and codes,
// about a third of the dense row's bytes at 68% zero codes.
void CopySparseRow(const SparseRows& rows, size_t i, SparseRows* out) {
  const SparseLlamaRow r = rows.Row(i);
  const SparseRows::Slot s = out->Append(r.header, r.count);
  std::memcpy(s.nonzero, r.nonzero, rows.Words() * sizeof(uint64_t));
  if (r.count != 0) std::memcpy(s.codes, r.codes, r.count * sizeof(uint16_t));
}

}  // namespace

struct ContainerReader::Impl {
  explicit Impl(const std::string& path)
      : file(path), header(detail::ReadFileHeader(file)) {
    entries = detail::ReadSeekTable(file, header, &rows);
    row_words = LlamaRowWords(static_cast<size_t>(header.info.header.n_vocab));
    lead = detail::BlockLead(header);
  }

  // The block holding row `row`: boundaries sit on the whole run's grid.
  size_t BlockOf(uint64_t row) const {
    return static_cast<size_t>((row + lead) / header.rows_per_block);
  }
  // Where row `row` starts in its decoded block.
  size_t OffsetIn(size_t b, uint64_t row) const {
    return static_cast<size_t>(row - entries[b].first_row) * row_words;
  }

  // Decodes block `b` into *out (thread-safe: positioned reads only).
  void Load(size_t b, detail::SplitCodec* with, std::vector<uint8_t>* buffer,
            std::vector<uint16_t>* out) const {
    const detail::SeekEntry& e = entries[b];
    CheckEntry(b, detail::ReadBlock(file, header, e.offset, e.first_row, with,
                                    buffer, out));
  }
  // The same into sparse rows.
  void LoadSparse(size_t b, detail::SplitCodec* with,
                  std::vector<uint8_t>* buffer, SparseRows* out) const {
    const detail::SeekEntry& e = entries[b];
    CheckEntry(b, detail::ReadBlockSparse(file, header, e.offset, e.first_row,
                                          with, buffer, out));
  }
  // Only decodes and checks block `b` (every check of Load).
  void Check(size_t b, detail::SplitCodec* with,
             std::vector<uint8_t>* buffer) const {
    const detail::SeekEntry& e = entries[b];
    CheckEntry(b, detail::CheckBlock(file, header, e.offset, e.first_row, with,
                                     buffer));
  }
  void CheckEntry(size_t b, const detail::BlockHeader& bh) const {
    const detail::SeekEntry& e = entries[b];
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
  uint32_t lead = 0;  // detail::BlockLead

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
const ContainerInfo& ContainerReader::Info() const {
  return impl_->header.info;
}
size_t ContainerReader::RowWords() const { return impl_->row_words; }
uint64_t ContainerReader::RowCount() const { return impl_->rows; }
uint64_t ContainerReader::BlockCount() const { return impl_->entries.size(); }

KeepProfile ContainerReader::Keep() const { return impl_->header.keep; }

double ContainerReader::RecordedFloor() const {
  const auto& meta = impl_->header.info.metadata;
  const auto it = meta.find("floor");
  if (it == meta.end()) return 0;
  char* end = nullptr;
  const double nats = std::strtod(it->second.c_str(), &end);
  const bool whole = end != it->second.c_str() && *end == '\0';
  return whole && nats > 0 && nats < 1e6 ? nats : 0;
}

// A split payload starts with its order and map bytes, then each row's
// head (scale, min_log_prob, and the odd-vocab padding word) stored raw.
RowFloor ContainerReader::ScanFloor(uint64_t max_rows) const {
  const Impl& m = *impl_;
  const size_t head_bytes = detail::SplitRowHeadBytes(
      static_cast<size_t>(m.header.info.header.n_vocab));
  RowFloorScan scan;
  std::vector<uint8_t> heads;
  uint64_t done = 0;
  for (size_t b = 0; b < m.entries.size() && done < max_rows; ++b) {
    const detail::SeekEntry& e = m.entries[b];
    const uint64_t count = std::min<uint64_t>(e.row_count, max_rows - done);
    if (e.payload_size < 2 + uint64_t{e.row_count} * head_bytes) {
      detail::Throw(KLDKIT_ERROR_FORMAT, m.file.Path() + ": block " +
                                             std::to_string(b) +
                                             " is too short for its rows");
    }
    heads.resize(static_cast<size_t>(count * head_bytes));
    m.file.ReadAt(e.offset + detail::kBlockHeaderSize + 2, heads.data(),
                  heads.size());
    for (uint64_t r = 0; r < count; ++r) {
      uint16_t words[4];
      std::memcpy(words, heads.data() + r * head_bytes, sizeof(words));
      scan.Add(ReadLlamaRowHeader(words));
    }
    done += count;
  }
  RowFloor f = scan.Result();
  f.sampled = done < m.rows;
  return f;
}

void ContainerReader::ReadRow(uint64_t row, gsl::span<uint16_t> out) const {
  detail::Require(row < impl_->rows, "row index out of range");
  detail::Require(out.size() == impl_->row_words,
                  "output must hold RowWords() words");
  const size_t b = impl_->BlockOf(row);
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->cached != b) {
    impl_->cached = SIZE_MAX;
    impl_->Load(b, &impl_->codec, &impl_->scratch, &impl_->block);
    impl_->cached = b;
  }
  CopyRow(impl_->block.data() + impl_->OffsetIn(b, row), out);
}

// ---- Cursor
// --------------------------------------------------------------------

// Block b decodes into slots[b % slots.size()], threads + 1 slots: the
// current block and `threads` decoding ahead, each with its own decoder and
// buffers, reused from block to block (no allocation once warm). The worker
// builds the rows in the cursor's form, so the caller only copies one out.
struct ContainerReader::Cursor::Impl {
  struct Slot {
    detail::SplitCodec codec;
    std::vector<uint8_t> scratch;
    std::vector<uint16_t> rows;  // kDense
    SparseRows sparse;           // kSparse
    std::future<void> decoded;  // declared last: destroyed (waited) first
  };

  // What the worker threads make of a block: RowForm's two forms, or
  // nothing but the checks (Verify).
  enum class Work { kDense, kSparse, kCheck };

  Impl(const ContainerReader::Impl* r, uint64_t first, uint64_t end,
       unsigned threads, Work w)
      : reader(r),
        work(w),
        row(first),
        end_row(end),
        end_block(end == 0 ? 0 : r->BlockOf(end - 1) + 1),
        slots(threads + size_t{1}) {}
  ~Impl() { WaitAll(); }

  size_t Threads() const { return slots.size() - 1; }

  void Submit(size_t b) {
    if (b >= end_block) return;
    Slot& s = slots[b % slots.size()];
    s.decoded = std::async(std::launch::async, [this, &s, b] {
      switch (work) {
        case Work::kDense:
          reader->Load(b, &s.codec, &s.scratch, &s.rows);
          break;
        case Work::kSparse:
          reader->LoadSparse(b, &s.codec, &s.scratch, &s.sparse);
          break;
        case Work::kCheck:
          reader->Check(b, &s.codec, &s.scratch);
          break;
      }
    });
  }

  // Waits for and drops every decode in flight.
  void WaitAll() {
    for (Slot& s : slots) {
      if (s.decoded.valid()) s.decoded.wait();
      s.decoded = std::future<void>();
    }
  }

  // Makes block b current and keeps Threads() blocks decoding ahead. Reading
  // on from the current block takes the next slot; anything else (the first
  // call, after a failure) starts decoding again from b.
  void Enter(size_t b) {
    if (!have_block || b != block + 1) {
      WaitAll();
      for (size_t k = 0; k < Threads(); ++k) Submit(b + k);
    }
    have_block = false;
    try {
      slots[b % slots.size()].decoded.get();  // rethrows a decoding error
    } catch (...) {
      WaitAll();
      throw;
    }
    block = b;
    have_block = true;
    // Its slot held block b - 1, which the caller has left.
    Submit(b + Threads());
  }

  // The slot of the row to return next, once its block is current; null
  // at the end. Throws what decoding threw.
  const Slot* Advance() {
    if (row >= end_row) return nullptr;
    const size_t b = reader->BlockOf(row);
    if (!have_block || block != b) Enter(b);
    return &slots[b % slots.size()];
  }

  const ContainerReader::Impl* reader;
  Work work;
  uint64_t row;      // next row to return
  uint64_t end_row;  // one past the last row to return
  size_t end_block;  // one past the block holding row end_row - 1
  size_t block = 0;  // block of the current slot, when have_block
  bool have_block = false;
  std::vector<Slot> slots;
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
  detail::Require(c.work == Impl::Work::kDense,
                  "a sparse cursor gives its rows through NextSparse");
  detail::Require(out.size() == r.row_words,
                  "output must hold RowWords() words");
  const Impl::Slot* s = c.Advance();
  if (s == nullptr) return false;
  CopyRow(s->rows.data() + r.OffsetIn(c.block, c.row), out);
  ++c.row;
  return true;
}

bool ContainerReader::Cursor::NextSparse(SparseRows* out) {
  Impl& c = *impl_;
  const ContainerReader::Impl& r = *c.reader;
  detail::Require(c.work == Impl::Work::kSparse,
                  "a dense cursor gives its rows through Next");
  detail::Require(out != nullptr &&
                      out->NVocab() == size_t(r.header.info.header.n_vocab),
                  "sparse rows must have the file's n_vocab");
  const Impl::Slot* s = c.Advance();
  if (s == nullptr) return false;
  CopySparseRow(s->sparse,
                static_cast<size_t>(c.row - r.entries[c.block].first_row), out);
  ++c.row;
  return true;
}

ContainerReader::Cursor ContainerReader::Rows(uint64_t first) const {
  return Rows(first, 1);
}

ContainerReader::Cursor ContainerReader::Rows(uint64_t first,
                                              unsigned threads) const {
  return Rows(first, impl_->rows, threads);
}

ContainerReader::Cursor ContainerReader::Rows(uint64_t first, uint64_t end,
                                              unsigned threads) const {
  return Rows(first, end, threads, RowForm::kDense);
}

ContainerReader::Cursor ContainerReader::Rows(uint64_t first, uint64_t end,
                                              unsigned threads,
                                              RowForm form) const {
  detail::Require(first <= end && end <= impl_->rows,
                  "row range [first, end) past the end of the file");
  detail::Require(threads >= 1 && threads <= kMaxCursorThreads,
                  "cursor threads must lie in [1, 64]");
  detail::Require(form == RowForm::kDense || form == RowForm::kSparse,
                  "unknown row form");
  const auto work = form == RowForm::kSparse ? Cursor::Impl::Work::kSparse
                                             : Cursor::Impl::Work::kDense;
  return Cursor(
      std::make_unique<Cursor::Impl>(impl_.get(), first, end, threads, work));
}

// Blocks are entered in order as a cursor enters them, so decoding runs
// ahead on `threads` threads and the first damaged block is the one
// reported, whatever the thread count.
uint64_t ContainerReader::CheckBlocks(unsigned threads) const {
  detail::Require(threads >= 1 && threads <= kMaxCursorThreads,
                  "cursor threads must lie in [1, 64]");
  Cursor::Impl c(impl_.get(), 0, impl_->rows, threads,
                 Cursor::Impl::Work::kCheck);
  for (size_t b = 0; b < c.end_block; ++b) c.Enter(b);  // a cursor's blocks
  return impl_->rows;
}

// Decoding checks every stream (DecodeStreams) before any row is written,
// and writing rows (dense or sparse) checks nothing more, so Verify stops
// there: `kldkit verify -t 1` of the demo base (1008 rows of 248,320) took
// 0.39-0.48 s building dense rows, 0.14 s without.
uint64_t Verify(const std::string& path, unsigned threads) {
  return ContainerReader(path).CheckBlocks(threads);
}

}  // namespace kldkit
