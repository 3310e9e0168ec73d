// The token file's layout (docs/token-file.md), shared by its writer and
// reader. Not installed.
#ifndef KLDKIT_LIB_EVALUATION_TOKEN_FILE_FORMAT_H_
#define KLDKIT_LIB_EVALUATION_TOKEN_FILE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gsl/span>

#include "kldkit/token_file.hpp"
#include "lib/common/bytes.h"
#include "lib/storage/token_magic.h"

namespace kldkit {
namespace detail {

constexpr char kTokenEndMagic[8] = {'K', 'L', 'D', 'T', 'E', 'N', 'D', '1'};
constexpr uint16_t kTokenVersion = 1;
constexpr uint32_t kTokenBlockRows = 65536;
// A model label longer than this is a hostile trailer.
constexpr uint64_t kTokenMaxLabel = 4096;

// Bytes per row: kld 8, nll, nll_base, p, p_base, dp 4 each, flags 4, then
// 8 per measure value.
size_t TokenRowBytes(size_t measure_values);

// Rows [first, first + n) of `columns` as byte planes: each column's values
// little-endian, byte 0 of every value, then byte 1, ... (floats of one
// magnitude share their high bytes, which zstd then finds together).
void AppendTokenPlanes(const TokenColumns& columns, size_t measure_values,
                       size_t first, size_t n, std::vector<uint8_t>* out);
// The inverse: appends n rows decoded from `planes` (n * TokenRowBytes).
void ReadTokenPlanes(gsl::span<const uint8_t> planes, size_t measure_values,
                     size_t n, TokenColumns* columns);

// The trailer's fields, between the end marker and the trailer's CRC.
void WriteTokenInfo(const TokenFileInfo& info, ByteWriter* w);
TokenFileInfo ReadTokenInfo(ByteReader* r, const std::string& path);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_EVALUATION_TOKEN_FILE_FORMAT_H_
