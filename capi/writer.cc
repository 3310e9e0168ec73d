// C ABI: kldkit_llama_writer, a llama.cpp file written row by row.
#include <memory>
#include <vector>

#include "capi/guard.h"
#include "capi/options.h"
#include "kldkit.h"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"

struct kldkit_llama_writer {
  std::unique_ptr<kldkit::LlamaFileWriter> file;
  size_t n_vocab = 0;
  std::vector<uint16_t> scratch;  // one quantized row (append_logits)
  bool closed = false;
};

namespace {

kldkit_llama_writer& OpenWriter(kldkit_llama_writer* w, const char* fn) {
  kldkit::capi::Check(w != nullptr, fn, "writer is NULL");
  kldkit::capi::CheckOpen(w->closed, fn);
  return *w;
}

}  // namespace

using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

kldkit_status kldkit_llama_writer_create(kldkit_llama_writer** writer_out,
                                         const char* path, uint32_t n_ctx,
                                         int32_t n_vocab, int32_t n_chunk,
                                         const int32_t* tokens,
                                         size_t n_tokens) {
  static const char* const fn = "kldkit_llama_writer_create";
  if (writer_out != nullptr) *writer_out = nullptr;
  return Guard(fn, [&] {
    Check(writer_out != nullptr, fn, "writer_out is NULL");
    Check(path != nullptr, fn, "path is NULL");
    Check(tokens != nullptr || n_tokens == 0, fn, "tokens is NULL");
    auto w = std::make_unique<kldkit_llama_writer>();
    const kldkit::LlamaFileHeader header{n_ctx, n_vocab, n_chunk};
    // The C++ writer validates the header and tokens before creating files.
    w->file = std::make_unique<kldkit::LlamaFileWriter>(
        path, header, gsl::span<const int32_t>(tokens, n_tokens));
    w->n_vocab = static_cast<size_t>(n_vocab);
    *writer_out = w.release();
  });
}

kldkit_status kldkit_llama_writer_append_row(kldkit_llama_writer* writer,
                                             const uint16_t* row,
                                             size_t row_words) {
  static const char* const fn = "kldkit_llama_writer_append_row";
  return Guard(fn, [&] {
    kldkit_llama_writer& w = OpenWriter(writer, fn);
    Check(row != nullptr, fn, "row is NULL");
    Check(row_words == kldkit::LlamaRowWords(w.n_vocab), fn,
          "row_words must equal kldkit_llama_row_words(n_vocab)");
    w.file->AppendRow(gsl::span<const uint16_t>(row, row_words));
  });
}

kldkit_status kldkit_llama_writer_append_logits(
    kldkit_llama_writer* writer, const kldkit_row* logits,
    const kldkit_quantize_options* options) {
  static const char* const fn = "kldkit_llama_writer_append_logits";
  return Guard(fn, [&] {
    kldkit_llama_writer& w = OpenWriter(writer, fn);
    const kldkit::RowView view = kldkit::capi::ToRowView(logits, fn, "logits");
    const kldkit::QuantizeOptions opt =
        kldkit::capi::ReadQuantizeOptions(options, fn);
    Check(view.n_vocab == w.n_vocab, fn,
          "logits->n_vocab differs from the file's n_vocab");
    w.scratch.resize(kldkit::LlamaRowWords(w.n_vocab));
    kldkit::QuantizeRow(view, w.scratch, opt);
    w.file->AppendRow(w.scratch);
  });
}

kldkit_status kldkit_llama_writer_close(kldkit_llama_writer* writer) {
  static const char* const fn = "kldkit_llama_writer_close";
  return Guard(fn, [&] {
    kldkit_llama_writer& w = OpenWriter(writer, fn);
    w.closed = true;  // final whatever the outcome
    // `file` dies on return: if Close() throws, its destructor removes .tmp.
    std::unique_ptr<kldkit::LlamaFileWriter> file = std::move(w.file);
    std::vector<uint16_t>().swap(w.scratch);
    file->Close();
  });
}

void kldkit_llama_writer_free(kldkit_llama_writer* writer) {
  // The C++ writer's destructor removes an uncommitted temporary file and
  // does not throw.
  delete writer;
}

}  // extern "C"
