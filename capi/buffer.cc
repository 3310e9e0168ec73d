// Variable-size outputs and token-result arrays of the C ABI.
#include "capi/buffer.h"

#include <cstring>

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

size_t TokenResultStride(const kldkit_token_result* results, const char* fn) {
  const size_t stride = results->struct_size;
  Check(stride >= offsetof(kldkit_token_result, flags) + sizeof(uint32_t) &&
            stride % alignof(kldkit_token_result) == 0,
        fn, "token results: struct_size must cover `flags` (use "
            "KLDKIT_TOKEN_RESULT_INIT) and keep the alignment");
  return stride;
}

TokenResult FromC(const kldkit_token_result& c) {
  TokenResult r;
  r.kld = c.kld;
  r.nll = c.nll;
  r.nll_base = c.nll_base;
  r.p = c.p;
  r.p_base = c.p_base;
  r.dp = c.dp;
  r.top = c.top;
  r.top_base = c.top_base;
  r.flags = c.flags;
  return r;
}

kldkit_token_result ToC(const TokenResult& r) {
  kldkit_token_result c = KLDKIT_TOKEN_RESULT_INIT;
  c.kld = r.kld;
  c.nll = r.nll;
  c.nll_base = r.nll_base;
  c.p = r.p;
  c.p_base = r.p_base;
  c.dp = r.dp;
  c.top = r.top;
  c.top_base = r.top_base;
  c.flags = r.flags;
  return c;
}

void ToC(const TokenResult& r, size_t stride, kldkit_token_result* out) {
  out->struct_size = stride;
  CopyOut(out, ToC(r));
}

}  // namespace capi
}  // namespace kldkit
