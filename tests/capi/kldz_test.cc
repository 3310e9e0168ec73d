// C ABI over .kldz containers: kldkit_kldz_import/export/verify/recover,
// the threaded kldkit_kldz_export_with/verify_with, kldkit_reader on a
// container (row by row and in bulk, kldkit_reader_read_rows_u16) and its
// metadata. Checked against the C++ container API and the llama.cpp file
// it came from (bytes, rows, tokens, targets, metadata); bad arguments and
// damaged files return their documented statuses.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit.h"
#include "kldkit/container.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"
#include "tests/capi/capi_test_util.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "kldkit_capi_kldz_" +
         std::to_string(getpid()) + "_" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// n_ctx 8 (3 rows per chunk), 4 chunks, vocab 21.
constexpr uint32_t kCtx = 8;
constexpr int32_t kVocab = 21;
constexpr int32_t kChunks = 4;

std::string WriteLlamaFile(const std::string& name) {
  const std::string path = TempPath(name);
  std::vector<int32_t> tokens(kCtx * kChunks);
  for (size_t i = 0; i < tokens.size(); ++i) {
    tokens[i] = static_cast<int32_t>(i * 7 % kVocab);
  }
  LlamaFileWriter w(path, {kCtx, kVocab, kChunks}, tokens);
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> logits(kVocab);
  std::vector<uint16_t> words(LlamaRowWords(kVocab));
  for (uint64_t r = 0; r < kChunks * RowsPerChunk(kCtx); ++r) {
    for (float& v : logits) v = dist(rng);
    QuantizeRow(RowView::F32(logits), words);
    w.AppendRow(words);
  }
  w.Close();
  return path;
}

// A llama.cpp file `name`.logits and the container kldkit_kldz_import
// makes of it, `name`.kldz (rows_per_block 0: the default).
struct Imported {
  std::string src;
  std::string kldz;
};
Imported MakeContainer(const std::string& name, uint32_t rows_per_block = 0) {
  Imported f{WriteLlamaFile(name + ".logits"), TempPath(name + ".kldz")};
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.rows_per_block = rows_per_block;
  EXPECT_EQ(kldkit_kldz_import(nullptr, f.kldz.c_str(), f.src.c_str(), &o),
            KLDKIT_OK)
      << kldkit_last_error();
  return f;
}

