// Tests of the llama.cpp `_logits_` reader and writer: the real fixture
// files, hand-built small files, truncations, hostile headers, write errors.
#include "kldkit/llamacpp_file.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/storage/io_file.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using Bytes = std::vector<char>;

std::string TempPath(const std::string& name) {
  return testing::TempPath("llamacpp", name);
}

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const char* data, size_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, static_cast<std::streamsize>(n));
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

template <typename T>
void Put(Bytes& b, T v) {
  const char* p = reinterpret_cast<const char*>(&v);
  b.insert(b.end(), p, p + sizeof(T));
}

// A hand-built file: n_ctx 8 (3 rows per chunk: positions 4, 5, 6), n_vocab
// 5 (odd: 6 code words incl. padding, 10 words per row), n_chunk 3.
// Token k is k % 5; word w of row r is r * 100 + w (padding included).
constexpr uint32_t kSmallCtx = 8;
constexpr int32_t kSmallVocab = 5;
constexpr int32_t kSmallChunks = 3;
constexpr size_t kSmallRowWords = 10;
constexpr size_t kSmallRows = 9;
constexpr size_t kSmallDataOffset = 20 + 4 * 24;

Bytes SmallFile(uint32_t n_ctx = kSmallCtx, int32_t n_vocab = kSmallVocab,
                int32_t n_chunk = kSmallChunks) {
  Bytes b = {'_', 'l', 'o', 'g', 'i', 't', 's', '_'};
  Put(b, n_ctx);
  Put(b, n_vocab);
  Put(b, n_chunk);
  for (int32_t k = 0; k < 24; ++k) Put(b, k % 5);
  for (size_t r = 0; r < kSmallRows; ++r) {
    for (size_t w = 0; w < kSmallRowWords; ++w) {
      Put(b, static_cast<uint16_t>(r * 100 + w));
    }
  }
  return b;
}

std::string WriteTemp(const std::string& name, const Bytes& b) {
  const std::string path = TempPath(name);
  WriteAll(path, b.data(), b.size());
  return path;
}

// Status of opening `path`, and the message.
kldkit_status OpenStatus(const std::string& path, bool allow_truncated,
                         std::string* message = nullptr) {
  try {
    LlamaFileReader reader(path, allow_truncated);
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.Status();
  }
  return KLDKIT_OK;
}

// Copies every row of `in` into a new file at `out`.
void Copy(const LlamaFileReader& in, const std::string& out) {
  LlamaFileWriter writer(out, in.Header(), in.Tokens());
  std::vector<uint16_t> row(in.RowWords());
  for (uint64_t r = 0; r < in.RowCount(); ++r) {
    in.ReadRow(r, row);
    writer.AppendRow(row);
  }
  writer.Close();
}

// ---- The real fixture files ------------------------------------------------

TEST(LlamaFile, ReadsF16FixtureHeader) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  LlamaFileReader reader(path);
  EXPECT_EQ(reader.Header().n_ctx, 128u);
  EXPECT_EQ(reader.Header().n_vocab, 32000);
  EXPECT_EQ(reader.Header().n_chunk, 4);
  EXPECT_EQ(reader.Tokens().size(), 512u);
  EXPECT_EQ(reader.RowCount(), 252u);
  EXPECT_EQ(reader.ExpectedRowCount(), 252u);
  EXPECT_EQ(reader.RowWords(), 32004u);
  // One token per byte of text.txt after the BOS; xxd shows BOS = 256.
  EXPECT_EQ(reader.Tokens()[0], 256);
  EXPECT_EQ(reader.Tokens()[1], 'T');
  EXPECT_EQ(reader.Tokens()[2], 'h');
  EXPECT_EQ(reader.Tokens()[3], 'e');
  // The tokens are the raw int32 values at byte 20.
  const Bytes raw = ReadAll(path);
  ASSERT_EQ(raw.size(), 20u + 512 * 4 + 252u * 32004 * 2);
  EXPECT_EQ(std::memcmp(raw.data() + 20, reader.Tokens().data(), 512 * 4), 0);
}

