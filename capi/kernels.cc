// C ABI over the row kernels: reductions, log-softmax, llama.cpp row
// quantization, and the per-token comparison.
#include <algorithm>
#include <cstdint>

#include "capi/buffer.h"
#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/kernels.hpp"

namespace kldkit {
namespace capi {

CompareMode ReadMode(uint32_t mode, const char* fn) {
  Check(mode <= KLDKIT_COMPARE_EXACT, fn, "unknown compare mode");
  return static_cast<CompareMode>(mode);
}

size_t ReadCompareThreads(uint32_t threads, const char* fn) {
  Check(threads >= 1 && threads <= 1024, fn, "threads must lie in [1, 1024]");
  return threads;
}

QuantizeOptions ReadQuantizeOptions(const kldkit_quantize_options* in,
                                    const char* fn) {
  CheckOptionsSize(in, fn);
  QuantizeOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_quantize_options, floor)) {
    out.floor = in->floor;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_quantize_options, strict)) {
    out.strict = in->strict != 0;
  }
  return out;
}

namespace {

CompareOptions ReadCompareOptions(const kldkit_compare_options* in,
                                  const char* fn) {
  CheckOptionsSize(in, fn);
  CompareOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_options, mode)) {
    out.mode = ReadMode(in->mode, fn);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_options, extras)) {
    out.extras = in->extras;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_compare_options, top_k)) {
    std::copy(std::begin(in->top_k), std::end(in->top_k),
              std::begin(out.top_k.k));
  }
  return out;
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;
using kldkit::capi::ToRowView;

extern "C" {

size_t kldkit_llama_row_words(size_t n_vocab) {
  // LlamaRowWords overflows past SIZE_MAX - 5; such a row is unaddressable.
  if (n_vocab == 0 || n_vocab > SIZE_MAX / 4) return 0;
  return kldkit::LlamaRowWords(n_vocab);
}

kldkit_status kldkit_max_argmax(float* max_out, size_t* index_out,
                                const kldkit_row* row) {
  static const char* const fn = "kldkit_max_argmax";
  return Guard(fn, [&] {
    Check(max_out != nullptr && index_out != nullptr, fn,
          "max_out or index_out is NULL");
    const kldkit::MaxArg r = kldkit::MaxAndArgmax(ToRowView(row, fn, "row"));
    *max_out = r.value;
    *index_out = r.index;
  });
}

kldkit_status kldkit_log_sum_exp(float* out, const kldkit_row* row) {
  static const char* const fn = "kldkit_log_sum_exp";
  return Guard(fn, [&] {
    Check(out != nullptr, fn, "out is NULL");
    *out = kldkit::LogSumExp(ToRowView(row, fn, "row"));
  });
}

kldkit_status kldkit_log_softmax(float* out, size_t out_len,
                                 const kldkit_row* row) {
  static const char* const fn = "kldkit_log_softmax";
  return Guard(fn, [&] {
    const kldkit::RowView view = ToRowView(row, fn, "row");
    Check(out != nullptr, fn, "out is NULL");
    Check(out_len == view.n_vocab, fn, "out_len must equal row->n_vocab");
    kldkit::LogSoftmax(view, gsl::span<float>(out, out_len));
  });
}

kldkit_status kldkit_quantize_options_init(kldkit_quantize_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_quantize_options_init", options,
      kldkit_quantize_options KLDKIT_QUANTIZE_OPTIONS_INIT);
}

kldkit_status kldkit_quantize_row(uint16_t* out, size_t out_words,
                                  const kldkit_row* logits,
                                  const kldkit_quantize_options* options) {
  static const char* const fn = "kldkit_quantize_row";
  return Guard(fn, [&] {
    const kldkit::RowView view = ToRowView(logits, fn, "logits");
    const kldkit::QuantizeOptions opt =
        kldkit::capi::ReadQuantizeOptions(options, fn);
    Check(out != nullptr, fn, "out is NULL");
    Check(out_words == kldkit_llama_row_words(view.n_vocab), fn,
          "out_words must equal kldkit_llama_row_words(n_vocab)");
    kldkit::QuantizeRow(view, gsl::span<uint16_t>(out, out_words), opt);
  });
}

kldkit_status kldkit_dequantize_row(float* out, size_t out_len,
                                    const uint16_t* row, size_t row_words,
                                    size_t n_vocab) {
  static const char* const fn = "kldkit_dequantize_row";
  return Guard(fn, [&] {
    Check(out != nullptr && row != nullptr, fn, "out or row is NULL");
    Check(n_vocab > 0, fn, "n_vocab is 0");
    Check(row_words == kldkit_llama_row_words(n_vocab), fn,
          "row_words must equal kldkit_llama_row_words(n_vocab)");
    Check(out_len == n_vocab, fn, "out_len must equal n_vocab");
    kldkit::DequantizeRow(gsl::span<const uint16_t>(row, row_words), n_vocab,
                          gsl::span<float>(out, out_len));
  });
}

kldkit_status kldkit_compare_options_init(kldkit_compare_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_compare_options_init", options,
      kldkit_compare_options KLDKIT_COMPARE_OPTIONS_INIT);
}

kldkit_status kldkit_compare_row(kldkit_token_result* result_out,
                                 double* extras_out, size_t extras_len,
                                 const kldkit_row* base,
                                 const kldkit_row* model, int32_t target,
                                 const kldkit_compare_options* options) {
  static const char* const fn = "kldkit_compare_row";
  return Guard(fn, [&] {
    Check(result_out != nullptr, fn, "result_out is NULL");
    Check(result_out->struct_size >=
              offsetof(kldkit_token_result, kld) + sizeof(double),
          fn, "result_out->struct_size is too small: use "
              "KLDKIT_TOKEN_RESULT_INIT");
    Check(extras_out != nullptr || extras_len == 0, fn,
          "extras_out is NULL but extras_len is not 0");
    const kldkit::RowView b = ToRowView(base, fn, "base");
    const kldkit::RowView m = ToRowView(model, fn, "model");
    const kldkit::CompareOptions opt =
        kldkit::capi::ReadCompareOptions(options, fn);
    const kldkit::TokenResult r = kldkit::CompareRow(
        b, m, target, opt, gsl::span<double>(extras_out, extras_len));
    kldkit::capi::CopyOut(result_out, kldkit::capi::ToC(r));
  });
}

}  // extern "C"
