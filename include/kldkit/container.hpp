// The .kldz container: llama.cpp base-file rows, compressed losslessly in
// independently decodable, checksummed blocks, with a seek table and an end
// marker (docs/FORMAT.md). Since 0.1.
#ifndef KLDKIT_CONTAINER_HPP_
#define KLDKIT_CONTAINER_HPP_

#include <cstdint>
#include <functional>
#include <gsl/span>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/keep.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/row_sink.hpp"
#include "kldkit/sparse_rows.hpp"

namespace kldkit {

// Most compression threads a writer takes.
constexpr unsigned kMaxWriterThreads = 256;

struct ContainerOptions {
  int level = 1;         // zstd level of each stream (-7..19)
  unsigned threads = 1;  // compression threads, 1..kMaxWriterThreads; output
                         // does not depend on it
  // Rows per block: ~4 MiB of raw rows (64 rows at n_vocab 32000, 8 at
  // 248320) when 0. Random access decompresses one block.
  uint32_t rows_per_block = 0;
  // What the file keeps of each row (since 0.2): kKld zeroes, as rows are
  // appended, the codes no llama.cpp statistic reads (keep.hpp), writes a
  // version 1.1 file with the keep-kld header flag and metadata keep=kld.
  // Its rows must follow the header's chunk layout (each row's target
  // token is kept). kAll drops any "keep" metadata entry.
  KeepProfile keep = KeepProfile::kAll;
  // The floor of the rows in nats (16 llama.cpp, 24 ik_llama.cpp), stored
  // as metadata "floor" when above 0 (since 0.2). 0: none recorded.
  double floor = 0;
};

// What a .kldz file describes besides its rows.
struct ContainerInfo {
  LlamaFileHeader header;                       // n_ctx, n_vocab, n_chunk
  std::vector<int32_t> tokens;                  // n_ctx * n_chunk ids
  std::map<std::string, std::string> metadata;  // model, quant, dataset...
  // Since 0.2 (format 1.2): a shard holds the rows of the chunks from
  // `first_chunk` on of the evaluation that header and tokens describe
  // whole; its row 0 is row 0 of chunk first_chunk. first_chunk is 0 and
  // unused unless `shard` (first_chunk < n_chunk when set).
  bool shard = false;
  uint32_t first_chunk = 0;
};

// Streams rows into `path`; the file is written as `path`.tmp and renamed by
// Close(), so `path` exists only when complete. Memory: about 2 * threads + 1
// blocks. Blocks are encoded on `threads` threads and written in order, so
// the bytes do not depend on the thread count. A process killed mid-write
// leaves `path`.tmp, from which Recover() gets every block already written:
// it loses the block being filled and, with T threads, up to T encoded
// blocks not yet written. Destroying an unclosed writer removes `path`.tmp.
// Not thread-safe: one writer, used from one thread.
class ContainerWriter : public RowSink {
 public:
  // Throws INVALID_ARGUMENT (n_vocab <= 0, tokens.size() != n_ctx*n_chunk,
  // metadata too large, bad options) or IO.
  ContainerWriter(const std::string& path, const ContainerInfo& info,
                  const ContainerOptions& options = {});
  ~ContainerWriter() override;
  ContainerWriter(const ContainerWriter&) = delete;
  ContainerWriter& operator=(const ContainerWriter&) = delete;

