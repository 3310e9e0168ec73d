// Fuzz target: the token file reader (LoadTokenFile, docs/token-file.md)
// on hostile files.
//
// Input layout: one control byte, then the file. Control bit 0 asks the
// harness to rewrite every CRC-32C it can locate (each block's, walking the
// chain as the reader does, and the trailer's), so mutations get past the
// checksums to the block chain, zstd and the trailer's fields; bit 1 writes
// what was read to a scratch file with TokenFileWriter and reads it back.
//
// Invariants: every failure is a kldkit::Error; a file that loads has an
// info that passes the reader's own checks, every column holds
// info.SavedRows() rows (the measures MeasureValueCount values each), every
// row's Result() can be built, and writing it again gives the same info and
// rows bit for bit.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/token_file.hpp"
#include "lib/evaluation/token_file_format.h"
#include "lib/metrics/crc32c.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using kldkit::TokenColumns;
using kldkit::TokenFile;
using kldkit::TokenFileInfo;
using kldkit::TokenResult;

enum Control : uint8_t {
  kRepairChecksums = 1 << 0,
  kRoundTrip = 1 << 1,
};

constexpr size_t kHeadBytes = 12;  // magic, u32 version
constexpr size_t kTailBytes = 16;  // u32 CRC, u32 size, end magic

uint32_t Get32(const std::vector<uint8_t>& f, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{f[at + i]} << (8 * i);
  return v;
}
void Put32(std::vector<uint8_t>* f, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*f)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t Crc(const std::vector<uint8_t>& f, size_t from, size_t n) {
  return kldkit::detail::Crc32c({f.data() + from, n});
}

// Rewrites the CRCs where the structure says they are; leaves anything it
// cannot place alone.
void Repair(std::vector<uint8_t>* file) {
  std::vector<uint8_t>& f = *file;
  size_t at = kHeadBytes;
  while (f.size() >= at + 12 && Get32(f, at) != 0) {
    const uint32_t packed = Get32(f, at + 4);
    if (f.size() - at - 12 < packed) break;
    Put32(&f, at + 8, Crc(f, at + 12, packed));
    at += 12 + size_t{packed};
  }
  if (f.size() < kHeadBytes + kTailBytes ||
      std::memcmp(f.data() + f.size() - 8, kldkit::detail::kTokenEndMagic,
                  8) != 0) {
    return;
  }
  const size_t tail = f.size() - kTailBytes;
  const uint32_t size = Get32(f, tail + 4);
  if (size <= tail) Put32(&f, tail, Crc(f, tail - size, size));
}

// What ReadTokenInfo promises of an info it returns.
void CheckInfo(const TokenFileInfo& info) {
  FUZZ_CHECK(static_cast<uint32_t>(info.mode) <=
             static_cast<uint32_t>(kldkit::CompareMode::kExact));
  FUZZ_CHECK(info.n_chunk > 0 && info.rows % info.n_chunk == 0);
  FUZZ_CHECK(info.chunks.begin < info.chunks.end &&
             info.chunks.end <= info.n_chunk);
  FUZZ_CHECK(info.SavedRows() <= info.rows);
  FUZZ_CHECK(std::isfinite(info.base_floor) && info.base_floor >= 0);
  FUZZ_CHECK(info.model.size() <= kldkit::detail::kTokenMaxLabel);
  bool measures_ok = true;
  try {
    kldkit::ValidateMeasures(info.measures, info.top_k);
  } catch (const kldkit::Error&) {
    measures_ok = false;
  }
  FUZZ_CHECK(measures_ok);
}

void CheckColumns(const TokenFile& f) {
  const uint64_t rows = f.info.SavedRows();
  const TokenColumns& c = f.tokens;
  FUZZ_CHECK(c.Rows() == rows);
  for (const std::vector<float>* v : {&c.nll, &c.nll_base, &c.p, &c.p_base,
                                      &c.dp}) {
    FUZZ_CHECK(v->size() == rows);
  }
  FUZZ_CHECK(c.flags.size() == rows);
  FUZZ_CHECK(c.measures.size() ==
             rows * kldkit::MeasureValueCount(f.info.measures));
  for (size_t i = 0; i < rows; ++i) {
    const TokenResult r = c.Result(i, f.info.measures);
    FUZZ_CHECK(r.measures.mask == (r.Valid() ? f.info.measures : 0));
  }
}

template <typename T>
bool SameBits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Rows written again read back the same (an invalid row's measures are
// not kept: Result() leaves them out).
void CheckRoundTrip(const TokenFile& f) {
  const std::string path = kldkit::fuzz::ScratchDir() + "/again.kldt";
  const size_t rows = f.tokens.Rows();
  std::vector<TokenResult> results(rows);
  for (size_t i = 0; i < rows; ++i) {
    results[i] = f.tokens.Result(i, f.info.measures);
  }
  {
    kldkit::TokenFileWriter w(path, f.info.measures);
    w.Add(results);
    w.Close(f.info);
  }
  const TokenFile g = kldkit::LoadTokenFile(path);
  std::remove(path.c_str());
  const TokenFileInfo& a = f.info;
  const TokenFileInfo& b = g.info;
  FUZZ_CHECK(a.identity == b.identity && a.n_ctx == b.n_ctx &&
             a.n_chunk == b.n_chunk && a.rows == b.rows &&
             a.n_vocab == b.n_vocab && a.mode == b.mode &&
             SameBits(a.base_floor, b.base_floor) &&
             a.chunks.begin == b.chunks.begin && a.chunks.end == b.chunks.end &&
             a.measures == b.measures && a.top_k == b.top_k &&
             a.model == b.model && a.model_bytes == b.model_bytes &&
             SameBits(a.bits_per_weight, b.bits_per_weight));
  FUZZ_CHECK(g.tokens.Rows() == rows);
  for (size_t i = 0; i < rows; ++i) {
    const TokenResult x = results[i];
    const TokenResult y = g.tokens.Result(i, b.measures);
    FUZZ_CHECK(SameBits(x.kld, y.kld) && SameBits(x.nll, y.nll) &&
               SameBits(x.nll_base, y.nll_base) && SameBits(x.p, y.p) &&
               SameBits(x.p_base, y.p_base) && SameBits(x.dp, y.dp) &&
               x.flags == y.flags && x.measures.mask == y.measures.mask);
    for (const kldkit::MeasureDescriptor& d : kldkit::MeasureTable()) {
      if ((x.measures.mask & kldkit::MeasureBit(d.id)) == 0) continue;
      for (int k = d.slot; k < d.slot + d.slots; ++k) {
        FUZZ_CHECK(SameBits(x.measures.v[k], y.measures.v[k]));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::vector<uint8_t> bytes(data + 1, data + size);
  if (control & kRepairChecksums) Repair(&bytes);
  const kldkit::fuzz::MemFile file(bytes.data(), bytes.size());

  TokenFile f;
  try {
    f = kldkit::LoadTokenFile(file.Path());
  } catch (const kldkit::Error&) {
    return 0;
  }
  CheckInfo(f.info);
  CheckColumns(f);
  if (control & kRoundTrip) CheckRoundTrip(f);
  return 0;
}