TEST(CapiKldz, ImportExportVerifyEqualCpp) {
  const std::string src = WriteLlamaFile("src.logits");
  const std::string cpp_kldz = TempPath("cpp.kldz");
  const std::string c_kldz = TempPath("c.kldz");
  ContainerOptions co;
  co.rows_per_block = 4;
  ImportLlamaFile(src, cpp_kldz, co);
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.rows_per_block = 4;
  o.threads = 2;
  uint64_t rows = 0;
  ASSERT_EQ(kldkit_kldz_import(&rows, c_kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK)
      << kldkit_last_error();
  EXPECT_EQ(rows, kChunks * RowsPerChunk(kCtx));
  EXPECT_EQ(ReadAll(c_kldz), ReadAll(cpp_kldz));
  ASSERT_EQ(kldkit_kldz_verify(&rows, c_kldz.c_str()), KLDKIT_OK);
  EXPECT_EQ(rows, Verify(cpp_kldz));
  const std::string back = TempPath("back.logits");
  ASSERT_EQ(kldkit_kldz_export(&rows, back.c_str(), c_kldz.c_str()),
            KLDKIT_OK);
  EXPECT_EQ(ReadAll(back), ReadAll(src));
  const std::string recovered = TempPath("rec.kldz");
  ASSERT_EQ(kldkit_kldz_recover(&rows, recovered.c_str(), c_kldz.c_str()),
            KLDKIT_OK);
  EXPECT_EQ(rows, kChunks * RowsPerChunk(kCtx));
  EXPECT_EQ(kldkit_kldz_verify(nullptr, recovered.c_str()), KLDKIT_OK);
}

// The _with variants decode on several threads: the same bytes and rows
// as on one, and the same statuses for a damaged file.
TEST(CapiKldz, ExportAndVerifyOnSeveralThreads) {
  // 6 blocks of 2 rows for the 3 threads to share.
  const auto [src, kldz] = MakeContainer("t", 2);
  kldkit_kldz_read_options ro;
  ASSERT_EQ(kldkit_kldz_read_options_init(&ro), KLDKIT_OK);
  EXPECT_EQ(ro.threads, 1u);
  ro.threads = 3;
  uint64_t rows = 0;
  const std::string back = TempPath("t_back.logits");
  ASSERT_EQ(kldkit_kldz_export_with(&rows, back.c_str(), kldz.c_str(), &ro),
            KLDKIT_OK)
      << kldkit_last_error();
  EXPECT_EQ(rows, kChunks * RowsPerChunk(kCtx));
  EXPECT_EQ(ReadAll(back), ReadAll(src));
  rows = 0;
  ASSERT_EQ(kldkit_kldz_verify_with(&rows, kldz.c_str(), &ro), KLDKIT_OK);
  EXPECT_EQ(rows, kChunks * RowsPerChunk(kCtx));
  // A struct_size that covers no field: the defaults (one thread).
  kldkit_kldz_read_options old = {sizeof(size_t), 0u};
  EXPECT_EQ(kldkit_kldz_verify_with(&rows, kldz.c_str(), &old), KLDKIT_OK);
  EXPECT_EQ(kldkit_kldz_verify_with(&rows, kldz.c_str(), nullptr), KLDKIT_OK);
  const std::string bytes = ReadAll(kldz);
  const std::string cut = TempPath("t_cut.kldz");
  WriteAll(cut, bytes.substr(0, bytes.size() - 40));
  rows = 99;
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify_with(&rows, cut.c_str(), &ro),
                        KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(rows, 0u);
}

TEST(CapiKldz, ReadOptionsArgumentErrors) {
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  const auto [src, kldz] = MakeContainer("ra");
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_read_options_init(nullptr), inv);
  const std::string dst = TempPath("ra_back.logits");
  kldkit_kldz_read_options ro = KLDKIT_KLDZ_READ_OPTIONS_INIT;
  for (uint32_t bad : {0u, 65u}) {
    ro.threads = bad;
    KLDKIT_EXPECT_FAILURE(
        kldkit_kldz_export_with(nullptr, dst.c_str(), kldz.c_str(), &ro), inv);
    EXPECT_NE(std::string(kldkit_last_error()).find("[1, 64]"),
              std::string::npos)
        << kldkit_last_error();
    KLDKIT_EXPECT_FAILURE(
        kldkit_kldz_verify_with(nullptr, kldz.c_str(), &ro), inv);
  }
  EXPECT_NE(access(dst.c_str(), F_OK), 0);  // refused before dst existed
  ro.threads = 1;
  ro.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_verify_with(nullptr, kldz.c_str(), &ro), inv);
  ro.struct_size = sizeof(ro);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_export_with(nullptr, nullptr, kldz.c_str(), &ro), inv);
  EXPECT_NE(std::string(kldkit_last_error()).find("kldkit_kldz_export_with"),
            std::string::npos)
      << kldkit_last_error();
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify_with(nullptr, nullptr, &ro), inv);
}