  // Appends one row of LlamaRowWords(n_vocab) words. Throws INVALID_ARGUMENT
  // (wrong size), IO (write failed), CLOSED.
  void AppendRow(gsl::span<const uint16_t> row) override;
  // Writes the last block, the seek table and the end marker, syncs and
  // renames. Throws IO; afterwards the writer accepts nothing. Rows may be
  // fewer than the header's chunks hold (a run cut short).
  void Close() override;
  uint64_t RowCount() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Since 0.2: what a ContainerReader::Cursor's worker threads decode blocks
// into. kSparse rows (SparseLlamaRow) skip rebuilding the zero codes, which
// was over half of decoding: the form the compare's sparse path reads.
enum class RowForm { kDense, kSparse };

// Reads a complete .kldz file. Throws FORMAT (bad magic, bad structure),
// UNSUPPORTED (future major version), CHECKSUM, TRUNCATED (no end marker:
// an incomplete file, see Recover), IO.
// Memory (docs/FORMAT.md "Resource bounds"): sizes the file states are
// checked before anything is allocated for them. Open holds the header
// (tokens, <= 1 MiB of metadata) and the seek table, each bounded by the
// file size. Decoding a block allocates its payload (bounded by the file
// size), its decoded streams (bounded by the block and by what the
// payload's bytes can produce) and, only once the payload has decoded into
// exactly its rows, those rows: at most 256 MiB (rows_per_block * 2 *
// RowWords()); as sparse rows (RowForm::kSparse) at most twice that, and
// n_vocab bytes of scratch (a column-major block, from old files, is
// decoded dense first). ReadRow caches one block; a Cursor with T
// threads holds T + 1 (two by default), each with its decoder's payload
// and streams.
// Thread safety: every method may be called from several threads at once;
// ReadRow calls serialise on a one-block cache (for parallel random access
// open one reader per thread); each Cursor belongs to one thread and has its
// own decoders, so several Cursors on one reader run in parallel.
class ContainerReader {
 public:
  explicit ContainerReader(const std::string& path);
  ~ContainerReader();
  ContainerReader(const ContainerReader&) = delete;
  ContainerReader& operator=(const ContainerReader&) = delete;

  const LlamaFileHeader& Header() const;
  gsl::span<const int32_t> Tokens() const;
  const std::map<std::string, std::string>& Metadata() const;
  // Since 0.2: header, tokens, metadata and shard fields together.
  const ContainerInfo& Info() const;
  size_t RowWords() const;  // LlamaRowWords(n_vocab)
  uint64_t RowCount() const;
  uint64_t BlockCount() const;
  // Since 0.2: the header's storage profile; the floor recorded in the
  // metadata (0 if none); the floor measured from the row heads of the
  // first `max_rows` rows (one small read per block, no decompression, no
  // checksum: a damaged block is caught when its rows are read).
  KeepProfile Keep() const;
  double RecordedFloor() const;
  RowFloor ScanFloor(uint64_t max_rows = UINT64_MAX) const;

  // Random access: copies row `row` into `out` (RowWords() words),
  // decompressing (and checking) at most one block. Throws
  // INVALID_ARGUMENT, CHECKSUM, FORMAT, IO.
  void ReadRow(uint64_t row, gsl::span<uint16_t> out) const;

  // Sequential reading from row `first`: `threads` worker threads decode
  // the next `threads` blocks at once while the caller consumes the current
  // one; rows come out in file order whatever the thread count. A Cursor
  // must not outlive its reader; one Cursor per thread.
  static constexpr unsigned kMaxCursorThreads = 64;
  class Cursor {
   public:
    ~Cursor();
    Cursor(Cursor&&) noexcept;
    Cursor& operator=(Cursor&&) noexcept;
    // Copies the next row into `out`; false at the end. Throws as ReadRow,
    // and INVALID_ARGUMENT on a kSparse cursor.
    bool Next(gsl::span<uint16_t> out);
    // Since 0.2: appends the next row to *out as a sparse row; false at the
    // end. The row is the one Next gives, but for an odd vocabulary's
    // padding word (a sparse row has none; ToDense writes 0). Throws as
    // ReadRow, and INVALID_ARGUMENT on a kDense cursor, if out is null or
    // out->NVocab() is not the file's n_vocab.
    bool NextSparse(SparseRows* out);

   private:
    friend class ContainerReader;
    struct Impl;
    explicit Cursor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
  };
  Cursor Rows(uint64_t first = 0) const;  // one worker thread
  // Throws INVALID_ARGUMENT unless 1 <= threads <= kMaxCursorThreads.
  Cursor Rows(uint64_t first, unsigned threads) const;
  // Rows [first, end) only: no block past the one holding row end - 1 is
  // decoded. Throws INVALID_ARGUMENT unless first <= end <= RowCount().
  Cursor Rows(uint64_t first, uint64_t end, unsigned threads) const;
  // Since 0.2: the same, decoding into `form` (read with Next for kDense,
  // NextSparse for kSparse).
  Cursor Rows(uint64_t first, uint64_t end, unsigned threads,
              RowForm form) const;

