// C ABI: kldkit_reader, one handle over the file kinds that hold rows,
// told apart by their magic bytes.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capi/buffer.h"
#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/container.hpp"
#include "kldkit/file_kind.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "kldkit/npy.hpp"

struct kldkit_reader {
  std::unique_ptr<kldkit::LlamaFileReader> llama;
  std::unique_ptr<kldkit::ContainerReader> kldz;  // read like `llama`
  std::unique_ptr<kldkit::NpyReader> npy;
  std::vector<int32_t> npy_tokens;  // an int32 .npy's elements
  // A container's metadata, indexable (the map is in key order).
  std::vector<std::pair<std::string, std::string>> metadata;
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  bool closed = false;
};

namespace kldkit {
namespace capi {
namespace {

void OpenLlama(kldkit_reader& r, const std::string& path, bool truncated) {
  r.llama = std::make_unique<LlamaFileReader>(path, truncated);
  const LlamaFileHeader& h = r.llama->Header();
  r.info.kind = KLDKIT_FILE_LLAMACPP;
  r.info.row_type = KLDKIT_ROW_LLAMA_U16;
  r.info.n_ctx = h.n_ctx;
  r.info.n_chunk = h.n_chunk;
  r.info.n_vocab = static_cast<uint64_t>(h.n_vocab);
  r.info.n_rows = r.llama->RowCount();
  r.info.n_rows_expected = r.llama->ExpectedRowCount();
  r.info.row_len = r.llama->RowWords();
  r.info.n_tokens = r.llama->Tokens().size();
  r.info.floor = static_cast<float>(
      r.llama->ScanFloor(kFloorSampleRows).nats);
}

// A container answers every call a llama.cpp file does; it holds complete
// rows only, possibly fewer than the header's chunks promise (recovered).
void OpenKldz(kldkit_reader& r, const std::string& path) {
  r.kldz = std::make_unique<ContainerReader>(path);
  const LlamaFileHeader& h = r.kldz->Header();
  r.info.kind = KLDKIT_FILE_KLDZ;
  r.info.row_type = KLDKIT_ROW_LLAMA_U16;
  r.info.n_ctx = h.n_ctx;
  r.info.n_chunk = h.n_chunk;
  r.info.n_vocab = static_cast<uint64_t>(h.n_vocab);
  r.info.n_rows = r.kldz->RowCount();
  r.info.n_rows_expected =
      static_cast<uint64_t>(h.n_chunk) * RowsPerChunk(h.n_ctx);
  r.info.row_len = r.kldz->RowWords();
  r.info.n_tokens = r.kldz->Tokens().size();
  r.metadata.assign(r.kldz->Metadata().begin(), r.kldz->Metadata().end());
  r.info.keep = static_cast<uint32_t>(r.kldz->Keep());
  const double recorded = r.kldz->RecordedFloor();
  r.info.floor = static_cast<float>(
      recorded > 0 ? recorded : r.kldz->ScanFloor(kFloorSampleRows).nats);
}


void OpenNpy(kldkit_reader& r, const std::string& path) {
  r.npy = std::make_unique<NpyReader>(path);
  r.info.kind = KLDKIT_FILE_NPY;
  if (r.npy->Dtype() == NpyDtype::kI32) {
    r.npy_tokens = r.npy->ReadInt32();
    r.info.row_type = UINT32_MAX;
    r.info.n_tokens = r.npy_tokens.size();
    return;
  }
  r.info.row_type = KLDKIT_ROW_F32;
  r.info.n_vocab = r.npy->Cols();
  r.info.n_rows = r.npy->Rows();
  r.info.n_rows_expected = r.npy->Rows();
  r.info.row_len = r.npy->Cols();
}

bool ReadTruncatedOption(const kldkit_reader_options* in, const char* fn) {
  CheckOptionsSize(in, fn);
  return in != nullptr &&
         KLDKIT_CAPI_COVERS(in, kldkit_reader_options, allow_truncated) &&
         in->allow_truncated != 0;
}

// Common checks of every call on an open reader.
const kldkit_reader& Open(const kldkit_reader* r, const char* fn) {
  Check(r != nullptr, fn, "reader is NULL");
  CheckOpen(r->closed, fn);
  return *r;
}

void CheckRow(const kldkit_reader& r, uint64_t row, size_t out_len,
              const char* fn) {
  if (row >= r.info.n_rows) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": row " + std::to_string(row) +
                      " requested, the file holds " +
                      std::to_string(r.info.n_rows));
  }
  Check(out_len == r.info.row_len, fn, "out_len must equal info.row_len");
}

// Rows [first, first + count) must exist and fill out_len words exactly.
void CheckRows(const kldkit_reader& r, uint64_t first, uint64_t count,
               size_t out_len, const char* fn) {
  const uint64_t n = r.info.n_rows;
  if (first > n || count > n - first) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": rows [" + std::to_string(first) +
                      ", " + std::to_string(first) + " + " +
                      std::to_string(count) + ") requested, the file holds " +
                      std::to_string(n));
  }
  // Divided, not multiplied: a crafted file's count * row_len could wrap.
  const uint64_t words = r.info.row_len;
  Check(words != 0 && out_len % words == 0 && out_len / words == count, fn,
        "out_len must equal count * info.row_len");
}