TEST(LlamaFile, TargetTokenFollowsLayoutRule) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  LlamaFileReader reader(path);
  const auto t = reader.Tokens();
  // Row i of chunk c is position 64 + i and predicts token c*128 + 65 + i.
  EXPECT_EQ(reader.TargetToken(0), t[65]);
  EXPECT_EQ(reader.TargetToken(62), t[127]);
  EXPECT_EQ(reader.TargetToken(63), t[128 + 65]);
  EXPECT_EQ(reader.TargetToken(251), t[3 * 128 + 127]);
  try {
    reader.TargetToken(252);
    FAIL() << "row 252 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
  }
}

TEST(LlamaFile, ReadRowReturnsTheBytesAtTheRowOffset) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  LlamaFileReader reader(path);
  const Bytes raw = ReadAll(path);
  std::vector<uint16_t> row(reader.RowWords());
  for (uint64_t r : {uint64_t{0}, uint64_t{1}, uint64_t{130}, uint64_t{251}}) {
    reader.ReadRow(r, row);
    const size_t offset = 20 + 512 * 4 + r * 64008;
    EXPECT_EQ(std::memcmp(raw.data() + offset, row.data(), 64008), 0) << r;
    // Every fixture row spans more than 16 nats: scale = 16 / 65535.
    const LlamaRowHeader h = ReadLlamaRowHeader(row.data());
    EXPECT_NEAR(h.scale, 16.0 / 65535, 1e-9) << r;
    EXPECT_LT(h.min_log_prob, -16.0f) << r;
  }
}

TEST(LlamaFile, ReadWriteIsByteExactOnBothFixtures) {
  for (const char* name : {"v32k-c128x4-f16.logits", "v32k-c128x4-q8_0.logits"}) {
    KLDKIT_REQUIRE_FIXTURE(path, name);
    const std::string out = TempPath("roundtrip.logits");
    Copy(LlamaFileReader(path), out);
    EXPECT_TRUE(ReadAll(out) == ReadAll(path)) << name;
    EXPECT_FALSE(Exists(out + ".tmp"));
    std::remove(out.c_str());
  }
}

TEST(LlamaFile, ConcurrentReadRowsMatchSerialReads) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-q8_0.logits");
  LlamaFileReader reader(path);
  const Bytes raw = ReadAll(path);
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint16_t> row(reader.RowWords());
      for (uint64_t r = static_cast<uint64_t>(t); r < 252; r += 4) {
        reader.ReadRow(r, row);
        bad[t] += std::memcmp(raw.data() + 20 + 2048 + r * 64008, row.data(),
                              64008) != 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad, std::vector<int>(4, 0));
}

TEST(LlamaFile, FixtureTruncatedMidRowSalvagesCompleteRows) {
  KLDKIT_REQUIRE_FIXTURE(path, "v32k-c128x4-f16.logits");
  const Bytes raw = ReadAll(path);
  const size_t data = 20 + 512 * 4;
  const std::string cut = TempPath("cut.logits");
  WriteAll(cut, raw.data(), data + 100 * 64008 + 12345);
  std::string message;
  EXPECT_EQ(OpenStatus(cut, false, &message), KLDKIT_ERROR_TRUNCATED);
  EXPECT_NE(message.find("100 of 252 rows"), std::string::npos) << message;
  EXPECT_NE(message.find(cut), std::string::npos) << message;
  LlamaFileReader salvage(cut, /*allow_truncated=*/true);
  EXPECT_EQ(salvage.RowCount(), 100u);
  EXPECT_EQ(salvage.ExpectedRowCount(), 252u);
  std::vector<uint16_t> row(salvage.RowWords());
  salvage.ReadRow(99, row);
  EXPECT_EQ(std::memcmp(raw.data() + data + 99 * 64008, row.data(), 64008), 0);
  EXPECT_THROW(salvage.ReadRow(100, row), Error);
  // Targets of the missing rows are still known from the tokens.
  EXPECT_EQ(salvage.TargetToken(251), salvage.Tokens()[511]);
  std::remove(cut.c_str());
}

// ---- Hand-built files ------------------------------------------------------

