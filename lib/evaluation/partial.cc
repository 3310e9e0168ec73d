// Partial evaluations (include/kldkit/partial.hpp): the state file of
// docs/partial-state.md and the merge of chunk ranges.
#include "kldkit/partial.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "kldkit/error.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "lib/common/bytes.h"
#include "lib/common/error.h"
#include "lib/evaluation/identity.h"
#include "lib/metrics/crc32c.h"

namespace kldkit {

using detail::ByteReader;
using detail::ByteWriter;

namespace {

constexpr char kMagic[4] = {'K', 'L', 'D', 'P'};
constexpr uint16_t kVersion = 1;
// A label or a state longer than this is a hostile header, not a state.
constexpr uint64_t kMaxLabel = 4096;
constexpr uint32_t kMaxModels = 4096;

void CheckFormat(bool ok, const std::string& message) {
  if (!ok) throw Error(KLDKIT_ERROR_FORMAT, "partial state: " + message);
}

// Parts of one evaluation: everything but the range and the states agree.
void CheckSameEvaluation(const PartialEvaluation& a,
                         const PartialEvaluation& b) {
  const auto refuse = [&](const std::string& what) {
    throw Error(KLDKIT_ERROR_MISMATCH,
                "chunks " + ToString(b.chunks) + " and " + ToString(a.chunks) +
                    ": " + what + " differ (not parts of one evaluation)");
  };
  if (a.identity != b.identity || a.n_ctx != b.n_ctx ||
      a.n_chunk != b.n_chunk || a.rows != b.rows || a.n_vocab != b.n_vocab) {
    refuse("token ids, chunks, rows or vocabulary");
  }
  if (a.mode != b.mode) refuse("compare modes");
  if (a.models != b.models) refuse("model files");
  for (size_t m = 0; m < a.accumulators.size(); ++m) {
    const AccumulatorOptions& x = a.accumulators[m].Options();
    const AccumulatorOptions& y = b.accumulators[m].Options();
    if (x.percentiles != y.percentiles ||
        x.sketch_relative_accuracy != y.sketch_relative_accuracy ||
        x.measures != y.measures ||
        !std::equal(std::begin(x.top_k.k), std::end(x.top_k.k),
                    std::begin(y.top_k.k))) {
      refuse("accumulator options");
    }
  }
}

}  // namespace

PartialEvaluation MakePartial(const Evaluation& e, CompareMode mode,
                              const std::vector<std::string>& models) {
  if (models.size() != e.accumulators.size()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "one path per model");
  }
  PartialEvaluation p;
  p.identity = detail::EvaluationIdentity(e.layout);
  p.n_ctx = e.layout.n_ctx;
  p.n_vocab = e.n_vocab;
  p.mode = mode;
  p.chunks = e.chunks;
  for (const std::string& path : models) {
    p.models.push_back(path.substr(path.find_last_of('/') + 1));
  }
  p.accumulators = e.accumulators;
  p.rows = e.total_rows;
  p.n_chunk = detail::EvaluationChunks(e);
  return p;
}

std::vector<uint8_t> EncodePartial(const PartialEvaluation& p) {
  ByteWriter w;
  for (const char c : kMagic) w.U8(static_cast<uint8_t>(c));
  w.U32(kVersion);  // u16 version, u16 flags (0)
  w.U64(p.identity);
  w.U32(p.n_ctx);
  w.U32(p.n_chunk);
  w.U64(p.rows);
  w.U64(p.n_vocab);
  w.U32(static_cast<uint32_t>(p.mode));
  w.U32(p.chunks.begin);
  w.U32(p.chunks.end);
  w.U32(static_cast<uint32_t>(p.models.size()));
  for (size_t m = 0; m < p.models.size(); ++m) {
    w.U64(p.models[m].size());
    for (const char c : p.models[m]) w.U8(static_cast<uint8_t>(c));
    const std::vector<uint8_t> state = p.accumulators[m].Serialize();
    w.U64(state.size());
    for (const uint8_t b : state) w.U8(b);
  }
  w.U32(detail::Crc32c(w.Bytes()));
  return std::move(w.Bytes());
}