TEST(CapiKldz, ReaderOpensAContainerLikeTheLlamaFile) {
  const auto [src, kldz] = MakeContainer("r");
  kldkit_reader* lr = nullptr;
  kldkit_reader* zr = nullptr;
  ASSERT_EQ(kldkit_reader_open(&lr, src.c_str(), nullptr), KLDKIT_OK);
  ASSERT_EQ(kldkit_reader_open(&zr, kldz.c_str(), nullptr), KLDKIT_OK)
      << kldkit_last_error();
  kldkit_reader_info li = KLDKIT_READER_INFO_INIT;
  kldkit_reader_info zi = KLDKIT_READER_INFO_INIT;
  ASSERT_EQ(kldkit_reader_info_get(&li, lr), KLDKIT_OK);
  ASSERT_EQ(kldkit_reader_info_get(&zi, zr), KLDKIT_OK);
  EXPECT_EQ(zi.kind, KLDKIT_FILE_KLDZ);
  EXPECT_EQ(zi.row_type, KLDKIT_ROW_LLAMA_U16);
  EXPECT_EQ(zi.n_ctx, li.n_ctx);
  EXPECT_EQ(zi.n_chunk, li.n_chunk);
  EXPECT_EQ(zi.n_vocab, li.n_vocab);
  EXPECT_EQ(zi.n_rows, li.n_rows);
  EXPECT_EQ(zi.n_rows_expected, li.n_rows_expected);
  EXPECT_EQ(zi.row_len, li.row_len);
  EXPECT_EQ(zi.n_tokens, li.n_tokens);
  std::vector<int32_t> lt(li.n_tokens), zt(zi.n_tokens);
  ASSERT_EQ(kldkit_reader_read_tokens(lt.data(), lt.size(), lr, 0), KLDKIT_OK);
  ASSERT_EQ(kldkit_reader_read_tokens(zt.data(), zt.size(), zr, 0), KLDKIT_OK);
  EXPECT_EQ(zt, lt);
  std::vector<uint16_t> lrow(li.row_len), zrow(zi.row_len);
  for (uint64_t r = 0; r < li.n_rows; ++r) {
    int32_t lt_id = -1, zt_id = -2;
    ASSERT_EQ(kldkit_reader_target_token(&lt_id, lr, r), KLDKIT_OK);
    ASSERT_EQ(kldkit_reader_target_token(&zt_id, zr, r), KLDKIT_OK);
    EXPECT_EQ(zt_id, lt_id) << r;
    ASSERT_EQ(kldkit_reader_read_row_u16(lrow.data(), lrow.size(), lr, r),
              KLDKIT_OK);
    ASSERT_EQ(kldkit_reader_read_row_u16(zrow.data(), zrow.size(), zr, r),
              KLDKIT_OK);
    EXPECT_EQ(zrow, lrow) << r;
  }
  // Container rows are llama.cpp rows: no float reads, no rows past the end.
  std::vector<float> f(zi.row_len);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_row_f32(f.data(), f.size(), zr, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_read_row_u16(zrow.data(), zrow.size(), zr, zi.n_rows),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  int32_t id = 0;
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_target_token(&id, zr, zi.n_rows_expected),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(kldkit_reader_close(zr), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_read_row_u16(zrow.data(), zrow.size(), zr, 0),
      KLDKIT_ERROR_CLOSED);
  kldkit_reader_free(zr);
  kldkit_reader_free(lr);
}

// Rows [first, first + count) of reader `r`, one read_row_u16 call each.
std::vector<uint16_t> RowsOneByOne(const kldkit_reader* r, uint64_t first,
                                   uint64_t count, size_t words) {
  std::vector<uint16_t> out(count * words);
  for (uint64_t i = 0; i < count; ++i) {
    EXPECT_EQ(kldkit_reader_read_row_u16(out.data() + i * words, words, r,
                                         first + i),
              KLDKIT_OK);
  }
  return out;
}

// read_rows_u16, from a llama.cpp file and from the container imported
// from it, gives the rows read_row_u16 reads one by one from the llama.cpp
// file, on any thread count and any range (ranges that start or end inside
// a block, one row, none).
TEST(CapiKldz, ReadRowsEqualsReadRowOneByOne) {
  const auto [src, kldz] = MakeContainer("rr", 5);  // blocks of 5, 5, 2
  kldkit_reader* lr = nullptr;
  ASSERT_EQ(kldkit_reader_open(&lr, src.c_str(), nullptr), KLDKIT_OK);
  for (const std::string& path : {src, kldz}) {
    kldkit_reader* r = nullptr;
    ASSERT_EQ(kldkit_reader_open(&r, path.c_str(), nullptr), KLDKIT_OK);
    kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
    ASSERT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
    const size_t words = info.row_len;
    const uint64_t n = info.n_rows;
    ASSERT_EQ(n, 12u);
    const std::pair<uint64_t, uint64_t> ranges[] = {
        {0, n}, {3, 4}, {5, 5}, {11, 1}, {7, 0}, {n, 0}};
    for (const auto& [first, count] : ranges) {
      const auto want = RowsOneByOne(lr, first, count, words);
      for (uint32_t threads : {1u, 3u, 64u}) {
        kldkit_kldz_read_options ro = KLDKIT_KLDZ_READ_OPTIONS_INIT;
        ro.threads = threads;
        std::vector<uint16_t> got(count * words, 0xABCD);
        ASSERT_EQ(kldkit_reader_read_rows_u16(got.data(), got.size(), r,
                                              first, count, &ro),
                  KLDKIT_OK)
            << path << " " << first << "+" << count << ": "
            << kldkit_last_error();
        EXPECT_EQ(got, want) << path << " " << first << "+" << count
                             << " on " << threads;
      }
    }
    std::vector<uint16_t> all(n * words);
    ASSERT_EQ(kldkit_reader_read_rows_u16(all.data(), all.size(), r, 0, n,
                                          nullptr),
              KLDKIT_OK);
    EXPECT_EQ(all, RowsOneByOne(lr, 0, n, words));
    EXPECT_EQ(kldkit_reader_read_rows_u16(nullptr, 0, r, 4, 0, nullptr),
              KLDKIT_OK);
    kldkit_reader_free(r);
  }
  kldkit_reader_free(lr);
}

TEST(CapiKldz, ReadRowsArgumentErrors) {
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  const auto [src, kldz] = MakeContainer("re");
  kldkit_reader* r = nullptr;
  ASSERT_EQ(kldkit_reader_open(&r, kldz.c_str(), nullptr), KLDKIT_OK);
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  ASSERT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
  const size_t words = info.row_len;
  std::vector<uint16_t> buf(3 * words);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(),
                                                    nullptr, 0, 3, nullptr),
                        inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_read_rows_u16(nullptr, buf.size(), r, 0, 3, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_read_rows_u16(buf.data(), buf.size() - 1, r, 0, 3,
                                  nullptr),
      inv);
  // Past the end, and a count whose product with row_len would wrap.
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(), r,
                                                    info.n_rows - 2, 3,
                                                    nullptr),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), 0, r,
                                                    info.n_rows + 1, 0,
                                                    nullptr),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(), r,
                                                    1, UINT64_MAX, nullptr),
                        inv);
  kldkit_kldz_read_options ro = KLDKIT_KLDZ_READ_OPTIONS_INIT;
  for (uint32_t threads : {0u, 65u}) {
    ro.threads = threads;
    KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(),
                                                      r, 0, 3, &ro),
                          inv);
    EXPECT_NE(std::string(kldkit_last_error()).find("[1, 64]"),
              std::string::npos)
        << kldkit_last_error();
  }
  ASSERT_EQ(kldkit_reader_close(r), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(), r,
                                                    0, 3, nullptr),
                        KLDKIT_ERROR_CLOSED);
  kldkit_reader_free(r);
  // A float .npy holds no llama.cpp rows.
  const std::string npy = TempPath("re.npy");
  {
    NpyF32Writer w(npy, 1, 4);
    const float row[4] = {1, 2, 3, 4};
    w.AppendRow(row);
    w.Close();
  }
  ASSERT_EQ(kldkit_reader_open(&r, npy.c_str(), nullptr), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_read_rows_u16(buf.data(), 4, r, 0, 1, nullptr), inv);
  kldkit_reader_free(r);
}

