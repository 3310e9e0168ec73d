// Buffers crossing the C ABI: bytes or text copied into a caller buffer
// after a size query, or into a buffer kldkit allocates (freed with
// kldkit_free), token-result arrays whose stride is the caller's
// struct_size, and row batches. Not installed.
#ifndef KLDKIT_CAPI_BUFFER_H_
#define KLDKIT_CAPI_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "kldkit.h"
#include "kldkit/batch.hpp"
#include "kldkit/kernels.hpp"

namespace kldkit {
namespace capi {

// Sets *size_out to n, then copies `data` into `out` unless this is a size
// query (out NULL, out_len 0). Throws INVALID_ARGUMENT for size_out NULL,
// out NULL with out_len > 0, or out_len < n (nothing is copied).
void CopyBytes(void* out, size_t out_len, size_t* size_out, const void* data,
               size_t n, const char* fn);

// CopyBytes of `text` and its terminating NUL.
void CopyText(char* out, size_t out_len, size_t* size_out,
              const std::string& text, const char* fn);

// A copy of `n` bytes in memory the caller frees with kldkit_free (malloc;
// at least one byte). Throws std::bad_alloc.
void* AllocCopy(const void* data, size_t n);
// `text` and its NUL in such memory.
char* AllocText(const std::string& text);

// The element size of a kldkit_token_result array: results[0].struct_size,
// which must cover `flags`. Throws INVALID_ARGUMENT otherwise.
size_t TokenResultStride(const kldkit_token_result* results, const char* fn);

// A kldkit_row_batch as a RowBatch; throws INVALID_ARGUMENT "fn: name ..."
// for NULL, an unknown row type, or what RowBatch::Strided refuses.
RowBatch ToBatch(const kldkit_row_batch* b, const char* fn, const char* name);

TokenResult FromC(const kldkit_token_result& c);
// Writes every field `stride` covers; struct_size becomes `stride`.
// The C view of a TokenResult (all fields of this version).
kldkit_token_result ToC(const TokenResult& r);
void ToC(const TokenResult& r, size_t stride, kldkit_token_result* out);

}  // namespace capi
}  // namespace kldkit

#endif  // KLDKIT_CAPI_BUFFER_H_