PartialEvaluation DecodePartial(gsl::span<const uint8_t> bytes) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    CheckFormat(bytes.size() < 4 ||
                    std::memcmp(bytes.data(), kMagic, 4) == 0,
                "not a kldkit partial state (bad magic)");
    throw Error(KLDKIT_ERROR_TRUNCATED, "partial state: truncated header");
  }
  ByteReader crc(bytes.last(std::min<size_t>(4, bytes.size())),
                 KLDKIT_ERROR_TRUNCATED, "partial state");
  if (crc.U32() != detail::Crc32c(bytes.first(bytes.size() - 4))) {
    throw Error(KLDKIT_ERROR_CHECKSUM,
                "partial state: checksum mismatch (truncated or damaged)");
  }
  ByteReader r(bytes.subspan(4, bytes.size() - 8), KLDKIT_ERROR_TRUNCATED,
               "partial state");
  const uint32_t version = r.U32();
  if (version != kVersion) {
    throw Error(KLDKIT_ERROR_UNSUPPORTED,
                "partial state version " + std::to_string(version & 0xFFFF) +
                    " (flags " + std::to_string(version >> 16) +
                    ") is not supported (this library reads 1)");
  }
  PartialEvaluation p;
  p.identity = r.U64();
  p.n_ctx = r.U32();
  p.n_chunk = r.U32();
  p.rows = r.U64();
  p.n_vocab = r.U64();
  const uint32_t mode = r.U32();
  CheckFormat(mode <= static_cast<uint32_t>(CompareMode::kExact),
              "unknown compare mode");
  p.mode = static_cast<CompareMode>(mode);
  p.chunks.begin = r.U32();
  p.chunks.end = r.U32();
  CheckFormat(p.chunks.begin <= p.chunks.end && p.chunks.end <= p.n_chunk,
              "chunk range " + ToString(p.chunks) + " is outside its " +
                  std::to_string(p.n_chunk) + " chunks");
  const uint32_t n_models = r.U32();
  CheckFormat(n_models >= 1 && n_models <= kMaxModels, "bad model count");
  for (uint32_t m = 0; m < n_models; ++m) {
    const uint64_t length = r.U64();
    CheckFormat(length <= kMaxLabel, "model label too long");
    const uint8_t* label = r.Take(length);
    p.models.emplace_back(reinterpret_cast<const char*>(label),
                          static_cast<size_t>(length));
    const uint64_t size = r.U64();
    CheckFormat(size <= r.Remaining(), "accumulator state past the end");
    const uint8_t* state = r.Take(size);
    p.accumulators.push_back(
        Accumulator::Deserialize({state, static_cast<size_t>(size)}));
  }
  CheckFormat(r.Remaining() == 0, "trailing bytes");
  // No more tokens than the range has rows: a hostile state must not count
  // twice what a merge would fold once per range.
  const uint64_t per_chunk = RowsPerChunk(p.n_ctx);
  const uint64_t range_rows =
      std::min<uint64_t>(p.rows, p.chunks.end * per_chunk) -
      std::min<uint64_t>(p.rows, p.chunks.begin * per_chunk);
  for (const Accumulator& a : p.accumulators) {
    CheckFormat(a.Count() <= range_rows &&
                    a.SkippedCount() <= range_rows - a.Count(),
                "more tokens than the chunk range has rows");
  }
  return p;
}

void SavePartial(const std::string& path, const PartialEvaluation& p) {
  const std::vector<uint8_t> bytes = EncodePartial(p);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(KLDKIT_ERROR_IO, path + ": cannot write the partial state");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(KLDKIT_ERROR_IO, path + ": cannot write the partial state");
  }
}

PartialEvaluation LoadPartial(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(KLDKIT_ERROR_IO, path + ": cannot open");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(KLDKIT_ERROR_IO, path + ": cannot read");
  PartialEvaluation p;
  detail::WithFile(path, [&] { p = DecodePartial(bytes); });
  return p;
}

PartialEvaluation MergePartialFiles(const std::vector<std::string>& paths) {
  std::vector<PartialEvaluation> parts;
  for (const std::string& path : paths) parts.push_back(LoadPartial(path));
  return MergePartials(std::move(parts));
}

PartialEvaluation MergePartials(std::vector<PartialEvaluation> parts) {
  if (parts.empty()) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT, "no partial state to merge");
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const PartialEvaluation& a, const PartialEvaluation& b) {
                     return a.chunks.begin < b.chunks.begin;
                   });
  PartialEvaluation out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const PartialEvaluation& p = parts[i];
    CheckSameEvaluation(out, p);
    if (p.chunks.begin != out.chunks.end) {
      throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                  "chunks " + ToString(out.chunks) + " and " + ToString(p.chunks) +
                      (p.chunks.begin < out.chunks.end ? " overlap"
                                                       : " leave a gap"));
    }
    for (size_t m = 0; m < out.accumulators.size(); ++m) {
      out.accumulators[m].Merge(p.accumulators[m]);
    }
    out.chunks.end = p.chunks.end;
  }
  return out;
}

}  // namespace kldkit