// A damaged block fails read_rows_u16 with the status read_row_u16 gives
// for its rows, on any thread count; ranges that avoid it still read.
TEST(CapiKldz, ReadRowsReportsADamagedBlock) {
  const auto [src, kldz] = MakeContainer("rd", 3);  // 4 blocks of 3 rows
  std::string bytes = ReadAll(kldz);
  bytes[bytes.size() / 2] ^= 0x5A;  // inside a block's payload
  const std::string bad = TempPath("rd_bad.kldz");
  WriteAll(bad, bytes);
  kldkit_reader* r = nullptr;
  ASSERT_EQ(kldkit_reader_open(&r, bad.c_str(), nullptr), KLDKIT_OK)
      << kldkit_last_error();
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  ASSERT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
  const size_t words = info.row_len;
  std::vector<uint16_t> row(words);
  std::vector<kldkit_status> status(info.n_rows);
  uint64_t first_bad = info.n_rows, last_bad = 0;
  for (uint64_t i = 0; i < info.n_rows; ++i) {
    status[i] = kldkit_reader_read_row_u16(row.data(), words, r, i);
    if (status[i] != KLDKIT_OK) {
      first_bad = std::min(first_bad, i);
      last_bad = i;
    }
  }
  ASSERT_LT(first_bad, info.n_rows) << "the flipped byte hit no block";
  EXPECT_EQ(last_bad - first_bad, 2u);  // one block of 3 rows
  std::vector<uint16_t> buf(info.n_rows * words);
  kldkit_kldz_read_options ro = KLDKIT_KLDZ_READ_OPTIONS_INIT;
  for (uint32_t threads : {1u, 4u}) {
    ro.threads = threads;
    KLDKIT_EXPECT_FAILURE(kldkit_reader_read_rows_u16(buf.data(), buf.size(),
                                                      r, 0, info.n_rows, &ro),
                          status[first_bad]);
    EXPECT_EQ(kldkit_reader_read_rows_u16(buf.data(), first_bad * words, r,
                                          0, first_bad, &ro),
              KLDKIT_OK);
    EXPECT_EQ(std::vector<uint16_t>(buf.begin(),
                                    buf.begin() + first_bad * words),
              RowsOneByOne(r, 0, first_bad, words));
  }
  kldkit_reader_free(r);
}

