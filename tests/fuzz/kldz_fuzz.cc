// Fuzz target: the .kldz container reader (ContainerReader, its Cursor,
// Verify, Recover, ExportLlamaFile) on hostile files.
//
// Input layout (see make_corpus.py): one control byte, then the file.
// Control bit 0 asks the harness to rewrite every checksum it can locate
// (header, block headers and payloads, seek table, end marker) and bit 1
// every file id, so mutations get past XXH3 to the structure and the codec;
// bit 2 runs Recover and bit 3 ExportLlamaFile into a scratch folder.
//
// Invariants: every failure is a kldkit::Error; an opened reader's fields
// agree with each other; ReadRow, the Cursor and the sparse Cursor give the
// same rows (sparse rows keep SparseLlamaRow's promises); a file that
// Verify accepts reads completely; what Recover and ExportLlamaFile write
// opens again with the rows they reported.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "kldkit/error.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/row.hpp"
#include "kldkit/sparse_rows.hpp"
#include "lib/storage/checksum.h"
#include "lib/storage/container_format.h"
#include "lib/storage/io_file.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using kldkit::ContainerReader;

enum Control : uint8_t {
  kRepairChecksums = 1 << 0,
  kRepairIds = 1 << 1,
  kRecover = 1 << 2,
  kExport = 1 << 3,
};

// Rows compared per input: enough to cross blocks, few enough that a
// 2^24-token vocabulary stays fast.
constexpr uint64_t kMaxRowsChecked = 64;

uint64_t Get(const std::vector<uint8_t>& f, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{f[at + i]} << (8 * i);
  return v;
}
void Put(std::vector<uint8_t>* f, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*f)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Sum(const std::vector<uint8_t>& f, size_t from, size_t n) {
  return kldkit::detail::Checksum64(f.data() + from, n);
}

// Rewrites checksums (and ids) where the structure says they are; offsets
// follow docs/FORMAT.md. Leaves anything it cannot place alone.
void Repair(std::vector<uint8_t>* file, uint8_t control) {
  std::vector<uint8_t>& f = *file;
  const bool sums = control & kRepairChecksums;
  const bool ids = control & kRepairIds;
  if (f.size() < 64) return;
  const uint64_t header_size = Get(f, 16, 8);
  if (header_size < 64 || header_size > f.size()) return;
  if (sums) Put(&f, header_size - 8, Sum(f, 0, header_size - 8));
  const uint64_t id = Get(f, header_size - 8, 8);
  uint64_t at = header_size;
  while (f.size() - at >= 48 && std::equal(f.begin() + at, f.begin() + at + 4,
                                           "KZBK")) {
    if (ids) Put(&f, at + 8, id);
    const uint64_t payload = Get(f, at + 28, 4);
    const bool fits = f.size() - at - 48 >= payload;
    if (sums && fits) Put(&f, at + 32, Sum(f, at + 48, payload));
    if (sums) Put(&f, at + 40, Sum(f, at, 40));
    if (!fits) break;
    at += 48 + payload;
  }
  if (f.size() < 104 || !std::equal(f.end() - 8, f.end(), "KLDZ_END")) return;
  const size_t footer = f.size() - 40;
  if (ids) Put(&f, footer + 16, id);
  const uint64_t seek = Get(f, footer, 8);
  if (sums && seek < footer && footer - seek >= 24) {
    Put(&f, footer - 8, Sum(f, seek, footer - 8 - seek));
  }
  if (sums) Put(&f, footer + 24, Sum(f, footer, 24));
}

