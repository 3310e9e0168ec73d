// Pieces of the C ABI fuzz target (capi_fuzz.cc): the status check, caller
// structs of fuzzed struct_size, text outputs, and the stateless calls
// (kernels, batches, verify). Every buffer handed to the library is a heap
// block exactly as large as the size passed with it.
#ifndef KLDKIT_TESTS_FUZZ_CAPI_FUZZ_OPS_H_
#define KLDKIT_TESTS_FUZZ_CAPI_FUZZ_OPS_H_

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kldkit.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace kldkit {
namespace fuzz {

// Every call returns a defined status other than INTERNAL (a library bug),
// and a failure leaves a message.
inline kldkit_status Expect(kldkit_status s) {
  FUZZ_CHECK(s >= KLDKIT_OK && s < KLDKIT_ERROR_INTERNAL);
  if (s != KLDKIT_OK) {
    const char* message = kldkit_last_error();
    FUZZ_CHECK(message != nullptr && message[0] != '\0');
  }
  return s;
}

// A caller's options or output struct: NULL, the defaults, the defaults
// with fuzzed fields, or a fuzzed struct_size (0 .. sizeof(T) + 16) over
// fuzzed bytes. The block is max(struct_size, sizeof(size_t)) bytes.
template <typename T>
class Struct {
 public:
  Struct(const T& defaults, Cursor* in) {
    const uint8_t how = in->U8() % 4;
    null_ = how == 0;
    size_t size = sizeof(T);
    if (how == 3) size = in->U8() % (sizeof(T) + 17);
    buf_.resize(std::max(size, sizeof(size_t)));
    std::memcpy(buf_.data(), &defaults, std::min(buf_.size(), sizeof(T)));
    if (how >= 2) {
      const std::vector<uint8_t> bytes = in->Bytes(buf_.size());
      std::copy(bytes.begin(), bytes.end(), buf_.begin());
    }
    std::memcpy(buf_.data(), &size, sizeof size);
  }
  T* Get() { return null_ ? nullptr : reinterpret_cast<T*>(buf_.data()); }
  const std::vector<uint8_t>& Raw() const { return buf_; }

 private:
  bool null_ = false;
  std::vector<uint8_t> buf_;
};

// A text output call `fn(out, out_len, size_out)`: the size query, then a
// buffer up to 3 bytes short or long (or NULL). A short one stays untouched;
// a long enough one gets the NUL-terminated text of the size it said.
template <typename Fn>
void CheckText(Cursor* in, Fn fn) {
  size_t size = 0;
  const kldkit_status query = Expect(fn(nullptr, 0, &size));
  const uint8_t how = in->U8();
  if (how & 1) {
    Expect(fn(nullptr, 0, nullptr));  // size_out NULL: refused
    return;
  }
  if (query != KLDKIT_OK) return;
  FUZZ_CHECK(size >= 1);
  const size_t len = size + 3 - std::min<size_t>(size, (how >> 1) & 7);
  std::vector<char> out(len, '\x5A');
  size_t size2 = 0;
  const kldkit_status s = Expect(fn(out.data(), len, &size2));
  FUZZ_CHECK(size2 == size && (s == KLDKIT_OK) == (len >= size));
  if (s == KLDKIT_OK) {
    FUZZ_CHECK(out[size - 1] == '\0' && std::strlen(out.data()) == size - 1);
  } else {
    FUZZ_CHECK(std::all_of(out.begin(), out.end(),
                           [](char c) { return c == '\x5A'; }));
  }
}

// Bytes of a row of `type` (any value) over n_vocab tokens; undefined types
// get 4 bytes a token so a library that read them anyway stays in bounds.
inline size_t CRowBytes(uint32_t type, size_t n_vocab) {
  switch (type) {
    case KLDKIT_ROW_F16:
    case KLDKIT_ROW_BF16:
      return 2 * n_vocab;
    case KLDKIT_ROW_LLAMA_U16:
      return 2 * kldkit_llama_row_words(n_vocab);
    default:
      return 4 * n_vocab;
  }
}

// A kldkit_row over fuzzed bytes; (1 in 16) its data or the row is NULL.
class CRow {
 public:
  CRow(Cursor* in, size_t n_vocab) {
    const uint8_t how = in->U8();
    row_.type = how % 5 == 4 ? in->U32() : how % 5;
    row_.n_vocab = n_vocab;
    buf_.resize(CRowBytes(row_.type, n_vocab));
    in->FillCycling(buf_.data(), buf_.size(), how);
    row_.data = buf_.empty() || (how & 0xF0) == 0x10 ? nullptr : buf_.data();
    null_ = (how & 0xF0) == 0x20;
  }
  const kldkit_row* Get() const { return null_ ? nullptr : &row_; }
  size_t NVocab() const { return row_.n_vocab; }

 private:
  std::vector<uint8_t> buf_;
  kldkit_row row_{};
  bool null_ = false;
};

// Output length: the right one, one off either way, or 0.
inline size_t OutLen(Cursor* in, size_t right) {
  switch (in->U8() % 4) {
    case 0: return right;
    case 1: return right + 1;
    case 2: return right == 0 ? 0 : right - 1;
    default: return 0;
  }
}

inline void RunCompare(Cursor* in, size_t n_vocab) {
  const CRow base(in, n_vocab);
  const CRow model(in, (in->U8() & 7) == 0 ? in->U16() % 64 : n_vocab);
  Struct<kldkit_token_result> result(
      kldkit_token_result KLDKIT_TOKEN_RESULT_INIT, in);
  Struct<kldkit_compare_options> options(
      kldkit_compare_options KLDKIT_COMPARE_OPTIONS_INIT, in);
  const size_t n_extras = in->U8() % 3;
  std::vector<double> extras(n_extras);
  const uint32_t raw = in->U32();
  const auto target = static_cast<int32_t>(
      (raw & 1) || n_vocab == 0 ? raw : (raw >> 1) % n_vocab);
  Expect(kldkit_compare_row(result.Get(), n_extras ? extras.data() : nullptr,
                            n_extras, base.Get(), model.Get(), target,
                            options.Get()));
}

// One kernel call on a row of n_vocab (0 .. 2048) tokens.
inline void RunKernel(Cursor* in) {
  const uint8_t which = in->U8() % 6;
  const size_t n_vocab = in->U16() % 2049;
  if (which == 5) return RunCompare(in, n_vocab);
  const CRow row(in, n_vocab);
  const bool null_out = (in->U8() & 7) == 0;
  if (which == 0) {
    float max = 0;
    size_t index = 0;
    Expect(kldkit_max_argmax(null_out ? nullptr : &max, &index, row.Get()));
  } else if (which == 1) {
    float lse = 0;
    Expect(kldkit_log_sum_exp(null_out ? nullptr : &lse, row.Get()));
  } else if (which == 2) {
    std::vector<float> out(OutLen(in, n_vocab));
    float* p = null_out || out.empty() ? nullptr : out.data();
    Expect(kldkit_log_softmax(p, out.size(), row.Get()));
  } else if (which == 3) {
    Struct<kldkit_quantize_options> options(
        kldkit_quantize_options KLDKIT_QUANTIZE_OPTIONS_INIT, in);
    std::vector<uint16_t> out(OutLen(in, kldkit_llama_row_words(n_vocab)));
    uint16_t* p = null_out || out.empty() ? nullptr : out.data();
    Expect(kldkit_quantize_row(p, out.size(), row.Get(), options.Get()));
  } else {
    // The words: fuzzed, in a block of the length passed.
    std::vector<uint16_t> words(OutLen(in, kldkit_llama_row_words(n_vocab)));
    in->FillCycling(words.data(), words.size() * 2);
    std::vector<float> out(OutLen(in, n_vocab));
    Expect(kldkit_dequantize_row(
        null_out || out.empty() ? nullptr : out.data(), out.size(),
        words.empty() ? nullptr : words.data(), words.size(), n_vocab));
  }
}

// n_rows rows of one type, `stride` bytes apart, in one block that ends
// where the last row ends.
class CBatch {
 public:
  CBatch(Cursor* in, size_t n_rows, size_t n_vocab) {
    const uint8_t how = in->U8();
    batch_.type = how % 5 == 4 ? 7u : how % 5;
    batch_.n_rows = n_rows;
    batch_.n_vocab = n_vocab;
    const size_t row = CRowBytes(batch_.type, n_vocab);
    // The row's size, 2 bytes more, or (rarely) 2 bytes less.
    batch_.stride_bytes = (how & 0x20) ? row + 2 : row;
    if ((how & 0xC0) == 0xC0 && row >= 2) batch_.stride_bytes = row - 2;
    buf_.resize(n_rows == 0 ? 0 : (n_rows - 1) * batch_.stride_bytes + row);
    in->FillCycling(buf_.data(), buf_.size(), how);
    batch_.data = buf_.empty() ? nullptr : buf_.data();
  }
  const kldkit_row_batch* Get() const { return &batch_; }

 private:
  std::vector<uint8_t> buf_;
  kldkit_row_batch batch_{};
};

inline int CancelAfter(void* user, uint64_t done, uint64_t) {
  return done >= *static_cast<const uint64_t*>(user);
}

inline void RunBatch(Cursor* in, kldkit_accumulator* acc) {
  const size_t n_rows = in->U8() % 40;
  const size_t n_vocab = 1 + in->U16() % 600;
  const CBatch base(in, n_rows, n_vocab);
  const CBatch model(in, (in->U8() & 7) == 0 ? n_rows + 1 : n_rows, n_vocab);
  std::vector<int32_t> targets(n_rows);
  for (int32_t& t : targets) {
    t = static_cast<int32_t>(in->U16() % (n_vocab + 1));  // n_vocab: invalid
  }
  Struct<kldkit_batch_options> options(
      kldkit_batch_options KLDKIT_BATCH_OPTIONS_INIT, in);
  uint64_t cancel_at = in->U8();
  if (kldkit_batch_options* o = options.Get()) {
    // A callback only ever points at this function, threads stay few.
    const size_t covered = o->struct_size;
    if (covered >= offsetof(kldkit_batch_options, threads) + 4)
      o->threads %= 4;
    if (covered >= offsetof(kldkit_batch_options, progress) + sizeof(void*))
      o->progress = (cancel_at & 1) ? CancelAfter : nullptr;
    if (covered >= offsetof(kldkit_batch_options, progress_user_data) +
                       sizeof(void*))
      o->progress_user_data = &cancel_at;
    else if (covered >= offsetof(kldkit_batch_options, progress) +
                            sizeof(void*))
      o->progress = nullptr;  // a callback without its data pointer
  }
  const bool with_results = in->U8() & 1;
  std::vector<kldkit_token_result> results(
      with_results ? n_rows : 0, kldkit_token_result KLDKIT_TOKEN_RESULT_INIT);
  Expect(kldkit_compare_batch(
      acc, results.empty() ? nullptr : results.data(), results.size(),
      base.Get(), model.Get(), targets.empty() ? nullptr : targets.data(),
      targets.size(), options.Get()));
}

// kldkit_kldz_writer: a fuzzed layout and options, a few appends of
// fuzzed rows (float logits, batches, stored rows), then close or free. A
// closed file reads back with the rows appended; anything else leaves
// nothing at the path.
inline void RunKldzWriter(Cursor* in) {
  const std::string path = ScratchDir() + "/writer.kldz";
  const uint32_t n_ctx = in->U8() % 12;
  const int32_t n_vocab = static_cast<int32_t>(in->U16() % 300) - 2;
  std::vector<int32_t> tokens(in->U8() % 40);
  for (int32_t& t : tokens) t = static_cast<int32_t>(in->U16() % 302) - 1;
  Struct<kldkit_kldz_options> options(
      kldkit_kldz_options KLDKIT_KLDZ_OPTIONS_INIT, in);
  if (kldkit_kldz_options* o = options.Get()) {
    // Honest pointers: no metadata array; few threads.
    const size_t covered = o->struct_size;
    if (covered >= offsetof(kldkit_kldz_options, threads) + 4)
      o->threads %= 4;
    if (covered >= offsetof(kldkit_kldz_options, metadata) + sizeof(void*))
      o->metadata = nullptr;
    if (covered >= offsetof(kldkit_kldz_options, n_metadata) + sizeof(size_t))
      o->n_metadata = 0;
  }
  kldkit_kldz_writer* w = reinterpret_cast<kldkit_kldz_writer*>(&w);
  if (Expect(kldkit_kldz_writer_create(
          &w, path.c_str(), n_ctx, n_vocab,
          tokens.empty() ? nullptr : tokens.data(), tokens.size(),
          options.Get())) != KLDKIT_OK) {
    FUZZ_CHECK(w == nullptr && access(path.c_str(), F_OK) != 0);
    return;
  }
  const size_t nv = static_cast<size_t>(n_vocab);
  uint64_t appended = 0;
  for (int i = in->U8() % 6; i > 0; --i) {
    const uint8_t how = in->U8();
    Struct<kldkit_quantize_options> q(
        kldkit_quantize_options KLDKIT_QUANTIZE_OPTIONS_INIT, in);
    if (how % 3 == 0) {
      const CRow row(in, (how & 8) ? nv + 1 : nv);
      kldkit_appended_row result = KLDKIT_APPENDED_ROW_INIT;
      appended += Expect(kldkit_kldz_writer_append_logits(
                      w, row.Get(), q.Get(), (how & 16) ? &result : nullptr)) ==
                  KLDKIT_OK;
    } else if (how % 3 == 1) {
      const size_t rows = in->U8() % 4;
      const CBatch batch(in, rows, nv);
      std::vector<kldkit_appended_row> results(
          (how & 16) ? rows : 0, kldkit_appended_row KLDKIT_APPENDED_ROW_INIT);
      if (Expect(kldkit_kldz_writer_append_logits_batch(
              w, batch.Get(), q.Get(),
              results.empty() ? nullptr : results.data(), results.size())) ==
          KLDKIT_OK) {
        appended += rows;
      }
    } else {
      std::vector<uint16_t> words(OutLen(in, kldkit_llama_row_words(nv)));
      in->FillCycling(words.data(), 2 * words.size(), how);
      appended += Expect(kldkit_kldz_writer_append_row(
                      w, words.empty() ? nullptr : words.data(),
                      words.size())) == KLDKIT_OK;
    }
  }
  const bool closed = (in->U8() & 3) != 0 &&
                      Expect(kldkit_kldz_writer_close(w)) == KLDKIT_OK;
  kldkit_kldz_writer_free(w);
  if (!closed) {
    FUZZ_CHECK(access(path.c_str(), F_OK) != 0);
    FUZZ_CHECK(access((path + ".tmp").c_str(), F_OK) != 0);
    return;
  }
  kldkit_reader* r = nullptr;
  FUZZ_CHECK(kldkit_reader_open(&r, path.c_str(), nullptr) == KLDKIT_OK);
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  FUZZ_CHECK(kldkit_reader_info_get(&info, r) == KLDKIT_OK);
  FUZZ_CHECK(info.n_rows == appended);
  kldkit_reader_free(r);
  std::remove(path.c_str());
}

inline void CountChunk(void* user, int, const kldkit_report*, size_t) {
  ++*static_cast<uint64_t*>(user);
}

// kldkit_compare_files on files made of input bytes (or NULL paths), with
// fuzzed options whose callbacks are this harness's, for 0..2 models (the
// arrays always hold two entries: the count passed never exceeds them). A
// failure leaves the first accumulator as it was.
inline void RunCompareFiles(Cursor* in, kldkit_accumulator* acc,
                            kldkit_accumulator* other) {
  const std::vector<uint8_t> a = in->Bytes(in->U16() % 4096);
  const std::vector<uint8_t> b = in->Bytes(in->U16() % 4096);
  const MemFile base(a.data(), a.size()), model(b.data(), b.size());
  const uint8_t how = in->U8();
  const char* models[] = {(how & 1) ? model.Path().c_str() : nullptr,
                          model.Path().c_str()};
  Struct<kldkit_compare_files_options> options(
      kldkit_compare_files_options KLDKIT_COMPARE_FILES_OPTIONS_INIT, in);
  uint64_t cancel_at = in->U8(), chunks = 0;
  if (kldkit_compare_files_options* o = options.Get()) {
    // The fuzzed fields (read within the caller's block, which may be
    // shorter than the struct), with honest pointers.
    const size_t block = options.Raw().size();
    kldkit_compare_files_options fuzzed{};
    std::memcpy(&fuzzed, o, std::min(block, sizeof(fuzzed)));
    kldkit_compare_files_options safe = KLDKIT_COMPARE_FILES_OPTIONS_INIT;
    safe.mode = fuzzed.mode;
    safe.threads = fuzzed.threads % 4;
    safe.force = fuzzed.force;
    safe.n_ctx = fuzzed.n_ctx;
    safe.progress = (cancel_at & 1) ? CancelAfter : nullptr;
    safe.progress_user_data = &cancel_at;
    safe.on_chunk = CountChunk;
    safe.chunk_user_data = &chunks;
    safe.struct_size = fuzzed.struct_size;
    std::memcpy(o, &safe, std::min(block, sizeof(safe)));
  }
  uint8_t* before = nullptr;
  size_t before_size = 0;
  const bool has = acc != nullptr && kldkit_accumulator_serialize_alloc(
                                         &before, &before_size, acc) == 0;
  kldkit_accumulator* accs[] = {acc, other};
  const kldkit_status s = Expect(kldkit_compare_files(
      (how & 2) ? accs : nullptr, (how & 4) ? base.Path().c_str() : nullptr,
      (how & 8) ? models : nullptr, (how >> 4) % 3, options.Get()));
  if (s != KLDKIT_OK && has) {
    uint8_t* after = nullptr;
    size_t after_size = 0;
    FUZZ_CHECK(kldkit_accumulator_serialize_alloc(&after, &after_size, acc) ==
               KLDKIT_OK);
    FUZZ_CHECK(after_size == before_size &&
               std::memcmp(after, before, before_size) == 0);
    kldkit_free(after);
  }
  kldkit_free(before);
}

// kldkit_kldz_verify, or _verify_with and fuzzed options (threads 0..69:
// in range and out), on a file of input bytes (or a NULL path).
inline void RunVerify(Cursor* in) {
  const std::vector<uint8_t> content = in->Bytes(in->U16() % 4096);
  const MemFile file(content.data(), content.size());
  uint64_t rows = 0;
  const uint8_t pick = in->U8();
  const char* path = (pick & 7) == 0 ? nullptr : file.Path().c_str();
  if ((pick & 8) == 0) {
    Expect(kldkit_kldz_verify(&rows, path));
    return;
  }
  kldkit_kldz_read_options o = KLDKIT_KLDZ_READ_OPTIONS_INIT;
  o.threads = in->U8() % 70;
  Expect(kldkit_kldz_verify_with(&rows, path, (pick & 16) ? &o : nullptr));
}

}  // namespace fuzz
}  // namespace kldkit

#endif  // KLDKIT_TESTS_FUZZ_CAPI_FUZZ_OPS_H_
