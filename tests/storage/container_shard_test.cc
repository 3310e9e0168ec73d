// Shards (format 1.2) and ConcatShards: a shard reads on its own, pieces
// joined are byte-identical to the file written in one piece, and every
// disagreement between pieces is refused with nothing left behind.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "kldkit/container.hpp"
#include "lib/common/bytes.h"
#include "lib/storage/checksum.h"
#include "tests/fixtures.h"
#include "tests/temp_files.h"

namespace kldkit {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempPath("kldz_shard", name);
}

// A small evaluation: n_ctx 8 (3 rows per chunk), 5 chunks, n_vocab 37.
constexpr uint32_t kCtx = 8;
constexpr int32_t kChunks = 5;
constexpr int32_t kVocab = 37;

ContainerInfo SmallInfo() {
  ContainerInfo info;
  info.header = LlamaFileHeader{kCtx, kVocab, kChunks};
  for (uint32_t i = 0; i < kCtx * kChunks; ++i)
    info.tokens.push_back(static_cast<int32_t>((i * 7) % kVocab));
  info.metadata["model"] = "small";
  return info;
}

// Row `r` of the whole small run: varied codes, many zeros.
std::vector<uint16_t> SmallRow(uint64_t r) {
  std::vector<uint16_t> row(LlamaRowWords(kVocab));
  for (size_t i = 0; i < row.size(); ++i) {
    const uint64_t x = (r * 2654435761u + i * 40503u) % 977;
    row[i] = x < 400 ? 0 : static_cast<uint16_t>(x * 61);
  }
  return row;
}

// Chunks [first, end) of the small run; a shard unless it is all of it.
void WriteSmall(const std::string& path, uint32_t first, uint32_t end,
                ContainerOptions o, ContainerInfo info = SmallInfo()) {
  info.shard = first != 0 || end != uint32_t(kChunks);
  info.first_chunk = info.shard ? first : 0;
  ContainerWriter w(path, info, o);
  for (uint64_t r = first * RowsPerChunk(kCtx); r < end * RowsPerChunk(kCtx);
       ++r) {
    w.AppendRow(SmallRow(r));
  }
  w.Close();
}

kldkit_status ConcatStatus(const std::vector<std::string>& parts,
                           const std::string& out) {
  try {
    ConcatShards(parts, out);
    return KLDKIT_OK;
  } catch (const Error& e) {
    return e.Status();
  }
}

TEST(ContainerShard, ShardReadsOnItsOwn) {
  ContainerOptions o;
  o.rows_per_block = 4;
  const std::string path = TempPath("reads.kldz");
  WriteSmall(path, 1, 4, o);  // rows 3..11: blocks [3,4) [4,8) [8,12)
  ContainerReader r(path);
  EXPECT_TRUE(r.Info().shard);
  EXPECT_EQ(r.Info().first_chunk, 1u);
  EXPECT_EQ(r.Tokens().size(), kCtx * kChunks);  // the whole run's
  EXPECT_EQ(r.RowCount(), 9u);
  EXPECT_EQ(r.BlockCount(), 3u);
  EXPECT_EQ(r.Metadata().at("level"), "1");
  std::vector<uint16_t> row(r.RowWords());
  for (uint64_t i : {8u, 0u, 5u, 1u}) {  // random access across blocks
    r.ReadRow(i, row);
    EXPECT_EQ(row, SmallRow(3 + i)) << i;
  }
  auto cursor = r.Rows(2, 3);
  for (uint64_t i = 2; cursor.Next(row); ++i) EXPECT_EQ(row, SmallRow(3 + i));
  EXPECT_EQ(Verify(path, 2), 9u);
  // Version 1.2, flag bit 1, first_chunk at byte 52.
  const std::string bytes = testing::ReadFileBytes(path);
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  EXPECT_EQ(detail::GetLE(b + 10, 2), 2u);
  EXPECT_EQ(detail::GetLE(b + 12, 4), 2u);
  EXPECT_EQ(detail::GetLE(b + 52, 4), 1u);
  std::remove(path.c_str());
}