TEST(LlamaFile, SmallFileRowsAndPaddingWord) {
  const std::string path = WriteTemp("small.logits", SmallFile());
  LlamaFileReader reader(path);
  EXPECT_EQ(reader.RowWords(), kSmallRowWords);
  EXPECT_EQ(reader.RowCount(), kSmallRows);
  // n_ctx 8: positions 4..6 predict tokens 5..7 of each chunk (k % 5).
  EXPECT_EQ(reader.TargetToken(0), 0);  // token 5
  EXPECT_EQ(reader.TargetToken(2), 2);  // token 7
  EXPECT_EQ(reader.TargetToken(3), 3);  // token 13
  std::vector<uint16_t> row(kSmallRowWords);
  reader.ReadRow(7, row);
  for (size_t w = 0; w < kSmallRowWords; ++w) EXPECT_EQ(row[w], 700 + w);
  // The odd-vocab padding word (709) survives a round trip.
  const std::string out = TempPath("small_copy.logits");
  Copy(reader, out);
  EXPECT_EQ(ReadAll(out), SmallFile());
  std::remove(out.c_str());
  std::remove(path.c_str());
}

TEST(LlamaFile, TruncationPointsGiveStatusAndRowCounts) {
  const Bytes full = SmallFile();
  const size_t row_bytes = kSmallRowWords * 2;
  struct Case {
    size_t size;
    kldkit_status status;                // without allow_truncated
    kldkit_status salvage_status;        // with allow_truncated
    uint64_t salvage_rows;
    const char* message;
  };
  const Case cases[] = {
      {0, KLDKIT_ERROR_TRUNCATED, KLDKIT_ERROR_TRUNCATED, 0, "header"},
      {5, KLDKIT_ERROR_TRUNCATED, KLDKIT_ERROR_TRUNCATED, 0, "header"},
      {19, KLDKIT_ERROR_TRUNCATED, KLDKIT_ERROR_TRUNCATED, 0, "header"},
      {20, KLDKIT_ERROR_TRUNCATED, KLDKIT_ERROR_TRUNCATED, 0, "0 of 9 rows"},
      {20 + 4 * 11 + 2, KLDKIT_ERROR_TRUNCATED, KLDKIT_ERROR_TRUNCATED, 0,
       "token list (0 of 9 rows"},
      {kSmallDataOffset, KLDKIT_ERROR_TRUNCATED, KLDKIT_OK, 0, "0 of 9 rows"},
      {kSmallDataOffset + 7, KLDKIT_ERROR_TRUNCATED, KLDKIT_OK, 0,
       "0 of 9 rows complete plus 7 bytes"},
      {kSmallDataOffset + 3 * row_bytes, KLDKIT_ERROR_TRUNCATED, KLDKIT_OK, 3,
       "3 of 9 rows complete"},
      {kSmallDataOffset + 8 * row_bytes + 19, KLDKIT_ERROR_TRUNCATED,
       KLDKIT_OK, 8, "8 of 9 rows complete plus 19 bytes"},
      {full.size(), KLDKIT_OK, KLDKIT_OK, 9, ""},
  };
  for (const Case& c : cases) {
    const std::string path =
        WriteTemp("trunc.logits", Bytes(full.begin(), full.begin() + c.size));
    std::string message;
    EXPECT_EQ(OpenStatus(path, false, &message), c.status) << c.size;
    EXPECT_NE(message.find(c.message), std::string::npos)
        << c.size << ": " << message;
    EXPECT_EQ(OpenStatus(path, true), c.salvage_status) << c.size;
    if (c.salvage_status == KLDKIT_OK) {
      LlamaFileReader reader(path, true);
      EXPECT_EQ(reader.RowCount(), c.salvage_rows) << c.size;
      EXPECT_EQ(reader.ExpectedRowCount(), 9u);
    }
    std::remove(path.c_str());
  }
}

