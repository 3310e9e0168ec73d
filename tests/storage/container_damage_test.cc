// Bad .kldz input gets a clear error, never wrong rows: every truncation,
// every single-byte corruption, wrong magic, a future version, a failing
// disk; and hostile sizes (row counts, zstd content sizes, metadata) cannot
// make the reader allocate much more than the file holds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "lib/storage/checksum.h"
#include "lib/common/bytes.h"
#include "lib/storage/container_format.h"
#include "lib/storage/io_file.h"
#include "tests/full_disk.h"
#include "tests/temp_files.h"

// Every operator new in this test binary (library included) adds its size
// to g_allocated while g_counting is set, from any thread.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocated{0};

void* CountedAlloc(std::size_t n) noexcept {
  if (g_counting.load(std::memory_order_relaxed))
    g_allocated.fetch_add(n, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n);
}
// Pairs with CountedAlloc's malloc; gcc cannot tell once delete is inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace kldkit {
namespace {

constexpr int32_t kVocab = 37;
constexpr uint64_t kRows = 7;

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_dmg", name);
}


std::vector<uint16_t> Row(uint64_t r) {
  std::mt19937 rng(static_cast<uint32_t>(r + 100));
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  for (auto& w : row) w = (rng() % 3) ? static_cast<uint16_t>(rng()) : 0;
  return row;
}

// A small file: 7 rows in blocks of 3, 3, 1 rows.
std::string SmallFile() {
  const std::string path = TempPath("small.kldz");
  ContainerInfo info;
  info.header = {4, kVocab, 2};
  info.tokens = {1, 2, 3, 4, 5, 6, 7, 8};
  info.metadata = {{"dataset", "unit"}};
  ContainerOptions opt;
  opt.rows_per_block = 3;
  ContainerWriter w(path, info, opt);
  for (uint64_t r = 0; r < kRows; ++r) w.AppendRow(Row(r));
  w.Close();
  std::string bytes = testing::ReadFileBytes(path);
  std::remove(path.c_str());
  return bytes;
}

// Opens and reads every row; returns the status of the error (OK if none)
// and fails the test if a row read differs from what was written.
kldkit_status ReadAll(const std::string& path) {
  try {
    ContainerReader r(path);
    std::vector<uint16_t> row(r.RowWords());
    for (uint64_t i = 0; i < r.RowCount(); ++i) {
      r.ReadRow(i, row);
      EXPECT_EQ(row, Row(i)) << "wrong row " << i << " returned";
    }
    EXPECT_EQ(Verify(path), kRows);
    return KLDKIT_OK;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()), "");
    return e.Status();
  }
}

TEST(ContainerDamage, IntactFileReads) {
  const std::string path = TempPath("ok.kldz");
  testing::WriteFileBytes(path, SmallFile());
  EXPECT_EQ(ReadAll(path), KLDKIT_OK);
  std::remove(path.c_str());
}

TEST(ContainerDamage, EveryTruncationIsDetected) {
  const std::string bytes = SmallFile();
  const std::string path = TempPath("cut.kldz");
  for (size_t n = 0; n < bytes.size(); ++n) {
    testing::WriteFileBytes(path, bytes.substr(0, n));
    const kldkit_status s = ReadAll(path);
    EXPECT_TRUE(s == KLDKIT_ERROR_TRUNCATED || s == KLDKIT_ERROR_FORMAT)
        << "cut at " << n << ": status " << s;
  }
  std::remove(path.c_str());
}

TEST(ContainerDamage, EverySingleByteCorruptionIsDetected) {
  const std::string bytes = SmallFile();
  const std::string path = TempPath("flip.kldz");
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xFF}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      testing::WriteFileBytes(path, bad);
      EXPECT_NE(ReadAll(path), KLDKIT_OK) << "byte " << i << " ^ " << mask;
    }
  }
  std::remove(path.c_str());
}