TEST(ContainerShard, NonShardFilesStayVersion10) {
  const std::string path = TempPath("whole.kldz");
  WriteSmall(path, 0, kChunks, ContainerOptions());
  const std::string bytes = testing::ReadFileBytes(path);
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  EXPECT_EQ(detail::GetLE(b + 10, 2), 0u);
  EXPECT_EQ(detail::GetLE(b + 12, 4), 0u);
  EXPECT_EQ(detail::GetLE(b + 52, 4), 0u);
  EXPECT_FALSE(ContainerReader(path).Info().shard);
  std::remove(path.c_str());
}

TEST(ContainerShard, ShardIsFullyChecked) {
  ContainerOptions o;
  o.rows_per_block = 4;
  const std::string path = TempPath("damaged.kldz");
  const std::string bad = TempPath("damaged2.kldz");
  WriteSmall(path, 1, 4, o);
  const std::string good = testing::ReadFileBytes(path);
  const auto status = [&](const std::string& bytes) {
    testing::WriteFileBytes(bad, bytes);
    try {
      Verify(bad);
      return KLDKIT_OK;
    } catch (const Error& e) {
      return e.Status();
    }
  };
  EXPECT_EQ(status(good.substr(0, good.size() - 1)), KLDKIT_ERROR_TRUNCATED);
  std::string flipped = good;
  flipped[flipped.size() - 200] ^= 0x10;  // inside the last block
  EXPECT_NE(status(flipped), KLDKIT_OK);
  // Rewritten with a valid header checksum: the shard flag in a 1.1 file,
  // and a first_chunk at or past n_chunk, are format errors.
  const uint64_t header_size =
      detail::GetLE(reinterpret_cast<const uint8_t*>(good.data()) + 16, 8);
  const auto resum = [&](std::string s) {
    const uint64_t sum = detail::Checksum64(s.data(), header_size - 8);
    for (int i = 0; i < 8; ++i)
      s[header_size - 8 + i] = static_cast<char>(sum >> (8 * i));
    return s;
  };
  std::string minor1 = good;
  minor1[10] = 1;
  EXPECT_EQ(status(resum(minor1)), KLDKIT_ERROR_FORMAT);
  std::string past = good;
  past[52] = static_cast<char>(kChunks);
  EXPECT_EQ(status(resum(past)), KLDKIT_ERROR_FORMAT);
  std::string unflagged = good;
  unflagged[12] = 0;  // first_chunk 2 without the flag: a reserved field
  EXPECT_EQ(status(resum(unflagged)), KLDKIT_ERROR_FORMAT);
  // Recover keeps a shard's short first block.
  // Seek table (24 + 3 * 16) and end marker (40) gone, and the last byte
  // of the last block.
  testing::WriteFileBytes(bad, good.substr(0, good.size() - 113));
  const std::string recovered = TempPath("recovered.kldz");
  EXPECT_EQ(Recover(bad, recovered), 5u);  // blocks of 1, 4, 4 rows; 1 lost
  EXPECT_TRUE(ContainerReader(recovered).Info().shard);
  for (const auto& p : {path, bad, recovered}) std::remove(p.c_str());
}

// Every way to cut the small run in two or three, at block sizes that do
// and do not divide a chunk, keep-kld too: the join is the one-piece file.
TEST(ContainerShard, ConcatIsByteIdenticalToOnePiece) {
  const std::string whole = TempPath("one.kldz"), out = TempPath("out.kldz");
  for (uint32_t rpb : {1u, 2u, 3u, 4u, 7u, 64u}) {
    for (KeepProfile keep : {KeepProfile::kAll, KeepProfile::kKld}) {
      ContainerOptions o;
      o.rows_per_block = rpb;
      o.keep = keep;
      o.level = 3;
      WriteSmall(whole, 0, kChunks, o);
      const std::string expected = testing::ReadFileBytes(whole);
      for (uint32_t a = 1; a < uint32_t(kChunks); ++a) {
        for (uint32_t b = a; b < uint32_t(kChunks); ++b) {
          std::vector<uint32_t> cuts = {0, a, b, uint32_t(kChunks)};
          if (a == b) cuts.erase(cuts.begin() + 1);
          std::vector<std::string> parts;
          for (size_t i = 0; i + 1 < cuts.size(); ++i) {
            parts.push_back(TempPath("p" + std::to_string(i) + ".kldz"));
            WriteSmall(parts.back(), cuts[i], cuts[i + 1], o);
          }
          std::swap(parts.front(), parts.back());  // any order
          EXPECT_EQ(ConcatShards(parts, out), 15u);
          EXPECT_TRUE(testing::ReadFileBytes(out) == expected)
              << "rpb " << rpb << " cuts " << a << "," << b;
          for (const auto& p : parts) std::remove(p.c_str());
        }
      }
    }
  }
  std::remove(whole.c_str());
  std::remove(out.c_str());
}

