// TokenFileWriter and TokenFileSaver (include/kldkit/token_file.hpp): rows
// buffered one block at a time, each block byte-planed, zstd-compressed
// and checksummed; the info goes last, in the trailer, since a run knows
// its floor and identity only once it has started.
#include <zstd.h>

#include <cmath>
#include <string>

#include "kldkit/error.hpp"
#include "kldkit/token_file.hpp"
#include "lib/evaluation/identity.h"
#include "lib/evaluation/token_file_format.h"
#include "lib/metrics/crc32c.h"
#include "lib/storage/io_file.h"

namespace kldkit {

using detail::ByteWriter;

struct TokenFileWriter::Impl {
  Impl(const std::string& p, MeasureMask m)
      : path(p), file(p), measures(m), values(MeasureValueCount(m)) {}

  void Append(const TokenResult& r);
  void Flush();

  std::string path;
  detail::TempFileWriter file;
  MeasureMask measures;
  size_t values;  // measure values per row
  TokenColumns block;
  uint64_t rows = 0;
  std::vector<uint8_t> planes, packed;
};

void TokenFileWriter::Impl::Append(const TokenResult& r) {
  if (r.Valid() && r.measures.mask != measures) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                path + ": a result's measures differ from the file's");
  }
  block.kld.push_back(r.kld);
  block.nll.push_back(r.nll);
  block.nll_base.push_back(r.nll_base);
  block.p.push_back(r.p);
  block.p_base.push_back(r.p_base);
  block.dp.push_back(r.dp);
  block.flags.push_back(r.flags);
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((measures & MeasureBit(d.id)) == 0) continue;
    for (int k = 0; k < d.slots; ++k) {
      block.measures.push_back(r.Valid() ? r.measures.v[d.slot + k] : NAN);
    }
  }
  ++rows;
  if (block.Rows() == detail::kTokenBlockRows) Flush();
}

// One block: u32 rows, u32 compressed bytes, u32 CRC-32C of them, the
// zstd frame of the rows' planes.
void TokenFileWriter::Impl::Flush() {
  const size_t n = block.Rows();
  if (n == 0) return;
  planes.clear();
  detail::AppendTokenPlanes(block, values, 0, n, &planes);
  packed.resize(ZSTD_compressBound(planes.size()));
  const size_t size =
      ZSTD_compress(packed.data(), packed.size(), planes.data(), planes.size(),
                    3);
  if (ZSTD_isError(size)) {
    throw Error(KLDKIT_ERROR_IO, path + ": zstd: " + ZSTD_getErrorName(size));
  }
  ByteWriter head;
  head.U32(static_cast<uint32_t>(n));
  head.U32(static_cast<uint32_t>(size));
  head.U32(detail::Crc32c({packed.data(), size}));
  file.Write(head.Bytes().data(), head.Size());
  file.Write(packed.data(), size);
  block = TokenColumns();
}

TokenFileWriter::TokenFileWriter(const std::string& path, MeasureMask measures)
    : impl_(std::make_unique<Impl>(path, measures)) {
  ByteWriter head;
  for (const char c : detail::kTokenMagic) head.U8(static_cast<uint8_t>(c));
  head.U32(detail::kTokenVersion);  // u16 version, u16 flags (0)
  impl_->file.Write(head.Bytes().data(), head.Size());
}

TokenFileWriter::~TokenFileWriter() = default;

void TokenFileWriter::Add(gsl::span<const TokenResult> results) {
  for (const TokenResult& r : results) impl_->Append(r);
}

// After the blocks: u32 0 (no more rows), the info, u64 rows, u32 CRC-32C
// of the info and rows, u32 bytes of the info and rows, the end magic.
void TokenFileWriter::Close(const TokenFileInfo& info) {
  Impl& s = *impl_;
  if (s.rows != info.SavedRows() || info.measures != s.measures) {
    throw Error(KLDKIT_ERROR_INVALID_ARGUMENT,
                s.path + ": " + std::to_string(s.rows) + " rows written, " +
                    std::to_string(info.SavedRows()) +
                    " in the info's chunks (or other measures)");
  }
  s.Flush();
  ByteWriter trailer;
  detail::WriteTokenInfo(info, &trailer);
  trailer.U64(s.rows);
  ByteWriter tail;
  tail.U32(detail::Crc32c(trailer.Bytes()));
  tail.U32(static_cast<uint32_t>(trailer.Size()));
  for (const char c : detail::kTokenEndMagic) tail.U8(static_cast<uint8_t>(c));
  const uint8_t no_more_rows[4] = {0, 0, 0, 0};
  s.file.Write(no_more_rows, sizeof(no_more_rows));
  s.file.Write(trailer.Bytes().data(), trailer.Size());
  s.file.Write(tail.Bytes().data(), tail.Size());
  s.file.Commit();
}

bool TokenFileInfo::SameBase(const TokenFileInfo& o) const {
  return identity == o.identity && n_ctx == o.n_ctx && n_chunk == o.n_chunk &&
         rows == o.rows && n_vocab == o.n_vocab && mode == o.mode &&
         std::fabs(base_floor - o.base_floor) <= 1e-3;
}

TokenFileInfo MakeTokenFileInfo(const Evaluation& e,
                                const EvaluateOptions& options,
                                const std::string& model_path) {
  TokenFileInfo info;
  info.identity = detail::EvaluationIdentity(e.layout);
  info.n_ctx = e.layout.n_ctx;
  info.n_chunk = detail::EvaluationChunks(e);
  info.rows = e.total_rows;
  info.n_vocab = e.n_vocab;
  info.mode = options.mode;
  info.base_floor = e.base_floor;
  info.chunks = e.chunks;
  info.measures = options.accumulator.measures;
  info.top_k = options.accumulator.top_k;
  info.model = model_path.substr(model_path.find_last_of('/') + 1);
  return info;
}

TokenFileSaver::TokenFileSaver(const std::string& path, size_t model,
                               EvaluateOptions* options)
    : writer_(path, options->accumulator.measures), options_(options) {
  auto chained = options->on_tokens;
  options->on_tokens = [this, model, chained](
                           size_t m, uint64_t first,
                           gsl::span<const TokenResult> results,
                           gsl::span<const int32_t> targets,
                           const TokenLayout& layout) {
    if (chained) chained(m, first, results, targets, layout);
    if (m != model) return;
    if (next_row_ != kNoRow && first != next_row_) {
      throw Error(KLDKIT_ERROR_INTERNAL,
                  "token file: rows out of order (" + std::to_string(first) +
                      " after " + std::to_string(next_row_) + ")");
    }
    next_row_ = first + results.size();
    writer_.Add(results);
  };
}

void TokenFileSaver::Finish(const Evaluation& e, const std::string& model_path,
                            uint64_t model_bytes, double bits_per_weight) {
  TokenFileInfo info = MakeTokenFileInfo(e, *options_, model_path);
  info.model_bytes = model_bytes;
  info.bits_per_weight = bits_per_weight;
  writer_.Close(info);
}

}  // namespace kldkit
