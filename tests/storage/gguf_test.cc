// GGUF sizes (kldkit/gguf.hpp) on files written here from the public
// format (header, metadata, tensor infos, aligned data), and hostile ones.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kldkit/error.hpp"
#include "kldkit/gguf.hpp"
#include "tests/gguf_writer.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

using testing::MakeGguf;
using testing::GgufTensor;

kldkit_status StatusOf(const std::vector<uint8_t>& bytes) {
  try {
    ParseGgufSize(bytes);
    return KLDKIT_OK;
  } catch (const Error& e) {
    return e.Status();
  }
}

// Q4_0-like: 18 bytes per 32 weights (4.5 bpw); f32 norms.
const std::vector<GgufTensor> kModel = {
    {"blk.0.attn_q.weight", {256, 128}, 2, 256 * 128 / 32 * 18},
    {"blk.0.attn_norm.weight", {256}, 0, 256 * 4},
    {"output.weight", {256, 64}, 99, 256 * 64 / 32 * 18}};  // unknown type

TEST(Gguf, SizesAndBitsPerWeightOfAWrittenFile) {
  const std::vector<uint8_t> bytes = MakeGguf(kModel);
  const GgufSize s = ParseGgufSize(bytes);
  EXPECT_EQ(s.version, 3u);
  EXPECT_EQ(s.n_tensors, 3u);
  EXPECT_EQ(s.weights, 256u * 128 + 256 + 256 * 64);
  // 18432 + 1024 + 9216 bytes, each a multiple of 32: no padding.
  EXPECT_EQ(s.tensor_bytes, 18432u + 1024 + 9216);
  EXPECT_EQ(s.file_bytes, bytes.size());
  EXPECT_NEAR(s.BitsPerWeight(), 8.0 * 28672 / 49408, 1e-12);

  const std::string path = testing::TempPath("gguf", "model.gguf");
  testing::WriteFileBytes(path, std::string(bytes.begin(), bytes.end()));
  EXPECT_TRUE(IsGgufFile(path));
  EXPECT_EQ(ReadGgufSize(path).tensor_bytes, s.tensor_bytes);
  EXPECT_FALSE(IsGgufFile(path + ".missing"));
  std::remove(path.c_str());
}

TEST(Gguf, VersionTwoAndAWiderAlignment) {
  const GgufSize s = ParseGgufSize(MakeGguf(kModel, 64, 2));
  EXPECT_EQ(s.version, 2u);
  // 1024-byte norm and the others are multiples of 64: still exact.
  EXPECT_EQ(s.tensor_bytes, 18432u + 1024 + 9216);
}

TEST(Gguf, EveryTruncationIsRefused) {
  const std::vector<uint8_t> bytes = MakeGguf(kModel);
  // Up to the start of the last tensor's data every prefix is refused; past
  // it a shorter last tensor cannot be told from a truncated one.
  const size_t last_data = bytes.size() - 9216;
  for (size_t n = 0; n < last_data; ++n) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    const kldkit_status st = StatusOf(cut);
    EXPECT_TRUE(st == KLDKIT_ERROR_TRUNCATED || st == KLDKIT_ERROR_FORMAT)
        << n << ": " << st;
  }
}

TEST(Gguf, LyingHeadersAreRefusedWithoutAllocating) {
  std::vector<uint8_t> b = MakeGguf(kModel);
  const auto put64 = [&](size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); };
  put64(8, uint64_t{1} << 60);  // tensor count
  EXPECT_EQ(StatusOf(b), KLDKIT_ERROR_TRUNCATED);
  b = MakeGguf(kModel);
  put64(16, uint64_t{1} << 62);  // metadata count
  EXPECT_EQ(StatusOf(b), KLDKIT_ERROR_TRUNCATED);
  b = MakeGguf(kModel);
  put64(24, uint64_t{1} << 63);  // the first key's length
  EXPECT_EQ(StatusOf(b), KLDKIT_ERROR_TRUNCATED);
  // The string array's count (after its key, type, element type).
  b = MakeGguf(kModel);
  const std::string key = "tokenizer.ggml.tokens";
  const auto at = std::search(b.begin(), b.end(), key.begin(), key.end());
  put64(static_cast<size_t>(at - b.begin()) + key.size() + 8,
        uint64_t{1} << 61);
  EXPECT_EQ(StatusOf(b), KLDKIT_ERROR_TRUNCATED);
}

TEST(Gguf, MalformedFieldsAreFormatErrors) {
  std::vector<uint8_t> b = MakeGguf(kModel);
  b[0] = 'X';
  EXPECT_EQ(StatusOf(b), KLDKIT_ERROR_FORMAT);
  EXPECT_EQ(StatusOf(MakeGguf(kModel, 32, 1)), KLDKIT_ERROR_UNSUPPORTED);
  EXPECT_EQ(StatusOf(MakeGguf(kModel, 32, 4)), KLDKIT_ERROR_UNSUPPORTED);
  EXPECT_EQ(StatusOf(MakeGguf(kModel, 48)), KLDKIT_ERROR_FORMAT);  // not 2^k
  std::vector<GgufTensor> five = kModel;
  five[0].dims = {2, 2, 2, 2, 2};
  EXPECT_EQ(StatusOf(MakeGguf(five)), KLDKIT_ERROR_FORMAT);
  std::vector<GgufTensor> huge = kModel;
  huge[0].dims = {uint64_t{1} << 40, uint64_t{1} << 40};
  EXPECT_EQ(StatusOf(MakeGguf(huge)), KLDKIT_ERROR_FORMAT);  // overflow
}

}  // namespace
}  // namespace kldkit