 private:
  // Verify's pass: every block read, checked and decoded on `threads`
  // threads like a Cursor's, no rows built. Returns the rows.
  uint64_t CheckBlocks(unsigned threads) const;
  friend uint64_t Verify(const std::string& path, unsigned threads);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// llama.cpp file -> .kldz, keeping every byte needed to export it back
// (options.keep kAll) or what the statistics read (kKld). `metadata` is
// stored as given, with the floor measured over every row head (unless
// options.floor gives one). Returns the number of rows.
uint64_t ImportLlamaFile(
    const std::string& src, const std::string& dst,
    const ContainerOptions& options = {},
    const std::map<std::string, std::string>& metadata = {});
// .kldz -> llama.cpp file, byte-identical to the imported one (a kKld
// file gives a valid llama.cpp file holding the kept codes; a shard, since
// 0.2, the file of its own chunks and their tokens), decoding
// on `threads` threads (1..ContainerReader::kMaxCursorThreads; the bytes do
// not depend on it). Throws MISMATCH if the container does not hold n_chunk
// full chunks of rows.
uint64_t ExportLlamaFile(const std::string& src, const std::string& dst,
                         unsigned threads = 1);

// .kldz -> .kldz: re-encodes every row with `options` (level, threads,
// rows per block, profile), decoding on `decode_threads` threads. The
// metadata is the source's with `metadata` merged over it; the floor is
// the source's recorded one (else measured from its row heads); a keep-kld
// source stays keep-kld, since its dropped codes cannot come back.
// `progress`, if set, gets the rows written so far after each row.
// Returns the rows. Since 0.2.
uint64_t RecompressContainer(
    const std::string& src, const std::string& dst,
    const ContainerOptions& options = {},
    const std::map<std::string, std::string>& metadata = {},
    unsigned decode_threads = 1,
    const std::function<void(uint64_t)>& progress = {});

// Since 0.2: writes chunks [first_chunk, end_chunk) of `src` (a llama.cpp
// file, or a .kldz or .kldz shard holding them; end_chunk 0: to the last)
// as a .kldz shard (docs/FORMAT.md 1.2) at `dst`, or as a normal .kldz when
// the range is every chunk. Metadata and floor are as ImportLlamaFile (the
// floor of the whole source) or RecompressContainer would give. Returns the
// rows. Throws INVALID_ARGUMENT (empty range, past n_chunk), MISMATCH (src
// lacks some of the rows), and what readers and ContainerWriter throw.
uint64_t WriteShard(const std::string& src, const std::string& dst,
                    uint32_t first_chunk, uint32_t end_chunk,
                    const ContainerOptions& options = {},
                    const std::map<std::string, std::string>& metadata = {},
                    unsigned decode_threads = 1);

// Since 0.2: joins shards of consecutive chunk ranges of one evaluation
// (in any order) into `dst`: whole blocks are copied, only the blocks that
// straddle a seam are re-encoded, so the result is byte-identical to the
// file written in one piece with the same level and rows_per_block. A
// normal file if the parts cover every chunk, else a shard. Metadata is
// the first part's. Throws MISMATCH (headers, tokens, rows_per_block,
// profile, floor or level differ; overlapping chunks or a gap; a part with
// a partial chunk), what ContainerReader throws; nothing is left at `dst`.
uint64_t ConcatShards(const std::vector<std::string>& parts,
                      const std::string& dst);

// Copies every complete, checksum-valid block of a possibly incomplete
// .kldz (e.g. `path`.tmp left by a killed writer) into a new complete file
// `dst`, stopping at the first missing or damaged block. Returns the number
// of rows recovered. Throws if the file header itself is damaged.
uint64_t Recover(const std::string& src, const std::string& dst);

// Reads and checks every checksum and block of `path`, decoding on
// `threads` threads (1..ContainerReader::kMaxCursorThreads); returns its row
// count. Throws like ContainerReader.
uint64_t Verify(const std::string& path, unsigned threads = 1);

}  // namespace kldkit

#endif  // KLDKIT_CONTAINER_HPP_
