// Variable-size outputs and token-result arrays of the C ABI.
#include "capi/buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "capi/guard.h"

namespace kldkit {
namespace capi {

void CopyBytes(void* out, size_t out_len, size_t* size_out, const void* data,
               size_t n, const char* fn) {
  Check(size_out != nullptr, fn, "size_out is NULL");
  *size_out = n;
  if (out == nullptr && out_len == 0) return;  // size query
  Check(out != nullptr, fn, "out is NULL but out_len is not 0");
  if (out_len < n) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": out_len " + std::to_string(out_len) +
                      " is smaller than the " + std::to_string(n) +
                      " bytes needed (see *size_out)");
  }
  if (n > 0) std::memcpy(out, data, n);
}

void CopyText(char* out, size_t out_len, size_t* size_out,
              const std::string& text, const char* fn) {
  CopyBytes(out, out_len, size_out, text.c_str(), text.size() + 1, fn);
}

void* AllocCopy(const void* data, size_t n) {
  void* buffer = std::malloc(n == 0 ? 1 : n);
  if (buffer == nullptr) throw std::bad_alloc();
  if (n != 0) std::memcpy(buffer, data, n);
  return buffer;
}

char* AllocText(const std::string& text) {
  return static_cast<char*>(AllocCopy(text.c_str(), text.size() + 1));
}

size_t TokenResultStride(const kldkit_token_result* results, const char* fn) {
  const size_t stride = results->struct_size;
  Check(stride >= offsetof(kldkit_token_result, flags) + sizeof(uint32_t) &&
            stride % alignof(kldkit_token_result) == 0,
        fn, "token results: struct_size must cover `flags` (use "
            "KLDKIT_TOKEN_RESULT_INIT) and keep the alignment");
  return stride;
}

// One list of the fields copied both ways keeps FromC and ToC in step.
#define KLDKIT_CAPI_TOKEN_FIELDS(X) \
  X(kld) X(nll) X(nll_base) X(p) X(p_base) X(dp) X(top) X(top_base) X(flags)

static_assert(KLDKIT_MEASURE_SLOTS == kMeasureSlots,
              "kldkit_token_result mirrors kldkit::TokenResult");

TokenResult FromC(const kldkit_token_result& c) {
  TokenResult r;
#define KLDKIT_CAPI_COPY(field) r.field = c.field;
  KLDKIT_CAPI_TOKEN_FIELDS(KLDKIT_CAPI_COPY)
#undef KLDKIT_CAPI_COPY
  if (KLDKIT_CAPI_COVERS(&c, kldkit_token_result, measures)) {
    r.measures.mask = c.measures_mask;
    std::copy(std::begin(c.measures), std::end(c.measures),
              std::begin(r.measures.v));
  }
  return r;
}

kldkit_token_result ToC(const TokenResult& r) {
  kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
#define KLDKIT_CAPI_COPY(field) c.field = r.field;
  KLDKIT_CAPI_TOKEN_FIELDS(KLDKIT_CAPI_COPY)
#undef KLDKIT_CAPI_COPY
  c.measures_mask = r.measures.mask;
  std::copy(std::begin(r.measures.v), std::end(r.measures.v),
            std::begin(c.measures));
  return c;
}

void ToC(const TokenResult& r, size_t stride, kldkit_token_result* out) {
  out->struct_size = stride;
  CopyOut(out, ToC(r));
}

RowBatch ToBatch(const kldkit_row_batch* b, const char* fn, const char* name) {
  if (b == nullptr) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " is NULL");
  }
  if (b->type > KLDKIT_ROW_LLAMA_U16) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": " + name + " has an unknown row type");
  }
  try {
    return RowBatch::Strided(b->data, b->n_rows, b->n_vocab, b->stride_bytes,
                             static_cast<RowType>(b->type));
  } catch (const Error& e) {
    detail::Throw(e.Status(), std::string(fn) + ": " + name + ": " + e.what());
  }
}

}  // namespace capi
}  // namespace kldkit