TEST(ContainerDamage, WrongMagicAndFutureVersion) {
  const std::string path = TempPath("magic.kldz");
  std::string bad = SmallFile();
  bad[1] = 'X';
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  testing::WriteFileBytes(path, "_logits_ this is a llama.cpp file, not a container");
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  bad = SmallFile();
  bad[8] = 2;  // major version 2 (little-endian uint16 at byte 8)
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_UNSUPPORTED);
  std::remove(path.c_str());
}

TEST(ContainerDamage, HeaderRewrittenWithAValidChecksumIsCaught) {
  // n_vocab 37 -> 39 (byte 28) and the header checksum recomputed: the
  // blocks and the end marker carry the old header's checksum as file id.
  std::string bad = SmallFile();
  const uint64_t header_size = detail::GetLE(
      reinterpret_cast<const uint8_t*>(bad.data()) + 16, 8);
  bad[28] = 39;
  const uint64_t sum = detail::Checksum64(bad.data(), header_size - 8);
  for (int i = 0; i < 8; ++i) {
    bad[header_size - 8 + i] = static_cast<char>(sum >> (8 * i));
  }
  const std::string path = TempPath("vocab.kldz");
  testing::WriteFileBytes(path, bad);
  EXPECT_EQ(ReadAll(path), KLDKIT_ERROR_FORMAT);
  std::remove(path.c_str());
}


TEST(ContainerDamage, FullDiskIsReportedAndLeavesNoFile) {
  const size_t size = SmallFile().size();
  const std::string path = TempPath("full.kldz");
  for (size_t budget : {size_t{0}, size_t{100}, size / 2, size - 1}) {
    kldkit_status status = KLDKIT_OK;
    try {
      const testing::FullDisk disk(budget);
      ContainerInfo info;
      info.header = {4, kVocab, 2};
      info.tokens = {1, 2, 3, 4, 5, 6, 7, 8};
      info.metadata = {{"dataset", "unit"}};
      ContainerOptions opt;
      opt.rows_per_block = 3;
      ContainerWriter w(path, info, opt);
      for (uint64_t r = 0; r < kRows; ++r) w.AppendRow(Row(r));
      w.Close();
    } catch (const Error& e) {
      status = e.Status();
    }
    EXPECT_EQ(status, KLDKIT_ERROR_IO) << "budget " << budget;
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "complete-looking file left";
    EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0) << "temporary left";
  }
}

// ---- Resource bounds: sizes a file states cannot drive big allocations.

// Bytes allocated by fn() (all threads).
template <typename Fn>
uint64_t BytesAllocatedBy(Fn fn) {
  g_allocated = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocated.load();
}

// A complete file with one block of `rows` rows and the given codec-1
// payload; every checksum right, so only the payload's content is wrong.
std::string OneBlockFile(int32_t n_vocab, uint32_t rows,
                         const std::vector<uint8_t>& payload) {
  detail::FileHeader h;
  h.info.header = {4, n_vocab, 0};
  h.rows_per_block = rows;
  std::vector<uint8_t> out = detail::EncodeFileHeader(&h);
  detail::BlockHeader bh;
  bh.file_id = h.file_id;
  bh.row_count = rows;
  bh.payload_size = static_cast<uint32_t>(payload.size());
  bh.payload_checksum = detail::Checksum64(payload.data(), payload.size());
  detail::SeekEntry entry;
  entry.offset = out.size();
  entry.row_count = rows;
  entry.payload_size = bh.payload_size;
  detail::EncodeBlockHeader(bh, &out);
  out.insert(out.end(), payload.begin(), payload.end());
  const detail::Footer footer{out.size(), rows, h.file_id};
  const auto table = detail::EncodeSeekTable({entry});
  const auto end = detail::EncodeFooter(footer);
  out.insert(out.end(), table.begin(), table.end());
  out.insert(out.end(), end.begin(), end.end());
  return std::string(out.begin(), out.end());
}