TEST(ContainerShard, PartialJoinIsTheShardOfItsRange) {
  ContainerOptions o;
  o.rows_per_block = 4;
  const std::string a = TempPath("a.kldz"), b = TempPath("b.kldz"),
                    direct = TempPath("direct.kldz"), out = TempPath("j.kldz");
  WriteSmall(a, 1, 2, o);
  WriteSmall(b, 2, 4, o);
  WriteSmall(direct, 1, 4, o);
  EXPECT_EQ(ConcatShards({a, b}, out), 9u);
  EXPECT_TRUE(ContainerReader(out).Info().shard);
  EXPECT_TRUE(testing::ReadFileBytes(out) == testing::ReadFileBytes(direct));
  for (const auto& p : {a, b, direct, out}) std::remove(p.c_str());
}

TEST(ContainerShard, DisagreementsAreRefusedAndLeaveNothing) {
  ContainerOptions o;
  o.rows_per_block = 4;
  const std::string a = TempPath("ra.kldz"), b = TempPath("rb.kldz"),
                    out = TempPath("refused.kldz");
  WriteSmall(a, 0, 2, o);
  const auto refused = [&](const std::string& why) {
    EXPECT_EQ(ConcatStatus({a, b}, out), KLDKIT_ERROR_MISMATCH) << why;
    EXPECT_FALSE(testing::FileExists(out)) << why;
    EXPECT_FALSE(testing::FileExists(out + ".tmp")) << why;
  };
  WriteSmall(b, 1, 5, o);
  refused("overlap");
  WriteSmall(b, 3, 5, o);
  refused("gap");
  ContainerOptions other = o;
  other.rows_per_block = 5;
  WriteSmall(b, 2, 5, other);
  refused("rows_per_block");
  other = o;
  other.level = 2;
  WriteSmall(b, 2, 5, other);
  refused("level");
  other = o;
  other.keep = KeepProfile::kKld;
  WriteSmall(b, 2, 5, other);
  refused("keep profile");
  other = o;
  other.floor = 24;
  WriteSmall(b, 2, 5, other);
  refused("floor");
  ContainerInfo info = SmallInfo();
  info.tokens[3] += 1;
  WriteSmall(b, 2, 5, o, info);
  refused("tokens");
  info = SmallInfo();
  info.header.n_ctx = 4;
  info.tokens.resize(4 * kChunks);
  {
    info.shard = true;
    info.first_chunk = 2;
    ContainerWriter w(b, info, o);
    w.AppendRow(SmallRow(0));
    w.Close();
  }
  refused("n_ctx");
  info = SmallInfo();
  info.header.n_vocab = kVocab + 2;
  info.shard = true;
  info.first_chunk = 2;
  {
    ContainerWriter w(b, info, o);
    std::vector<uint16_t> row(LlamaRowWords(kVocab + 2));
    for (int i = 0; i < 9; ++i) w.AppendRow(row);
    w.Close();
  }
  refused("vocabulary");
  WriteSmall(b, 2, 5, o);
  EXPECT_EQ(ConcatStatus({a, b}, out), KLDKIT_OK);  // and the good pair joins
  for (const auto& p : {a, b, out}) std::remove(p.c_str());
}