// Metadata entry `index`; INVALID_ARGUMENT past the last.
const std::pair<std::string, std::string>& MetadataEntry(
    const kldkit_reader& r, size_t index, const char* fn) {
  if (index >= r.metadata.size()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(fn) + ": metadata entry " +
                      std::to_string(index) + " requested, the file holds " +
                      std::to_string(r.metadata.size()));
  }
  return r.metadata[index];
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_reader_options_init(kldkit_reader_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_reader_options_init", options,
      kldkit_reader_options KLDKIT_READER_OPTIONS_INIT);
}

kldkit_status kldkit_reader_open(kldkit_reader** reader_out, const char* path,
                                 const kldkit_reader_options* options) {
  static const char* const fn = "kldkit_reader_open";
  if (reader_out != nullptr) *reader_out = nullptr;
  return Guard(fn, [&] {
    Check(reader_out != nullptr, fn, "reader_out is NULL");
    Check(path != nullptr, fn, "path is NULL");
    const bool truncated = kldkit::capi::ReadTruncatedOption(options, fn);
    auto r = std::make_unique<kldkit_reader>();
    const kldkit::FileKind kind = kldkit::DetectFileKind(path);
    if (kind == kldkit::FileKind::kLlama) {
      kldkit::capi::OpenLlama(*r, path, truncated);
    } else if (kind == kldkit::FileKind::kContainer) {
      kldkit::capi::OpenKldz(*r, path);
    } else if (kind == kldkit::FileKind::kNpy) {
      kldkit::capi::OpenNpy(*r, path);
    } else {
      kldkit::detail::Throw(KLDKIT_ERROR_FORMAT,
                            std::string(path) +
                                ": not a llama.cpp file, .kldz container "
                                   "or .npy array (unknown magic bytes)");
    }
    *reader_out = r.release();
  });
}

kldkit_status kldkit_reader_close(kldkit_reader* reader) {
  static const char* const fn = "kldkit_reader_close";
  return Guard(fn, [&] {
    kldkit::capi::Open(reader, fn);
    reader->closed = true;
    reader->llama.reset();
    reader->kldz.reset();
    reader->npy.reset();
    std::vector<int32_t>().swap(reader->npy_tokens);
    std::vector<std::pair<std::string, std::string>>().swap(reader->metadata);
  });
}

void kldkit_reader_free(kldkit_reader* reader) { delete reader; }

kldkit_status kldkit_reader_info_get(kldkit_reader_info* info_out,
                                     const kldkit_reader* reader) {
  static const char* const fn = "kldkit_reader_info_get";
  return Guard(fn, [&] {
    Check(info_out != nullptr, fn, "info_out is NULL");
    Check(info_out->struct_size >=
              offsetof(kldkit_reader_info, kind) + sizeof(uint32_t),
          fn, "info_out->struct_size is too small: use "
              "KLDKIT_READER_INFO_INIT");
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    kldkit::capi::CopyOut(info_out, r.info);
  });
}

kldkit_status kldkit_reader_read_tokens(int32_t* out, size_t out_len,
                                        const kldkit_reader* reader,
                                        uint64_t first) {
  static const char* const fn = "kldkit_reader_read_tokens";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    Check(out != nullptr || out_len == 0, fn, "out is NULL");
    const uint64_t n = r.info.n_tokens;
    Check(first <= n && out_len <= n - first, fn,
          "first + out_len is past the last token");
    if (out_len == 0) return;
    const int32_t* src = r.llama  ? r.llama->Tokens().data()
                         : r.kldz ? r.kldz->Tokens().data()
                                  : r.npy_tokens.data();
    std::memcpy(out, src + first, out_len * sizeof(int32_t));
  });
}