// Payload start: row-major order, map kind `map`, zeroed row heads.
std::vector<uint8_t> PayloadHead(uint8_t map, uint32_t rows, int32_t n_vocab) {
  std::vector<uint8_t> p = {0, map};
  p.resize(p.size() + rows * (n_vocab % 2 != 0 ? 10 : 8), 0);
  return p;
}

void AddStream(std::vector<uint8_t>* p, uint8_t mode,
               const std::vector<uint8_t>& bytes) {
  detail::PutU8(p, mode);
  detail::PutU32(p, static_cast<uint32_t>(bytes.size()));
  detail::PutBytes(p, bytes.data(), bytes.size());
}

// A zstd frame (RFC 8878) declaring `content` bytes and holding one RLE
// block of `rle` zero bytes: valid exactly when the two agree.
std::vector<uint8_t> RleFrame(uint64_t content, uint32_t rle) {
  std::vector<uint8_t> f = {0x28, 0xB5, 0x2F, 0xFD, 0xE0};  // 8-byte size
  detail::PutU64(&f, content);
  detail::PutLE(&f, 1 | (1 << 1) | (uint64_t{rle} << 3), 3);  // last, RLE
  detail::PutU8(&f, 0);
  return f;
}

// The largest block a header may declare: 128 rows of 2^20 - 4 codes, 2 MiB
// each, 256 MiB in all.
constexpr int32_t kBigVocab = (1 << 20) - 4;
constexpr uint32_t kBigRows = 128;
constexpr uint64_t kBigCodes = uint64_t{kBigRows} * kBigVocab;
// What a reader of such a small file may allocate: Verify's 2 MiB output
// row and small change (about 2.1 MiB in all); the block's 16 MiB bitmap or
// its 256 MiB of rows would not fit.
constexpr uint64_t kBudget = 8 << 20;

TEST(ContainerDamage, HandMadeBlockReads) {
  // The builder above makes readable files: an all-zero block whose bitmap
  // is a hand-made zstd frame.
  const int32_t n_vocab = 1000;
  std::vector<uint8_t> p = PayloadHead(0, 3, n_vocab);
  AddStream(&p, 1, RleFrame(375, 375));  // 3000 codes, all 0
  AddStream(&p, 0, {});
  AddStream(&p, 0, {});
  const std::string path = TempPath("handmade.kldz");
  testing::WriteFileBytes(path, OneBlockFile(n_vocab, 3, p));
  ContainerReader r(path);
  std::vector<uint16_t> row(r.RowWords(), 0xFFFF);
  r.ReadRow(2, row);
  EXPECT_EQ(row, std::vector<uint16_t>(r.RowWords(), 0));
  EXPECT_EQ(Verify(path), 3u);
  std::remove(path.c_str());
}

// A file of a few hundred bytes whose header claims the largest block:
// every reading path fails with FORMAT before allocating the block.
void ExpectRejectedCheaply(const std::string& name,
                           const std::vector<uint8_t>& payload) {
  const std::string path = TempPath(name + ".kldz");
  const std::string bytes = OneBlockFile(kBigVocab, kBigRows, payload);
  ASSERT_LT(bytes.size(), 4096u) << name;
  testing::WriteFileBytes(path, bytes);
  std::vector<uint16_t> row(LlamaRowWords(kBigVocab));
  kldkit_status status = KLDKIT_OK;
  const uint64_t by_read = BytesAllocatedBy([&] {
    try {
      ContainerReader(path).ReadRow(0, row);
    } catch (const Error& e) {
      status = e.Status();
    }
  });
  EXPECT_EQ(status, KLDKIT_ERROR_FORMAT) << name;
  status = KLDKIT_OK;
  const uint64_t by_verify = BytesAllocatedBy([&] {
    try {
      Verify(path);
    } catch (const Error& e) {
      status = e.Status();
    }
  });
  EXPECT_EQ(status, KLDKIT_ERROR_FORMAT) << name;
  uint64_t recovered = 1;
  const uint64_t by_recover =
      BytesAllocatedBy([&] { recovered = Recover(path, path + ".rec"); });
  EXPECT_EQ(recovered, 0u) << name;
  EXPECT_LE(by_read, kBudget) << name << ": ReadRow";
  EXPECT_LE(by_verify, kBudget) << name << ": Verify";
  EXPECT_LE(by_recover, kBudget) << name << ": Recover";
  std::remove(path.c_str());
  std::remove((path + ".rec").c_str());
}