TEST(LlamaFile, BadMagicIsFormat) {
  Bytes b = SmallFile();
  b[1] = 'L';
  const std::string path = WriteTemp("magic.logits", b);
  EXPECT_EQ(OpenStatus(path, false), KLDKIT_ERROR_FORMAT);
  EXPECT_EQ(OpenStatus(path, true), KLDKIT_ERROR_FORMAT);
  // A short file whose bytes are not a magic prefix is not "truncated".
  const std::string short_path = WriteTemp("magic_short.logits", Bytes{'P', 'K'});
  EXPECT_EQ(OpenStatus(short_path, false), KLDKIT_ERROR_FORMAT);
  std::remove(path.c_str());
  std::remove(short_path.c_str());
}

TEST(LlamaFile, HostileHeadersAreFormat) {
  struct Case {
    uint32_t n_ctx;
    int32_t n_vocab;
    int32_t n_chunk;
    const char* field;
  };
  const Case cases[] = {
      {0, 5, 3, "n_ctx"},          {2, 5, 3, "n_ctx"},
      {0x80000000u, 5, 3, "n_ctx"}, {0xffffffffu, 5, 3, "n_ctx"},
      {(1u << 24) + 1, 5, 3, "n_ctx"},
      {8, 0, 3, "n_vocab"},        {8, -5, 3, "n_vocab"},
      {8, (1 << 24) + 1, 3, "n_vocab"}, {8, INT32_MAX, 3, "n_vocab"},
      {8, 5, 0, "n_chunk"},        {8, 5, -1, "n_chunk"},
      {8, 5, INT32_MIN, "n_chunk"},
  };
  for (const Case& c : cases) {
    const std::string path =
        WriteTemp("hostile.logits", SmallFile(c.n_ctx, c.n_vocab, c.n_chunk));
    std::string message;
    EXPECT_EQ(OpenStatus(path, true, &message), KLDKIT_ERROR_FORMAT)
        << c.n_ctx << " " << c.n_vocab << " " << c.n_chunk;
    EXPECT_NE(message.find(c.field), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    std::remove(path.c_str());
  }
}

TEST(LlamaFile, HugeInLimitHeaderIsRejectedBeforeAllocating) {
  // 2^24 * (2^31 - 1) tokens would be 2^57 bytes: the file size decides.
  const std::string path = WriteTemp(
      "huge.logits", SmallFile(1u << 24, 1 << 24, INT32_MAX));
  std::string message;
  EXPECT_EQ(OpenStatus(path, true, &message), KLDKIT_ERROR_TRUNCATED);
  EXPECT_NE(message.find("token list"), std::string::npos) << message;
  std::remove(path.c_str());
}

TEST(LlamaFile, SizeMismatchesAreFormat) {
  // Fewer chunks than the data holds: trailing bytes.
  const std::string trailing = WriteTemp("trailing.logits", SmallFile(8, 5, 2));
  std::string message;
  // n_chunk 2: 16 tokens, 6 rows; the file holds 8 more tokens and 9 rows.
  EXPECT_EQ(OpenStatus(trailing, true, &message), KLDKIT_ERROR_FORMAT);
  EXPECT_NE(message.find("unexpected bytes"), std::string::npos) << message;
  Bytes b = SmallFile();
  b.push_back(0);
  const std::string extra = WriteTemp("extra.logits", b);
  EXPECT_EQ(OpenStatus(extra, false, &message), KLDKIT_ERROR_FORMAT);
  EXPECT_NE(message.find("1 unexpected bytes"), std::string::npos) << message;
  std::remove(trailing.c_str());
  std::remove(extra.c_str());
}

TEST(LlamaFile, TokenOutsideVocabularyIsFormat) {
  Bytes b = SmallFile();
  const int32_t bad = 5;  // n_vocab is 5
  std::memcpy(b.data() + 20 + 4 * 17, &bad, 4);
  const std::string path = WriteTemp("token.logits", b);
  std::string message;
  EXPECT_EQ(OpenStatus(path, false, &message), KLDKIT_ERROR_FORMAT);
  EXPECT_NE(message.find("token 17 is 5"), std::string::npos) << message;
  std::remove(path.c_str());
}

TEST(LlamaFile, EveryPrefixAndHeaderByteFlipFailsCleanly) {
  const Bytes full = SmallFile();
  for (size_t n = 0; n < full.size(); ++n) {
    const std::string path =
        WriteTemp("prefix.logits", Bytes(full.begin(), full.begin() + n));
    EXPECT_EQ(OpenStatus(path, false), KLDKIT_ERROR_TRUNCATED) << n;
    std::remove(path.c_str());
  }
  // Every flip in the header and tokens breaks the magic, a limit, the
  // size equation or a token's range: a clean error, never a crash. With
  // allow_truncated a flip may instead leave a readable salvage.
  for (size_t i = 0; i < kSmallDataOffset; ++i) {
    Bytes b = full;
    b[i] = static_cast<char>(b[i] ^ 0x41);
    const std::string path = WriteTemp("flip.logits", b);
    const kldkit_status s = OpenStatus(path, false);
    EXPECT_TRUE(s == KLDKIT_ERROR_FORMAT || s == KLDKIT_ERROR_TRUNCATED)
        << i << ": " << s;
    const kldkit_status salvage = OpenStatus(path, true);
    EXPECT_TRUE(salvage == KLDKIT_OK || salvage == s) << i;
    std::remove(path.c_str());
  }
}

TEST(LlamaFile, MissingFileAndDirectoryAreIo) {
  EXPECT_EQ(OpenStatus(TempPath("does_not_exist.logits"), false),
            KLDKIT_ERROR_IO);
  EXPECT_EQ(OpenStatus(::testing::TempDir(), false), KLDKIT_ERROR_IO);
}

TEST(LlamaFile, ReadRowRejectsBadArguments) {
  const std::string path = WriteTemp("args.logits", SmallFile());
  LlamaFileReader reader(path);
  std::vector<uint16_t> row(kSmallRowWords);
  std::vector<uint16_t> small(kSmallRowWords - 1);
  EXPECT_THROW(reader.ReadRow(9, row), Error);
  EXPECT_THROW(reader.ReadRow(0, small), Error);
  try {
    reader.ReadRow(0, small);
  } catch (const Error& e) {
    EXPECT_EQ(e.Status(), KLDKIT_ERROR_INVALID_ARGUMENT);
  }
  std::remove(path.c_str());
}

// ---- Writer ----------------------------------------------------------------

LlamaFileHeader SmallHeader() {
  LlamaFileHeader h;
  h.n_ctx = kSmallCtx;
  h.n_vocab = kSmallVocab;
  h.n_chunk = kSmallChunks;
  return h;
}

std::vector<int32_t> SmallTokens() {
  std::vector<int32_t> t(24);
  for (int32_t k = 0; k < 24; ++k) t[static_cast<size_t>(k)] = k % 5;
  return t;
}

kldkit_status WriterStatus(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.Status();
  }
  return KLDKIT_OK;
}