// The metadata entries of a reader through the C ABI, in index order.
std::map<std::string, std::string> CMetadata(const kldkit_reader* r) {
  std::map<std::string, std::string> out;
  size_t n = 99;
  EXPECT_EQ(kldkit_reader_metadata_count(&n, r), KLDKIT_OK)
      << kldkit_last_error();
  std::string previous;
  for (size_t i = 0; i < n; ++i) {
    size_t key_size = 0, value_size = 0;
    EXPECT_EQ(kldkit_reader_metadata_key(nullptr, 0, &key_size, r, i),
              KLDKIT_OK);
    EXPECT_EQ(kldkit_reader_metadata_value(nullptr, 0, &value_size, r, i),
              KLDKIT_OK);
    std::string key(key_size, 'x'), value(value_size, 'x');
    EXPECT_EQ(kldkit_reader_metadata_key(&key[0], key.size(), &key_size, r, i),
              KLDKIT_OK);
    EXPECT_EQ(kldkit_reader_metadata_value(&value[0], value.size(),
                                           &value_size, r, i),
              KLDKIT_OK);
    EXPECT_EQ(key.back(), '\0');  // sizes count the NUL
    EXPECT_EQ(value.back(), '\0');
    key.pop_back();
    value.pop_back();
    EXPECT_LT(previous, key) << "keys come in byte order";
    previous = key;
    out[key] = value;
  }
  return out;
}

