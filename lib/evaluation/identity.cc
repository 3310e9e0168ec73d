#include "lib/evaluation/identity.h"

#include "lib/common/bytes.h"
#include "lib/storage/checksum.h"

namespace kldkit {
namespace detail {

uint64_t EvaluationIdentity(const TokenLayout& layout) {
  ByteWriter w;
  w.U32(layout.n_ctx);
  for (const int32_t t : layout.tokens) w.I32(t);
  return Checksum64(w.Bytes().data(), w.Size());
}

uint32_t EvaluationChunks(const Evaluation& e) {
  const uint64_t per_chunk = e.layout.RowsPerChunk();
  return static_cast<uint32_t>(
      per_chunk ? (e.total_rows + per_chunk - 1) / per_chunk : 0);
}

}  // namespace detail
}  // namespace kldkit
