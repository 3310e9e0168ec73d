// C ABI: float logits to a llama.cpp base file, and salvage of a truncated
// llama.cpp file.
#include "capi/guard.h"
#include "kldkit.h"
#include "kldkit/convert.hpp"

namespace {

kldkit::ConvertOptions ReadConvertOptions(const kldkit_convert_options* in,
                                          const char* fn) {
  kldkit::capi::CheckOptionsSize(in, fn);
  kldkit::ConvertOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_convert_options, n_ctx)) {
    out.n_ctx = in->n_ctx;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_convert_options, floor)) {
    out.quantize.floor = in->floor;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_convert_options, strict)) {
    out.quantize.strict = in->strict != 0;
  }
  return out;
}

}  // namespace

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_convert_options_init(kldkit_convert_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_convert_options_init", options,
      kldkit_convert_options KLDKIT_CONVERT_OPTIONS_INIT);
}

kldkit_status kldkit_convert_logits_file(uint64_t* rows_out,
                                         const char* out_path,
                                         const char* logits_npy,
                                         const char* tokens_path,
                                         const kldkit_convert_options* options) {
  static const char* const fn = "kldkit_convert_logits_file";
  return Guard(fn, [&] {
    Check(out_path != nullptr && logits_npy != nullptr &&
              tokens_path != nullptr,
          fn, "a path is NULL");
    const kldkit::ConvertOptions opt = ReadConvertOptions(options, fn);
    Check(opt.quantize.floor > 0.0f && opt.quantize.floor <= 1e4f, fn,
          "floor must be in (0, 1e4] nats");
    const kldkit::ConvertResult r =
        kldkit::ConvertLogitsFile(logits_npy, tokens_path, out_path, opt);
    if (rows_out != nullptr) *rows_out = r.rows;
  });
}

kldkit_status kldkit_salvage_llama_file(uint64_t* rows_kept_out,
                                        uint64_t* rows_dropped_out,
                                        const char* out_path,
                                        const char* in_path) {
  static const char* const fn = "kldkit_salvage_llama_file";
  return Guard(fn, [&] {
    Check(out_path != nullptr && in_path != nullptr, fn, "a path is NULL");
    const kldkit::SalvageResult r = kldkit::SalvageLlamaFile(in_path, out_path);
    if (rows_kept_out != nullptr) *rows_kept_out = r.rows_kept;
    if (rows_dropped_out != nullptr) *rows_dropped_out = r.rows_dropped;
  });
}

}  // extern "C"