TEST(CapiKldz, ImportStoresMetadataTheReaderGivesBack) {
  const std::string src = WriteLlamaFile("m.logits");
  const std::string c_kldz = TempPath("m_c.kldz");
  const std::string cpp_kldz = TempPath("m_cpp.kldz");
  // Unsorted on input, an empty value, UTF-8 bytes.
  const char* const note = "\xce\x94p \xe2\x89\xa4 1%";  // "Δp ≤ 1%"
  const kldkit_kldz_metadata entries[] = {{"quant", "Q4_K_M"},
                                          {"model", "Qwen3.5-9B"},
                                          {"dataset", ""},
                                          {"note", note}};
  const std::map<std::string, std::string> expected = {
      {"quant", "Q4_K_M"}, {"model", "Qwen3.5-9B"}, {"dataset", ""},
      {"note", note}};
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.metadata = entries;
  o.n_metadata = 4;
  ASSERT_EQ(kldkit_kldz_import(nullptr, c_kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK)
      << kldkit_last_error();
  ImportLlamaFile(src, cpp_kldz, {}, expected);
  EXPECT_EQ(ReadAll(c_kldz), ReadAll(cpp_kldz));
  // The import adds the floor of the rows (16: llama.cpp's).
  std::map<std::string, std::string> stored = expected;
  stored["floor"] = "16";
  EXPECT_EQ(ContainerReader(c_kldz).Metadata(), stored);

  kldkit_reader* r = nullptr;
  ASSERT_EQ(kldkit_reader_open(&r, c_kldz.c_str(), nullptr), KLDKIT_OK);
  EXPECT_EQ(CMetadata(r), stored);
  // A short buffer: INVALID_ARGUMENT, nothing written, the size still set.
  char small[4] = {'a', 'b', 'c', 'd'};
  size_t size = 0;
  KLDKIT_EXPECT_FAILURE(
      kldkit_reader_metadata_value(small, sizeof(small), &size, r, 2),
      KLDKIT_ERROR_INVALID_ARGUMENT);  // "model" = "Qwen3.5-9B"
  EXPECT_EQ(size, 11u);
  EXPECT_EQ(std::string(small, 4), "abcd");
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_key(small, 4, &size, r, 5),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_key(small, 4, nullptr, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_count(nullptr, r),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  size_t n = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_count(&n, nullptr),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(kldkit_reader_close(r), KLDKIT_OK);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_count(&n, r),
                        KLDKIT_ERROR_CLOSED);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_key(nullptr, 0, &size, r, 0),
                        KLDKIT_ERROR_CLOSED);
  kldkit_reader_free(r);
}

TEST(CapiKldz, MetadataOfOtherWritersAndOtherFiles) {
  // Bytes the C ABI cannot write (a NUL inside a value) come back whole.
  const std::string src = WriteLlamaFile("o.logits");
  const std::string kldz = TempPath("o.kldz");
  const std::string blob("a\0b", 3);
  ImportLlamaFile(src, kldz, {}, {{"blob", blob}});
  kldkit_reader* r = nullptr;
  ASSERT_EQ(kldkit_reader_open(&r, kldz.c_str(), nullptr), KLDKIT_OK);
  char value[8] = {};
  size_t size = 0;
  ASSERT_EQ(kldkit_reader_metadata_value(value, sizeof(value), &size, r, 0),
            KLDKIT_OK);
  EXPECT_EQ(size, 4u);
  EXPECT_EQ(std::string(value, 3), blob);
  kldkit_reader_free(r);
  // llama.cpp files hold no metadata.
  ASSERT_EQ(kldkit_reader_open(&r, src.c_str(), nullptr), KLDKIT_OK);
  size_t n = 99;
  ASSERT_EQ(kldkit_reader_metadata_count(&n, r), KLDKIT_OK);
  EXPECT_EQ(n, 0u);
  KLDKIT_EXPECT_FAILURE(kldkit_reader_metadata_key(nullptr, 0, &size, r, 0),
                        KLDKIT_ERROR_INVALID_ARGUMENT);
  kldkit_reader_free(r);
}