void CheckHeader(const ContainerReader& r) {
  const kldkit::LlamaFileHeader& h = r.Header();
  FUZZ_CHECK(h.n_vocab >= 1 && h.n_vocab <= (1 << 24) && h.n_chunk >= 0);
  FUZZ_CHECK(r.Tokens().size() == uint64_t{h.n_ctx} * uint64_t(h.n_chunk));
  FUZZ_CHECK(r.RowWords() ==
             kldkit::LlamaRowWords(static_cast<size_t>(h.n_vocab)));
  FUZZ_CHECK(r.BlockCount() <= r.RowCount());  // no empty block
  FUZZ_CHECK(r.RowCount() == 0 || r.BlockCount() >= 1);
  for (const auto& kv : r.Metadata()) FUZZ_CHECK(!kv.first.empty());
  // The 1.1 fields: a known profile, a sane floor, row heads that scan.
  FUZZ_CHECK(r.Keep() == kldkit::KeepProfile::kAll ||
             r.Keep() == kldkit::KeepProfile::kKld);
  FUZZ_CHECK(r.RecordedFloor() >= 0 && r.RecordedFloor() < 1e6);
  // The 1.2 fields: a shard starts inside the run and ends by its end.
  const kldkit::ContainerInfo& info = r.Info();
  FUZZ_CHECK(info.shard ? info.first_chunk < uint32_t(h.n_chunk)
                        : info.first_chunk == 0);
  if (info.shard) {
    FUZZ_CHECK(r.RowCount() <= (uint64_t(h.n_chunk) - info.first_chunk) *
                                   kldkit::RowsPerChunk(h.n_ctx));
  }
  try {
    const kldkit::RowFloor f = r.ScanFloor();
    FUZZ_CHECK(f.rows <= r.RowCount() && f.at_floor <= f.rows && !f.sampled);
    FUZZ_CHECK(f.nats >= 0 && (f.rows > 0 || f.nats == 0));
  } catch (const kldkit::Error&) {
  }
  std::vector<uint16_t> wrong(r.RowWords() + 1);
  FUZZ_EXPECT_ERROR(r.ReadRow(r.RowCount(), wrong));
  if (r.RowCount() > 0) FUZZ_EXPECT_ERROR(r.ReadRow(0, wrong));
  FUZZ_EXPECT_ERROR(r.Rows(r.RowCount() + 1));
  FUZZ_EXPECT_ERROR(r.Rows(0, r.RowCount() + 1, 1));
  FUZZ_EXPECT_ERROR(r.Rows(1, 0, 1));
  auto end = r.Rows(r.RowCount());
  std::vector<uint16_t> row(r.RowWords());
  FUZZ_CHECK(!end.Next(row));
}

// The last row of `rows` keeps SparseLlamaRow's promises: `count` set
// bits, none past n_vocab, no code 0. Then it is written dense into *out.
void CheckSparseRow(const kldkit::SparseRows& rows, std::vector<uint16_t>* out) {
  const kldkit::SparseLlamaRow s = rows.Row(rows.Size() - 1);
  size_t bits = 0;
  for (size_t w = 0; w < rows.Words(); ++w) {
    for (uint64_t x = s.nonzero[w]; x != 0; x &= x - 1) ++bits;
  }
  FUZZ_CHECK(bits == s.count);
  if (rows.NVocab() % 64 != 0) {
    FUZZ_CHECK((s.nonzero[rows.Words() - 1] >> (rows.NVocab() % 64)) == 0);
  }
  for (size_t k = 0; k < s.count; ++k) FUZZ_CHECK(s.codes[k] != 0);
  rows.ToDense(rows.Size() - 1, out->data());
}

