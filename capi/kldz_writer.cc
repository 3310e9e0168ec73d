// C ABI: kldkit_kldz_writer, a .kldz base file written row by row: an
// adapter over kldkit::BaseWriter.
#include <memory>
#include <vector>

#include "capi/buffer.h"
#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/base_writer.hpp"

struct kldkit_kldz_writer {
  std::unique_ptr<kldkit::BaseWriter> file;
  bool closed = false;
};

namespace kldkit {
namespace capi {
namespace {

constexpr float kDefaultFloor = 16.0f;  // llama.cpp's

kldkit_kldz_writer& OpenWriter(kldkit_kldz_writer* w, const char* fn) {
  Check(w != nullptr, fn, "writer is NULL");
  CheckOpen(w->closed, fn);
  return *w;
}

BaseWriterOptions ReadWriterOptions(const kldkit_kldz_options* in,
                                    const char* fn) {
  BaseWriterOptions out;
  out.container = ReadKldzOptions(in, fn);
  out.metadata = ReadMetadata(in, fn);
  out.quantize.floor =
      out.container.floor > 0 ? static_cast<float>(out.container.floor)
                              : kDefaultFloor;
  out.threads = out.container.threads;
  if (in != nullptr &&
      KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, allow_partial)) {
    out.allow_partial = in->allow_partial != 0;
  }
  if (in != nullptr && KLDKIT_CAPI_COVERS(in, kldkit_kldz_options, end_chunk)) {
    out.shard = in->shard != 0;
    out.first_chunk = in->first_chunk;
    out.end_chunk = in->end_chunk;
  }
  return out;
}

// The call's quantize options: NULL is the writer's floor, not strict.
QuantizeOptions CallQuantize(const kldkit_quantize_options* in,
                             float writer_floor, const char* fn) {
  if (in != nullptr) return ReadQuantizeOptions(in, fn);
  QuantizeOptions q;
  q.floor = writer_floor;
  return q;
}

void PutAppended(const AppendedRow& r, kldkit_appended_row* out,
                 const char* fn) {
  Check(out->struct_size >= offsetof(kldkit_appended_row, nll) + sizeof(float),
        fn, "result struct_size must cover `nll` (KLDKIT_APPENDED_ROW_INIT)");
  out->log_sum_exp = r.log_sum_exp;
  out->nll = r.nll;
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_kldz_writer_create(kldkit_kldz_writer** writer_out,
                                        const char* path, uint32_t n_ctx,
                                        int32_t n_vocab, const int32_t* tokens,
                                        size_t n_tokens,
                                        const kldkit_kldz_options* options) {
  static const char* const fn = "kldkit_kldz_writer_create";
  if (writer_out != nullptr) *writer_out = nullptr;
  return Guard(fn, [&] {
    Check(writer_out != nullptr, fn, "writer_out is NULL");
    Check(path != nullptr, fn, "path is NULL");
    Check(tokens != nullptr, fn, "tokens is NULL");
    const kldkit::BaseWriterOptions o =
        kldkit::capi::ReadWriterOptions(options, fn);
    auto w = std::make_unique<kldkit_kldz_writer>();
    w->file = std::make_unique<kldkit::BaseWriter>(
        std::string(path), n_ctx, n_vocab,
        gsl::span<const int32_t>(tokens, n_tokens), o);
    *writer_out = w.release();
  });
}

kldkit_status kldkit_kldz_writer_append_row(kldkit_kldz_writer* writer,
                                           const uint16_t* row,
                                           size_t row_words) {
  static const char* const fn = "kldkit_kldz_writer_append_row";
  return Guard(fn, [&] {
    kldkit_kldz_writer& w = kldkit::capi::OpenWriter(writer, fn);
    Check(row != nullptr, fn, "row is NULL");
    w.file->AppendRow(gsl::span<const uint16_t>(row, row_words));
  });
}

kldkit_status kldkit_kldz_writer_append_logits(
    kldkit_kldz_writer* writer, const kldkit_row* logits,
    const kldkit_quantize_options* options, kldkit_appended_row* result_out) {
  static const char* const fn = "kldkit_kldz_writer_append_logits";
  return Guard(fn, [&] {
    kldkit_kldz_writer& w = kldkit::capi::OpenWriter(writer, fn);
    const kldkit::RowView view = kldkit::capi::ToRowView(logits, fn, "logits");
    if (result_out != nullptr) kldkit::capi::PutAppended(kldkit::AppendedRow{}, result_out, fn);
    const kldkit::AppendedRow r = w.file->AppendLogits(
        view, kldkit::capi::CallQuantize(options, w.file->Floor(), fn));
    if (result_out != nullptr) kldkit::capi::PutAppended(r, result_out, fn);
  });
}

kldkit_status kldkit_kldz_writer_append_logits_batch(
    kldkit_kldz_writer* writer, const kldkit_row_batch* logits,
    const kldkit_quantize_options* options, kldkit_appended_row* results_out,
    size_t results_len) {
  static const char* const fn = "kldkit_kldz_writer_append_logits_batch";
  return Guard(fn, [&] {
    kldkit_kldz_writer& w = kldkit::capi::OpenWriter(writer, fn);
    const kldkit::RowBatch batch = kldkit::capi::ToBatch(logits, fn, "logits");
    if (results_out != nullptr) {
      Check(results_len == batch.Size(), fn,
            "results_len must equal logits->n_rows");
      kldkit::capi::PutAppended(kldkit::AppendedRow{}, results_out, fn);  // checks the stride first
    } else {
      Check(results_len == 0, fn, "results_out is NULL but results_len is "
                                  "not 0");
    }
    std::vector<kldkit::AppendedRow> rows(results_out ? batch.Size() : 0);
    w.file->AppendLogitsBatch(
        batch, kldkit::capi::CallQuantize(options, w.file->Floor(), fn),
        rows);
    const size_t stride = results_out ? results_out->struct_size : 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto* out = reinterpret_cast<kldkit_appended_row*>(
          reinterpret_cast<char*>(results_out) + i * stride);
      out->struct_size = stride;
      kldkit::capi::PutAppended(rows[i], out, fn);
    }
  });
}

kldkit_status kldkit_kldz_writer_close(kldkit_kldz_writer* writer) {
  static const char* const fn = "kldkit_kldz_writer_close";
  return Guard(fn, [&] {
    kldkit_kldz_writer& w = kldkit::capi::OpenWriter(writer, fn);
    w.closed = true;  // final whatever the outcome
    // `file` dies on return: a failed close leaves nothing at the path.
    std::unique_ptr<kldkit::BaseWriter> file = std::move(w.file);
    file->Close();
  });
}

void kldkit_kldz_writer_free(kldkit_kldz_writer* writer) { delete writer; }

}  // extern "C"