TEST(LlamaFileWriter, RejectsBadArguments) {
  const std::string path = TempPath("w_args.logits");
  const auto tokens = SmallTokens();
  EXPECT_EQ(WriterStatus([&] {
              LlamaFileWriter w(path, SmallHeader(),
                                gsl::span<const int32_t>(tokens).first(23));
            }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  LlamaFileHeader bad = SmallHeader();
  bad.n_vocab = 0;
  EXPECT_EQ(WriterStatus([&] { LlamaFileWriter w(path, bad, tokens); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  auto bad_tokens = tokens;
  bad_tokens[3] = -1;
  EXPECT_EQ(WriterStatus(
                [&] { LlamaFileWriter w(path, SmallHeader(), bad_tokens); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  LlamaFileWriter w(path, SmallHeader(), tokens);
  std::vector<uint16_t> row(kSmallRowWords + 1);
  EXPECT_EQ(WriterStatus([&] { w.AppendRow(row); }),
            KLDKIT_ERROR_INVALID_ARGUMENT);
  EXPECT_FALSE(Exists(path));
}

TEST(LlamaFileWriter, RowCountMustMatch) {
  const std::string path = TempPath("w_count.logits");
  std::vector<uint16_t> row(kSmallRowWords, 1);
  {
    LlamaFileWriter w(path, SmallHeader(), SmallTokens());
    for (int r = 0; r < 8; ++r) w.AppendRow(row);
    EXPECT_EQ(WriterStatus([&] { w.Close(); }), KLDKIT_ERROR_MISMATCH);
    EXPECT_FALSE(Exists(path));
    w.AppendRow(row);
    EXPECT_EQ(WriterStatus([&] { w.AppendRow(row); }), KLDKIT_ERROR_MISMATCH);
    w.Close();
    EXPECT_EQ(WriterStatus([&] { w.AppendRow(row); }), KLDKIT_ERROR_CLOSED);
  }
  EXPECT_TRUE(Exists(path));
  LlamaFileReader reader(path);
  EXPECT_EQ(reader.RowCount(), 9u);
  std::remove(path.c_str());
}

TEST(LlamaFileWriter, DestructorWithoutCloseRemovesTemporary) {
  const std::string path = TempPath("w_abandon.logits");
  {
    LlamaFileWriter w(path, SmallHeader(), SmallTokens());
    w.AppendRow(std::vector<uint16_t>(kSmallRowWords));
    EXPECT_TRUE(Exists(path + ".tmp"));
    EXPECT_FALSE(Exists(path));
  }
  EXPECT_FALSE(Exists(path + ".tmp"));
  EXPECT_FALSE(Exists(path));
}

TEST(LlamaFileWriter, UncreatableFileIsIo) {
  EXPECT_EQ(WriterStatus([&] {
              LlamaFileWriter w("/nonexistent-dir/x.logits", SmallHeader(),
                                SmallTokens());
            }),
            KLDKIT_ERROR_IO);
}

// Write hooks: at most 7 bytes per call; or ENOSPC once 100 bytes are in.
ssize_t ShortWrite(int fd, const void* buf, size_t n) {
  return ::write(fd, buf, n < 7 ? n : 7);
}
size_t g_budget = 0;
ssize_t FullDisk(int fd, const void* buf, size_t n) {
  if (g_budget == 0) {
    errno = ENOSPC;
    return -1;
  }
  const size_t put = n < g_budget ? n : g_budget;
  g_budget -= put;
  return ::write(fd, buf, put);
}

struct HookGuard {
  explicit HookGuard(detail::WriteFunction fn) {
    detail::SetWriteFunctionForTest(fn);
  }
  ~HookGuard() { detail::SetWriteFunctionForTest(nullptr); }
};

TEST(LlamaFileWriter, ShortWritesAreCompleted) {
  const std::string in = WriteTemp("w_short_in.logits", SmallFile());
  const std::string out = TempPath("w_short.logits");
  {
    HookGuard hook(&ShortWrite);
    Copy(LlamaFileReader(in), out);
  }
  EXPECT_EQ(ReadAll(out), SmallFile());
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST(LlamaFileWriter, NoSpaceIsIoAndLeavesNothing) {
  const std::string in = WriteTemp("w_full_in.logits", SmallFile());
  const std::string out = TempPath("w_full.logits");
  {
    HookGuard hook(&FullDisk);
    g_budget = 150;  // header + tokens (116) fit, the second row does not
    std::string message;
    try {
      Copy(LlamaFileReader(in), out);
      FAIL() << "no error on a full disk";
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), KLDKIT_ERROR_IO);
      message = e.what();
    }
    EXPECT_NE(message.find("No space left"), std::string::npos) << message;
    EXPECT_NE(message.find(out + ".tmp"), std::string::npos) << message;
  }
  EXPECT_FALSE(Exists(out + ".tmp"));
  EXPECT_FALSE(Exists(out));
  std::remove(in.c_str());
}

TEST(LlamaFileWriter, FileSizeLimitIsIo) {
  // A real kernel refusal: RLIMIT_FSIZE makes write() fail with EFBIG.
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 150;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const std::string out = TempPath("w_fsize.logits");
  const kldkit_status status = WriterStatus([&] {
    LlamaFileWriter w(out, SmallHeader(), SmallTokens());
    for (int r = 0; r < 9; ++r) w.AppendRow(std::vector<uint16_t>(10));
    w.Close();
  });
  setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(status, KLDKIT_ERROR_IO);
  EXPECT_FALSE(Exists(out + ".tmp"));
  EXPECT_FALSE(Exists(out));
}

}  // namespace
}  // namespace kldkit