TEST(ContainerDamage, MaximumRowCountNeedsAPayloadThatHoldsIt) {
  // Raw bitmap of 16 bytes where 128 rows need 16 MiB.
  std::vector<uint8_t> p = PayloadHead(0, kBigRows, kBigVocab);
  AddStream(&p, 0, std::vector<uint8_t>(16, 0));
  AddStream(&p, 0, {});
  AddStream(&p, 0, {});
  ExpectRejectedCheaply("short_bitmap", p);
  // Payload shorter than the 128 row heads.
  ExpectRejectedCheaply("short_heads", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(ContainerDamage, ZstdFrameCannotClaimMoreThanItHolds) {
  // Zero-run map (limit ~128 MiB) claiming 128 Mi codes' worth of gaps
  // from one 1000-byte RLE block.
  std::vector<uint8_t> p = PayloadHead(1, kBigRows, kBigVocab);
  AddStream(&p, 1, RleFrame(kBigCodes, 1000));
  AddStream(&p, 0, {});
  AddStream(&p, 0, {});
  ExpectRejectedCheaply("lying_gaps", p);
  // Bitmap frame declaring exactly the 16 MiB the block needs, holding 1000.
  p = PayloadHead(0, kBigRows, kBigVocab);
  AddStream(&p, 1, RleFrame(kBigCodes / 8, 1000));
  AddStream(&p, 0, {});
  AddStream(&p, 0, {});
  ExpectRejectedCheaply("lying_bitmap", p);
  // A frame that does not declare its size (no size field, window 1 KiB).
  p = PayloadHead(0, kBigRows, kBigVocab);
  AddStream(&p, 1, {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x03, 0, 0, 0});
  AddStream(&p, 0, {});
  AddStream(&p, 0, {});
  ExpectRejectedCheaply("no_content_size", p);
}

TEST(ContainerDamage, MetadataOverOneMiBIsRejected) {
  // Written by hand: the writer refuses such metadata.
  std::vector<uint8_t> h = {0x89, 'K', 'L', 'D', 'Z', '\r', '\n', 0x1a};
  detail::PutU16(&h, 1);
  detail::PutU16(&h, 0);
  detail::PutU32(&h, 0);
  const std::string value((1 << 20) - 8, 'v');  // 8 + 1 + value > 1 MiB
  detail::PutU64(&h, 56 + 8 + 1 + value.size() + 8);
  for (uint32_t v : {4u, 37u, 0u, 3u}) detail::PutU32(&h, v);
  detail::PutU64(&h, 0);  // n_tokens
  detail::PutU32(&h, 1);  // n_meta
  detail::PutU32(&h, 0);
  detail::PutU32(&h, 1);
  detail::PutU8(&h, 'k');
  detail::PutU32(&h, static_cast<uint32_t>(value.size()));
  detail::PutBytes(&h, value.data(), value.size());
  detail::PutU64(&h, detail::Checksum64(h.data(), h.size()));
  const std::string path = TempPath("meta.kldz");
  testing::WriteFileBytes(path, std::string(h.begin(), h.end()));
  try {
    ContainerReader r(path);
    ADD_FAILURE() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_FORMAT) << e.what();
    EXPECT_NE(std::string(e.what()).find("metadata"), std::string::npos);
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kldkit