// The real fixture: pieces cut at chunk seams that fall inside blocks of
// the default size (65 rows) and of 16, 21 (a chunk is 3 blocks) and 100.
TEST(ContainerShard, FixtureConcatMatchesOnePieceImport) {
  KLDKIT_REQUIRE_FIXTURE(src, "v32k-c128x4-f16.logits");
  const std::string whole = TempPath("f16.kldz"), out = TempPath("f16j.kldz");
  const std::map<std::string, std::string> meta = {{"model", "tiny f16"}};
  const std::vector<std::vector<uint32_t>> splits = {
      {0, 2, 4}, {0, 1, 3, 4}, {0, 1, 2, 3, 4}};
  for (uint32_t rpb : {0u, 16u, 21u, 100u}) {
    ContainerOptions o;
    o.rows_per_block = rpb;
    o.threads = 2;
    ImportLlamaFile(src, whole, o, meta);
    const std::string expected = testing::ReadFileBytes(whole);
    for (const auto& cuts : splits) {
      if (rpb != 0 && rpb != 16 && cuts.size() != 4) continue;  // time
      std::vector<std::string> parts;
      for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        parts.push_back(TempPath("f" + std::to_string(i) + ".kldz"));
        EXPECT_EQ(WriteShard(src, parts.back(), cuts[i], cuts[i + 1], o, meta),
                  63u * (cuts[i + 1] - cuts[i]));
      }
      EXPECT_EQ(ConcatShards(parts, out), 252u);
      EXPECT_TRUE(testing::ReadFileBytes(out) == expected)
          << "rows_per_block " << rpb << ", " << cuts.size() - 1 << " parts";
      for (const auto& p : parts) std::remove(p.c_str());
    }
  }
  std::remove(whole.c_str());
  std::remove(out.c_str());
}

// A shard of the fixture exports as the llama.cpp file of its chunks, and
// a shard cut from a .kldz (or from a shard) equals one cut from the file.
TEST(ContainerShard, FixtureShardExportsItsChunks) {
  KLDKIT_REQUIRE_FIXTURE(src, "v32k-c128x4-f16.logits");
  const std::string shard = TempPath("s13.kldz"), back = TempPath("s13.logits"),
                    whole = TempPath("w.kldz"), again = TempPath("s13b.kldz"),
                    inner = TempPath("s2.kldz"), inner2 = TempPath("s2b.kldz");
  ContainerOptions o;
  o.threads = 2;
  EXPECT_EQ(WriteShard(src, shard, 1, 3, o), 126u);
  EXPECT_EQ(Verify(shard, 2), 126u);
  EXPECT_EQ(ExportLlamaFile(shard, back, 2), 126u);
  LlamaFileReader full(src), part(back);
  EXPECT_EQ(part.Header().n_chunk, 2);
  ASSERT_EQ(part.Tokens().size(), 256u);
  for (size_t i = 0; i < 256; ++i)
    ASSERT_EQ(part.Tokens()[i], full.Tokens()[128 + i]);
  std::vector<uint16_t> x(full.RowWords()), y(full.RowWords());
  for (uint64_t r = 0; r < 126; ++r) {
    full.ReadRow(63 + r, x);
    part.ReadRow(r, y);
    ASSERT_EQ(x, y) << r;
  }
  ImportLlamaFile(src, whole, o);
  EXPECT_EQ(WriteShard(whole, again, 1, 3, o), 126u);
  EXPECT_TRUE(testing::ReadFileBytes(again) == testing::ReadFileBytes(shard));
  EXPECT_EQ(WriteShard(shard, inner, 2, 3, o), 63u);
  EXPECT_EQ(WriteShard(src, inner2, 2, 3, o), 63u);
  EXPECT_TRUE(testing::ReadFileBytes(inner) == testing::ReadFileBytes(inner2));
  EXPECT_THROW(WriteShard(shard, inner, 0, 2, o), Error);  // not in it
  EXPECT_THROW(WriteShard(src, inner, 3, 3, o), Error);    // empty
  EXPECT_THROW(WriteShard(src, inner, 3, 5, o), Error);    // past n_chunk
  for (const auto& p : {shard, back, whole, again, inner, inner2})
    std::remove(p.c_str());
}

}  // namespace
}  // namespace kldkit