TEST(CapiKldz, OptionsFromBeforeTheMetadataFieldsStoreNone) {
  const std::string src = WriteLlamaFile("s.logits");
  const std::string kldz = TempPath("s.kldz");
  const kldkit_kldz_metadata entry = {"model", "m"};
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.metadata = &entry;
  o.n_metadata = 1;
  o.struct_size = offsetof(kldkit_kldz_options, metadata);  // older header
  ASSERT_EQ(kldkit_kldz_import(nullptr, kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK)
      << kldkit_last_error();
  const std::map<std::string, std::string> floor_only = {{"floor", "16"}};
  EXPECT_EQ(ContainerReader(kldz).Metadata(), floor_only);
  o.struct_size = sizeof(o);
  ASSERT_EQ(kldkit_kldz_import(nullptr, kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK);
  EXPECT_EQ(ContainerReader(kldz).Metadata().at("model"), "m");
}

TEST(CapiKldz, BadMetadataIsRefusedAndWritesNothing) {
  const std::string src = WriteLlamaFile("b.logits");
  const std::string kldz = TempPath("b.kldz");
  const std::string big(size_t{1} << 20, 'v');
  const std::vector<std::vector<kldkit_kldz_metadata>> bad = {
      {{nullptr, "v"}},
      {{"k", nullptr}},
      {{"", "v"}},
      {{"k", "v"}, {"j", "w"}, {"k", "x"}},
      {{"k", big.c_str()}}};
  for (const auto& entries : bad) {
    kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
    o.metadata = entries.data();
    o.n_metadata = entries.size();
    KLDKIT_EXPECT_FAILURE(
        kldkit_kldz_import(nullptr, kldz.c_str(), src.c_str(), &o),
        KLDKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(access(kldz.c_str(), F_OK), 0);
    EXPECT_NE(access((kldz + ".tmp").c_str(), F_OK), 0);
  }
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.n_metadata = 1;  // metadata NULL
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_import(nullptr, kldz.c_str(), src.c_str(), &o),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(access(kldz.c_str(), F_OK), 0);
}

TEST(CapiKldz, DamagedAndMissingFiles) {
  const auto [src, kldz] = MakeContainer("d");
  const std::string bytes = ReadAll(kldz);
  // Cut before the end marker: an incomplete file, which recover repairs.
  const std::string cut = TempPath("cut.kldz");
  WriteAll(cut, bytes.substr(0, bytes.size() - 40));
  uint64_t rows = 99;
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify(&rows, cut.c_str()),
                        KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(rows, 0u);
  kldkit_reader* r = nullptr;
  KLDKIT_EXPECT_FAILURE(kldkit_reader_open(&r, cut.c_str(), nullptr),
                        KLDKIT_ERROR_TRUNCATED);
  EXPECT_EQ(r, nullptr);
  const std::string fixed = TempPath("fixed.kldz");
  ASSERT_EQ(kldkit_kldz_recover(&rows, fixed.c_str(), cut.c_str()),
            KLDKIT_OK)
      << kldkit_last_error();
  EXPECT_EQ(kldkit_kldz_verify(&rows, fixed.c_str()), KLDKIT_OK);
  // Not a container at all; a missing file.
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify(nullptr, src.c_str()),
                        KLDKIT_ERROR_FORMAT);
  const std::string missing = TempPath("missing.kldz");
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify(nullptr, missing.c_str()),
                        KLDKIT_ERROR_IO);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_export(nullptr, TempPath("x.logits").c_str(),
                         missing.c_str()),
      KLDKIT_ERROR_IO);
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_import(nullptr, TempPath("x.kldz").c_str(), kldz.c_str(),
                         nullptr),
      KLDKIT_ERROR_FORMAT);  // a container is not a llama.cpp file
}