// Reads rows [first, first + n) through a dense and a sparse Cursor over
// that range (two decoding threads each) and by index; a row fails on both
// cursors or neither, where reads succeed they agree (the sparse row has no
// padding word), and the cursors end with the range. Returns true if every
// read succeeded.
bool CheckRows(const ContainerReader& r, uint64_t first, uint64_t n) {
  std::vector<uint16_t> a(r.RowWords()), b(r.RowWords()), c(r.RowWords());
  kldkit::SparseRows sparse(static_cast<size_t>(r.Header().n_vocab));
  const bool odd = r.Header().n_vocab % 2 != 0;
  bool all_ok = true;
  const uint64_t end = first + n;
  auto cursor = r.Rows(first, end, 2);
  auto sparse_cursor = r.Rows(first, end, 2, kldkit::RowForm::kSparse);
  for (uint64_t i = first; i < end; ++i) {
    bool have_a = false, have_b = false, have_c = false;
    try {
      FUZZ_CHECK(cursor.Next(a));
      have_a = true;
    } catch (const kldkit::Error&) {
      cursor = r.Rows(i + 1, end, 2);  // skip the bad block's row
    }
    try {
      r.ReadRow(i, b);
      have_b = true;
    } catch (const kldkit::Error&) {
    }
    try {
      sparse.Reset(sparse.NVocab());
      FUZZ_CHECK(sparse_cursor.NextSparse(&sparse));
      CheckSparseRow(sparse, &c);
      have_c = true;
    } catch (const kldkit::Error&) {
      sparse_cursor = r.Rows(i + 1, end, 2, kldkit::RowForm::kSparse);
    }
    if (have_a && have_b) FUZZ_CHECK(a == b);
    FUZZ_CHECK(have_a == have_c);
    if (have_a && have_c) {
      if (odd) a.back() = 0;
      FUZZ_CHECK(a == c);
    }
    all_ok = all_ok && have_a && have_b;
  }
  FUZZ_CHECK(!cursor.Next(a));
  sparse.Reset(sparse.NVocab());
  FUZZ_CHECK(!sparse_cursor.NextSparse(&sparse));
  return all_ok;
}

void CheckRecover(const std::string& src) {
  const std::string dst = kldkit::fuzz::ScratchDir() + "/recovered.kldz";
  uint64_t rows = 0;
  try {
    rows = kldkit::Recover(src, dst);
  } catch (const kldkit::Error&) {
    return;
  }
  // What Recover writes is a complete file with exactly those rows, and
  // the source's profile (a keep-kld file never turns lossless-looking).
  FUZZ_CHECK(kldkit::Verify(dst) == rows);
  const kldkit::detail::ReadFile in(src);
  FUZZ_CHECK(ContainerReader(dst).Keep() ==
             kldkit::detail::ReadFileHeader(in).keep);
  FUZZ_CHECK(ContainerReader(dst).Info().first_chunk ==
             kldkit::detail::ReadFileHeader(in).info.first_chunk);
  std::remove(dst.c_str());
}

void CheckExport(const std::string& src, const ContainerReader& r) {
  const std::string dst = kldkit::fuzz::ScratchDir() + "/exported.logits";
  try {
    kldkit::ExportLlamaFile(src, dst, 2);  // errors cross decode threads
  } catch (const kldkit::Error&) {
    std::remove(dst.c_str());
    return;
  }
  const kldkit::LlamaFileReader back(dst);
  FUZZ_CHECK(back.RowCount() == r.RowCount());
  // A shard exports the tokens of its own chunks (docs/FORMAT.md 1.2).
  const uint32_t n_ctx = r.Header().n_ctx;
  const uint64_t per_chunk = kldkit::RowsPerChunk(n_ctx);
  const uint64_t tokens = r.Info().shard && per_chunk > 0
                              ? r.RowCount() / per_chunk * n_ctx
                              : r.Tokens().size();
  FUZZ_CHECK(back.Tokens().size() == tokens);
  std::remove(dst.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::vector<uint8_t> bytes(data + 1, data + size);
  Repair(&bytes, control);
  const kldkit::fuzz::MemFile file(bytes.data(), bytes.size());

  std::unique_ptr<ContainerReader> reader;
  try {
    reader = std::make_unique<ContainerReader>(file.Path());
  } catch (const kldkit::Error&) {
  }
  if (reader) {
    CheckHeader(*reader);
    const uint64_t rows = reader->RowCount();
    const uint64_t n = std::min(rows, kMaxRowsChecked);
    const bool all_ok = CheckRows(*reader, 0, n) &&
                        CheckRows(*reader, rows - n, n);
    uint64_t verified = 0;
    bool verify_ok = true;
    try {
      verified = kldkit::Verify(file.Path());
    } catch (const kldkit::Error&) {
      verify_ok = false;
    }
    if (verify_ok) FUZZ_CHECK(verified == rows && all_ok);
    if (control & kExport) CheckExport(file.Path(), *reader);
  }
  if (control & kRecover) CheckRecover(file.Path());
  return 0;
}
