// C ABI: .kldz container import, export, verification and recovery.
#include <climits>
#include <cstdint>
#include <map>
#include <string>

#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/container.hpp"

namespace kldkit {
namespace capi {

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
  if (KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, keep)) {
    Check(in->keep == KLDKIT_KEEP_ALL || in->keep == KLDKIT_KEEP_KLD, fn,
          "keep must be KLDKIT_KEEP_ALL or KLDKIT_KEEP_KLD");
    out.keep = static_cast<KeepProfile>(in->keep);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, floor)) {
    Check(in->floor == 0.0f || (in->floor > 0.0f && in->floor <= 1e4f), fn,
          "floor must be 0 or in (0, 1e4] nats");
    out.floor = in->floor;
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

namespace {

void SetRows(uint64_t* rows_out, uint64_t rows) {
  if (rows_out != nullptr) *rows_out = rows;
}

// kldkit_kldz_export(_with) and kldkit_kldz_verify(_with), errors named
// after `fn`.
kldkit_status Export(const char* fn, uint64_t* rows_out, const char* dst,
                     const char* src,
                     const kldkit_kldz_read_options* options) {
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(dst != nullptr && src != nullptr, fn, "dst or src is NULL");
    const unsigned threads = ReadDecodeThreads(options, fn);
    SetRows(rows_out, ExportLlamaFile(src, dst, threads));
  });
}

kldkit_status VerifyFile(const char* fn, uint64_t* rows_out,
                         const char* path,
                         const kldkit_kldz_read_options* options) {
  SetRows(rows_out, 0);
  return Guard(fn, [&] {
    Check(path != nullptr, fn, "path is NULL");
    const unsigned threads = ReadDecodeThreads(options, fn);
    SetRows(rows_out, Verify(path, threads));
  });
}

}  // namespace

static_assert(ContainerReader::kMaxCursorThreads == 64,
              "kldkit.h and the message below say 1..64");
unsigned ReadDecodeThreads(const kldkit_kldz_read_options* in,
                           const char* fn) {
  CheckOptionsSize(in, fn);
  if (in == nullptr ||
      !KLDKIT_CAPI_COVERS(in, kldkit_kldz_read_options, threads)) {
    return 1;
  }
  Check(in->threads >= 1 && in->threads <= ContainerReader::kMaxCursorThreads,
        fn, "threads must lie in [1, 64]");
  return in->threads;
}

}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;
using kldkit::capi::SetRows;

extern "C" {

kldkit_status kldkit_kldz_options_init(kldkit_kldz_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_kldz_options_init", options,
      kldkit_kldz_options KLDKIT_KLDZ_OPTIONS_INIT);
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

kldkit_status kldkit_kldz_read_options_init(kldkit_kldz_read_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_kldz_read_options_init", options,
      kldkit_kldz_read_options KLDKIT_KLDZ_READ_OPTIONS_INIT);
}

kldkit_status kldkit_kldz_export_with(
    uint64_t* rows_out, const char* dst, const char* src,
    const kldkit_kldz_read_options* options) {
  return kldkit::capi::Export("kldkit_kldz_export_with", rows_out, dst, src,
                              options);
}

kldkit_status kldkit_kldz_export(uint64_t* rows_out, const char* dst,
                                 const char* src) {
  return kldkit::capi::Export("kldkit_kldz_export", rows_out, dst, src,
                              nullptr);
}

kldkit_status kldkit_kldz_verify_with(
    uint64_t* rows_out, const char* path,
    const kldkit_kldz_read_options* options) {
  return kldkit::capi::VerifyFile("kldkit_kldz_verify_with", rows_out, path,
                                  options);
}

kldkit_status kldkit_kldz_verify(uint64_t* rows_out, const char* path) {
  return kldkit::capi::VerifyFile("kldkit_kldz_verify", rows_out, path,
                                  nullptr);
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