kldkit_status kldkit_reader_target_token(int32_t* token_out,
                                         const kldkit_reader* reader,
                                         uint64_t row) {
  static const char* const fn = "kldkit_reader_target_token";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    Check(token_out != nullptr, fn, "token_out is NULL");
    Check(r.llama != nullptr || r.kldz != nullptr, fn,
          "target tokens exist in llama.cpp and .kldz files only");
    Check(row < r.info.n_rows_expected, fn, "row is out of range");
    *token_out = r.llama ? r.llama->TargetToken(row)
                         : kldkit::LlamaTargetToken(r.kldz->Tokens(),
                                                    r.info.n_ctx, row);
  });
}

kldkit_status kldkit_reader_read_row_u16(uint16_t* out, size_t out_len,
                                         const kldkit_reader* reader,
                                         uint64_t row) {
  static const char* const fn = "kldkit_reader_read_row_u16";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    Check(out != nullptr, fn, "out is NULL");
    Check(r.llama != nullptr || r.kldz != nullptr, fn,
          "uint16 rows come from llama.cpp and .kldz files only: use "
          "kldkit_reader_read_row_f32");
    kldkit::capi::CheckRow(r, row, out_len, fn);
    const gsl::span<uint16_t> span(out, out_len);
    if (r.llama) {
      r.llama->ReadRow(row, span);
    } else {
      r.kldz->ReadRow(row, span);
    }
  });
}

kldkit_status kldkit_reader_read_rows_u16(
    uint16_t* out, size_t out_len, const kldkit_reader* reader,
    uint64_t first, uint64_t count,
    const kldkit_kldz_read_options* options) {
  static const char* const fn = "kldkit_reader_read_rows_u16";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    Check(out != nullptr || count == 0, fn, "out is NULL");
    Check(r.llama != nullptr || r.kldz != nullptr, fn,
          "uint16 rows come from llama.cpp and .kldz files only: use "
          "kldkit_reader_read_row_f32");
    const unsigned threads = kldkit::capi::ReadDecodeThreads(options, fn);
    kldkit::capi::CheckRows(r, first, count, out_len, fn);
    const size_t words = r.info.row_len;
    if (r.llama || threads == 1) {
      // One thread: the calling one, through the reader's warm block cache
      // (a cursor's fresh buffers measured up to 20% slower).
      for (uint64_t i = 0; i < count; ++i) {
        const gsl::span<uint16_t> row(out + i * words, words);
        if (r.llama) {
          r.llama->ReadRow(first + i, row);
        } else {
          r.kldz->ReadRow(first + i, row);
        }
      }
      return;
    }
    auto rows = r.kldz->Rows(first, first + count, threads);
    for (uint64_t i = 0; i < count; ++i) {
      if (!rows.Next({out + i * words, words})) {  // the range was checked
        kldkit::detail::Throw(KLDKIT_ERROR_FORMAT,
                              std::string(fn) + ": the container ended early");
      }
    }
  });
}

kldkit_status kldkit_reader_read_row_f32(float* out, size_t out_len,
                                         const kldkit_reader* reader,
                                         uint64_t row) {
  static const char* const fn = "kldkit_reader_read_row_f32";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    Check(out != nullptr, fn, "out is NULL");
    Check(r.npy != nullptr && r.info.row_type == KLDKIT_ROW_F32, fn,
          "float rows come from float .npy arrays only: use "
          "kldkit_reader_read_row_u16 for llama.cpp files");
    kldkit::capi::CheckRow(r, row, out_len, fn);
    r.npy->ReadRow(row, gsl::span<float>(out, out_len));
  });
}

kldkit_status kldkit_reader_metadata_count(size_t* count_out,
                                           const kldkit_reader* reader) {
  static const char* const fn = "kldkit_reader_metadata_count";
  return Guard(fn, [&] {
    Check(count_out != nullptr, fn, "count_out is NULL");
    *count_out = kldkit::capi::Open(reader, fn).metadata.size();
  });
}

kldkit_status kldkit_reader_metadata_key(char* out, size_t out_len,
                                         size_t* size_out,
                                         const kldkit_reader* reader,
                                         size_t index) {
  static const char* const fn = "kldkit_reader_metadata_key";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    kldkit::capi::CopyText(out, out_len, size_out,
                           kldkit::capi::MetadataEntry(r, index, fn).first,
                           fn);
  });
}

kldkit_status kldkit_reader_metadata_value(char* out, size_t out_len,
                                           size_t* size_out,
                                           const kldkit_reader* reader,
                                           size_t index) {
  static const char* const fn = "kldkit_reader_metadata_value";
  return Guard(fn, [&] {
    const kldkit_reader& r = kldkit::capi::Open(reader, fn);
    kldkit::capi::CopyText(out, out_len, size_out,
                           kldkit::capi::MetadataEntry(r, index, fn).second,
                           fn);
  });
}

}  // extern "C"
