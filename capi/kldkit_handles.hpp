/* Header-only C++ ownership of the C API's handles, for C++ programs that
 * link the shared library (llama.cpp forks: many early returns, no leaks).
 * Needs only kldkit.h and the standard library; every call is the C one.
 * Since 0.2.
 *
 *   kldkit::c::KldzWriter w = kldkit::c::CreateKldzWriter(path, n_ctx,
 *       n_vocab, tokens, n_tokens, &options);           // throws on failure
 *   kldkit::c::Check(kldkit_kldz_writer_append_logits(w.get(), &row, NULL,
 *       NULL));
 *   kldkit::c::Check(kldkit_kldz_writer_close(w.get()));
 *   // leaving the scope frees it; an unclosed writer leaves no file
 */
#ifndef KLDKIT_HANDLES_HPP_
#define KLDKIT_HANDLES_HPP_

#include <memory>
#include <stdexcept>
#include <string>

#include "kldkit.h"

namespace kldkit {
namespace c {

/* A failing call: its status and kldkit_last_error()'s message. */
class Error : public std::runtime_error {
 public:
  Error(kldkit_status status, const char* message)
      : std::runtime_error(std::string(kldkit_status_string(status)) + ": " +
                           message),
        status_(status) {}
  kldkit_status Status() const noexcept { return status_; }

 private:
  kldkit_status status_;
};

/* Throws Error unless `status` is KLDKIT_OK. */
inline void Check(kldkit_status status) {
  if (status != KLDKIT_OK) throw Error(status, kldkit_last_error());
}

/* Frees whichever handle or buffer it is given (each _free accepts NULL). */
struct Free {
  void operator()(kldkit_reader* p) const noexcept { kldkit_reader_free(p); }
  void operator()(kldkit_llama_writer* p) const noexcept {
    kldkit_llama_writer_free(p);
  }
  void operator()(kldkit_kldz_writer* p) const noexcept {
    kldkit_kldz_writer_free(p);
  }
  void operator()(kldkit_accumulator* p) const noexcept {
    kldkit_accumulator_free(p);
  }
  void operator()(char* p) const noexcept { kldkit_free(p); }
  void operator()(uint8_t* p) const noexcept { kldkit_free(p); }
};

using Reader = std::unique_ptr<kldkit_reader, Free>;
using LlamaWriter = std::unique_ptr<kldkit_llama_writer, Free>;
using KldzWriter = std::unique_ptr<kldkit_kldz_writer, Free>;
using Accumulator = std::unique_ptr<kldkit_accumulator, Free>;
using Text = std::unique_ptr<char, Free>;     /* *_alloc renderings */
using Bytes = std::unique_ptr<uint8_t, Free>; /* serialize_alloc */

inline Reader OpenReader(const char* path,
                         const kldkit_reader_options* options = nullptr) {
  kldkit_reader* r = nullptr;
  Check(kldkit_reader_open(&r, path, options));
  return Reader(r);
}

inline Accumulator CreateAccumulator(
    const kldkit_accumulator_options* options = nullptr) {
  kldkit_accumulator* a = nullptr;
  Check(kldkit_accumulator_create(&a, options));
  return Accumulator(a);
}

inline LlamaWriter CreateLlamaWriter(const char* path, uint32_t n_ctx,
                                     int32_t n_vocab, int32_t n_chunk,
                                     const int32_t* tokens, size_t n_tokens) {
  kldkit_llama_writer* w = nullptr;
  Check(kldkit_llama_writer_create(&w, path, n_ctx, n_vocab, n_chunk, tokens,
                                   n_tokens));
  return LlamaWriter(w);
}

inline KldzWriter CreateKldzWriter(
    const char* path, uint32_t n_ctx, int32_t n_vocab, const int32_t* tokens,
    size_t n_tokens, const kldkit_kldz_options* options = nullptr) {
  kldkit_kldz_writer* w = nullptr;
  Check(kldkit_kldz_writer_create(&w, path, n_ctx, n_vocab, tokens, n_tokens,
                                  options));
  return KldzWriter(w);
}

/* The text of a report (kldkit_render_text_alloc). */
inline std::string RenderText(const kldkit_report& report) {
  char* text = nullptr;
  Check(kldkit_render_text_alloc(&text, &report));
  return Text(text).get();
}

}  // namespace c
}  // namespace kldkit

#endif  /* KLDKIT_HANDLES_HPP_ */
