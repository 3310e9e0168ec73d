// The whole chunks of a truncated llama.cpp file -> a new, valid file.
#include <vector>

#include "kldkit/convert.hpp"
#include "lib/common/error.h"

namespace kldkit {

SalvageResult SalvageLlamaFile(const std::string& in_path,
                               const std::string& out_path) {
  const LlamaFileReader in(in_path, /*allow_truncated=*/true);
  const LlamaFileHeader& h = in.Header();
  const uint64_t rows_per_chunk = RowsPerChunk(h.n_ctx);
  const uint64_t chunks = in.RowCount() / rows_per_chunk;
  if (chunks == 0) {
    detail::Throw(KLDKIT_ERROR_TRUNCATED,
                  in_path + ": no complete chunk to salvage (" +
                      std::to_string(in.RowCount()) + " rows, a chunk has " +
                      std::to_string(rows_per_chunk) + ")");
  }
  SalvageResult result;
  result.header = h;
  result.header.n_chunk = static_cast<int32_t>(chunks);
  result.rows_kept = chunks * rows_per_chunk;
  result.rows_dropped = in.RowCount() - result.rows_kept;
  LlamaFileWriter writer(out_path, result.header,
                         in.Tokens().first(chunks * h.n_ctx));
  std::vector<uint16_t> row(in.RowWords());
  for (uint64_t r = 0; r < result.rows_kept; ++r) {
    in.ReadRow(r, row);
    writer.AppendRow(row);
  }
  writer.Close();
  return result;
}

}  // namespace kldkit
