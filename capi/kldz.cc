// C ABI: .kldz container import, export, verification and recovery.
#include <climits>
#include <cstdint>
#include <map>
#include <string>

#include "capi/guard.h"
#include "kldkit.h"
#include "kldkit/container.hpp"

namespace kldkit {
namespace capi {
namespace {

ContainerOptions ReadKldzOptions(const kldkit_kldz_options* in,
                                 const char* fn) {
  CheckOptionsSize(in, fn);
  ContainerOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, level)) {
    Check(in->level >= -7 && in->level <= 19, fn,
          "level must lie in [-7, 19]");
    out.level = in->level;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, threads)) {
    Check(in->threads >= 1 && in->threads <= kMaxWriterThreads, fn,
          "threads must lie in [1, 256]");
    out.threads = in->threads;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, rows_per_block)) {
    out.rows_per_block = in->rows_per_block;
  }
  return out;
}

// The options' metadata entries as the container stores them; none when
// NULL options or a struct_size from before the metadata fields.
std::map<std::string, std::string> ReadMetadata(const kldkit_kldz_options* in,
                                                const char* fn) {
  std::map<std::string, std::string> out;
  if (in == nullptr ||
      !KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, n_metadata)) {
    return out;
  }
  Check(in->metadata != nullptr || in->n_metadata == 0, fn,
        "options->metadata is NULL but n_metadata is not 0");
  for (size_t i = 0; i < in->n_metadata; ++i) {
    const kldkit_kldz_metadata& e = in->metadata[i];
    Check(e.key != nullptr && e.value != nullptr, fn,
          "a metadata key or value is NULL");
    Check(e.key[0] != '\0', fn, "a metadata key is empty");
    if (!out.emplace(e.key, e.value).second) {
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                    std::string(fn) + ": metadata key '" + e.key +
                        "' is given twice");
    }
  }
  return out;
}

void SetRows(uint64_t* rows_out, uint64_t rows) {
  if (rows_out != nullptr) *rows_out = rows;
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;
using kldkit::capi::SetRows;

extern "C" {

kldkit_status kldkit_kldz_options_init(kldkit_kldz_options* options) {
  static const char* const fn = "kldkit_kldz_options_init";
  return Guard(fn, [&] {
    Check(options != nullptr, fn, "options is NULL");
    *options = kldkit_kldz_options KLDKIT_KLDZ_OPTIONS_INIT;
  });
}

kldkit_status kldkit_kldz_import(uint64_t* rows_out, const char* dst,
                                 const char* src,
                                 const kldkit_kldz_options* options) {
  static const char* const fn = "kldkit_kldz_import";
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(dst != nullptr && src != nullptr, fn, "dst or src is NULL");
    const kldkit::ContainerOptions o =
        kldkit::capi::ReadKldzOptions(options, fn);
    SetRows(rows_out, kldkit::ImportLlamaFile(
                          src, dst, o,
                          kldkit::capi::ReadMetadata(options, fn)));
  });
}

kldkit_status kldkit_kldz_export(uint64_t* rows_out, const char* dst,
                                 const char* src) {
  static const char* const fn = "kldkit_kldz_export";
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(dst != nullptr && src != nullptr, fn, "dst or src is NULL");
    SetRows(rows_out, kldkit::ExportLlamaFile(src, dst));
  });
}

kldkit_status kldkit_kldz_verify(uint64_t* rows_out, const char* path) {
  static const char* const fn = "kldkit_kldz_verify";
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(path != nullptr, fn, "path is NULL");
    SetRows(rows_out, kldkit::Verify(path));
  });
}

kldkit_status kldkit_kldz_recover(uint64_t* rows_out, const char* dst,
                                  const char* src) {
  static const char* const fn = "kldkit_kldz_recover";
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(dst != nullptr && src != nullptr, fn, "dst or src is NULL");
    SetRows(rows_out, kldkit::Recover(src, dst));
  });
}

}  // extern "C"