TEST(CapiKldz, ArgumentErrors) {
  const auto inv = KLDKIT_ERROR_INVALID_ARGUMENT;
  const std::string p = TempPath("a.kldz");
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_options_init(nullptr), inv);
  kldkit_kldz_options o;
  ASSERT_EQ(kldkit_kldz_options_init(&o), KLDKIT_OK);
  EXPECT_EQ(o.level, 1);
  EXPECT_EQ(o.threads, 1u);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, nullptr, p.c_str(), &o),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, p.c_str(), nullptr, &o),
                        inv);
  const std::string src = WriteLlamaFile("a.logits");
  o.level = 20;
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, p.c_str(), src.c_str(),
                                           &o),
                        inv);
  o.level = 1;
  o.threads = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, p.c_str(), src.c_str(),
                                           &o),
                        inv);
  o.threads = 257;  // the writer's limit, checked before any file is made
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, p.c_str(), src.c_str(),
                                           &o),
                        inv);
  EXPECT_NE(std::string(kldkit_last_error()).find("[1, 256]"),
            std::string::npos)
      << kldkit_last_error();
  o.threads = 1;
  o.struct_size = 0;
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_import(nullptr, p.c_str(), src.c_str(),
                                           &o),
                        inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_export(nullptr, nullptr, p.c_str()), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_export(nullptr, p.c_str(), nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_verify(nullptr, nullptr), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_recover(nullptr, nullptr, p.c_str()), inv);
  KLDKIT_EXPECT_FAILURE(kldkit_kldz_recover(nullptr, p.c_str(), nullptr), inv);
  EXPECT_NE(access(p.c_str(), F_OK), 0);  // nothing was written
}

TEST(CapiKldz, KeepKldImportMatchesCppAndReportsItsProfile) {
  const std::string src = WriteLlamaFile("keep.logits");
  const std::string c_kldz = TempPath("keep_c.kldz");
  const std::string cpp_kldz = TempPath("keep_cpp.kldz");
  kldkit_kldz_options o = KLDKIT_KLDZ_OPTIONS_INIT;
  o.keep = KLDKIT_KEEP_KLD;
  ASSERT_EQ(kldkit_kldz_import(nullptr, c_kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK)
      << kldkit_last_error();
  ContainerOptions cpp;
  cpp.keep = KeepProfile::kKld;
  ImportLlamaFile(src, cpp_kldz, cpp);
  EXPECT_EQ(ReadAll(c_kldz), ReadAll(cpp_kldz));
  for (const auto& file : {std::make_pair(c_kldz, KLDKIT_KEEP_KLD),
                           std::make_pair(src, KLDKIT_KEEP_ALL)}) {
    kldkit_reader* r = nullptr;
    ASSERT_EQ(kldkit_reader_open(&r, file.first.c_str(), nullptr), KLDKIT_OK);
    kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
    ASSERT_EQ(kldkit_reader_info_get(&info, r), KLDKIT_OK);
    EXPECT_EQ(info.keep, static_cast<uint32_t>(file.second)) << file.first;
    EXPECT_EQ(info.floor, 16.0f) << file.first;
    // A 0.1 caller's struct ends before the new fields: they stay as set.
    kldkit_reader_info old = KLDKIT_READER_INFO_INIT;
    old.struct_size = offsetof(kldkit_reader_info, keep);
    old.keep = 77;
    ASSERT_EQ(kldkit_reader_info_get(&old, r), KLDKIT_OK);
    EXPECT_EQ(old.keep, 77u);
    EXPECT_EQ(old.n_tokens, info.n_tokens);
    kldkit_reader_free(r);
  }
  // A struct from before `keep` imports losslessly.
  o.struct_size = offsetof(kldkit_kldz_options, keep);
  ASSERT_EQ(kldkit_kldz_import(nullptr, c_kldz.c_str(), src.c_str(), &o),
            KLDKIT_OK);
  EXPECT_EQ(ContainerReader(c_kldz).Keep(), KeepProfile::kAll);
  // An unknown profile: refused before anything is written.
  const std::string never = TempPath("keep_never.kldz");
  o.struct_size = sizeof(o);
  o.keep = 2;
  KLDKIT_EXPECT_FAILURE(
      kldkit_kldz_import(nullptr, never.c_str(), src.c_str(), &o),
      KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(access(never.c_str(), F_OK), 0);
  EXPECT_NE(std::string(kldkit_last_error()).find("keep"), std::string::npos);
}

}  // namespace
}  // namespace kldkit
