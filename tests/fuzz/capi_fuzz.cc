// Fuzz target: sequences of C ABI calls (capi/kldkit.h) with fuzzed
// arguments. Each input byte stream is a program: one byte picks the next
// operation (accumulators, reports and renderers, a reader over a file made
// of input bytes, the kernels, batches), the following bytes its arguments.
//
// Pointers stay honest, as the contract asks of callers: an argument is
// NULL or a heap block exactly as large as the size passed with it (or the
// struct_size written in it), so ASan reports any access past what the
// caller declared. Freed handles are never passed again.
//
// Invariants: no crash or sanitizer report; every call returns a defined
// status, never INTERNAL; a failure sets a non-empty kldkit_last_error();
// calls on a closed reader fail; a failed decode_merge leaves the
// accumulator's bytes unchanged; a short text or byte buffer is untouched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "kldkit.h"
#include "tests/fuzz/capi_fuzz_ops.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace kldkit {
namespace fuzz {
namespace {

constexpr int kSlots = 3;     // accumulators alive at once
constexpr int kMaxOps = 64;   // per input, so one input stays fast

class Program {
 public:
  explicit Program(Cursor* in) : in_(*in) {}
  ~Program() {
    for (kldkit_accumulator* a : acc_) kldkit_accumulator_free(a);
    kldkit_reader_free(reader_);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  void Run() {
    for (int i = 0; i < kMaxOps && in_.Left() > 0; ++i) Step(in_.U8());
  }

 private:
  void Step(uint8_t op);
  kldkit_accumulator*& Slot() { return acc_[in_.U8() % kSlots]; }
  // A slot's handle, or (1 in 8) NULL.
  kldkit_accumulator* Handle() {
    kldkit_accumulator* a = Slot();
    return (in_.U8() & 7) == 0 ? nullptr : a;
  }
  std::vector<uint8_t> StateBytes();
  // Accumulators.
  void Create();
  void Add();
  void Merge();
  void Serialize();
  void Deserialize();
  void DecodeMerge();
  void MakeReport();
  void Render();
  void RenderAlloc();
  // Reader.
  void Open();
  void Info();
  void Tokens();
  void Target();
  void ReadRow(bool f32);
  void Close();
  void CheckClosed(kldkit_status s) const {
    if (reader_ != nullptr && reader_closed_) {
      FUZZ_CHECK(s == KLDKIT_ERROR_CLOSED ||
                 s == KLDKIT_ERROR_INVALID_ARGUMENT);
    }
  }

  Cursor& in_;
  kldkit_accumulator* acc_[kSlots] = {};
  std::vector<uint8_t> state_;   // the last serialised state
  std::vector<uint8_t> report_;  // the last complete report, if any
  std::unique_ptr<MemFile> file_;
  kldkit_reader* reader_ = nullptr;
  bool reader_closed_ = false;
};

void Program::Step(uint8_t op) {
  switch (op % 23) {
    case 0: return Create();
    case 1: {
      kldkit_accumulator*& a = Slot();
      kldkit_accumulator_free(a);
      a = nullptr;
      return;
    }
    case 2: return Add();
    case 3: return Merge();
    case 4: return Serialize();
    case 5: return Deserialize();
    case 6: return DecodeMerge();
    case 7: return MakeReport();
    case 8: return Render();
    case 9: return Open();
    case 10: return Info();
    case 11: return Tokens();
    case 12: return Target();
    case 13: return ReadRow(false);
    case 14: return ReadRow(true);
    case 15: return Close();
    case 16:
      kldkit_reader_free(reader_);
      reader_ = nullptr;
      return;
    case 17: return RunKernel(&in_);
    case 18: return RunBatch(&in_, Handle());
    case 19: return RunKldzWriter(&in_);
    case 20: {
      kldkit_accumulator* first = Handle();
      return RunCompareFiles(&in_, first, Handle());
    }
    case 21: return RenderAlloc();
    default: return RunVerify(&in_);
  }
}

void Program::Create() {
  Struct<kldkit_accumulator_options> options(
      kldkit_accumulator_options KLDKIT_ACCUMULATOR_OPTIONS_INIT, &in_);
  kldkit_accumulator*& slot = Slot();
  kldkit_accumulator_free(slot);
  slot = reinterpret_cast<kldkit_accumulator*>(&slot);  // must be reset
  const kldkit_status s =
      Expect(kldkit_accumulator_create(&slot, options.Get()));
  FUZZ_CHECK((s == KLDKIT_OK) == (slot != nullptr));
}

void Program::Add() {
  kldkit_accumulator* acc = Handle();
  const size_t n = in_.U8() % 9;
  // Elements `stride` bytes apart, each saying so (1 in 8: one disagrees).
  size_t stride = sizeof(kldkit_token_result);
  const uint8_t pick = in_.U8();
  if (pick & 1) stride += 8 * (pick >> 6);
  if (pick & 2) stride = pick >> 2;  // often too small: must be refused
  // 8 spare bytes: the last element may claim stride + 8 bytes, and the
  // memory an element claims must exist (a C caller's contract; the library
  // cannot see a buffer's end).
  std::vector<uint8_t> buf(std::max(n * stride, sizeof(size_t)) + 8);
  in_.FillCycling(buf.data(), buf.size());
  for (size_t i = 0; i < n; ++i) {
    if (i * stride + sizeof(size_t) > buf.size()) break;
    const size_t value = (pick & 0x20) && i == n - 1 ? stride + 8 : stride;
    std::memcpy(buf.data() + i * stride, &value, sizeof value);
  }
  const auto* results = (pick & 0x10) ? nullptr
      : reinterpret_cast<const kldkit_token_result*>(buf.data());
  Expect(kldkit_accumulator_add(acc, results, n));
}

void Program::Merge() {
  kldkit_accumulator* a = Handle();
  kldkit_accumulator* b = Handle();
  Expect(kldkit_accumulator_merge(a, b));
}

// The accumulator's bytes through the C ABI (a size query, then the copy).
std::vector<uint8_t> SerializeOrDie(const kldkit_accumulator* acc) {
  size_t n = 0;
  FUZZ_CHECK(Expect(kldkit_accumulator_serialize(nullptr, 0, &n, acc)) ==
             KLDKIT_OK);
  std::vector<uint8_t> out(n);
  FUZZ_CHECK(Expect(kldkit_accumulator_serialize(out.data(), n, &n, acc)) ==
             KLDKIT_OK);
  FUZZ_CHECK(n == out.size());
  return out;
}

void Program::Serialize() {
  kldkit_accumulator* acc = Handle();
  const uint8_t how = in_.U8();
  if (acc == nullptr || (how & 3) == 0) {
    size_t size = 0;
    Expect(kldkit_accumulator_serialize(nullptr, 0, &size, acc));
    return;
  }
  const std::vector<uint8_t> full = SerializeOrDie(acc);
  state_ = full;
  // Whatever was added, a state encodes into bytes its decoder takes.
  kldkit_accumulator* back = nullptr;
  FUZZ_CHECK(Expect(kldkit_accumulator_deserialize(
                 &back, full.data(), full.size())) == KLDKIT_OK);
  kldkit_accumulator_free(back);
  if ((how & 3) == 1) {  // kldkit-allocated copy
    uint8_t* bytes = nullptr;
    size_t size = 0;
    Expect(kldkit_accumulator_serialize_alloc(&bytes, &size, acc));
    FUZZ_CHECK(size == full.size() &&
               std::memcmp(bytes, full.data(), size) == 0);
    kldkit_free(bytes);
    return;
  }
  // A buffer up to 3 bytes short or long: short ones are left untouched.
  const size_t len = full.size() + 3 - std::min<size_t>(full.size(), how >> 5);
  std::vector<uint8_t> out(len, 0xA5);
  size_t size = 0;
  const kldkit_status s =
      Expect(kldkit_accumulator_serialize(out.data(), len, &size, acc));
  FUZZ_CHECK(size == full.size());
  FUZZ_CHECK((s == KLDKIT_OK) == (len >= full.size()));
  if (s == KLDKIT_OK) {
    FUZZ_CHECK(std::equal(full.begin(), full.end(), out.begin()));
  } else {
    FUZZ_CHECK(std::all_of(out.begin(), out.end(),
                           [](uint8_t b) { return b == 0xA5; }));
  }
}

// State bytes to decode: the last serialised state as is, with one byte
// flipped, or input bytes.
std::vector<uint8_t> Program::StateBytes() {
  const uint8_t how = in_.U8() % 3;
  std::vector<uint8_t> bytes =
      how == 2 ? in_.Bytes(in_.U16() % 1024) : state_;
  if (how == 1 && !bytes.empty()) {
    bytes[in_.U16() % bytes.size()] ^= static_cast<uint8_t>(in_.U8() | 1);
  }
  return bytes;
}

void Program::Deserialize() {
  std::vector<uint8_t> bytes = StateBytes();
  kldkit_accumulator*& slot = Slot();
  kldkit_accumulator_free(slot);
  slot = reinterpret_cast<kldkit_accumulator*>(&slot);  // must be reset
  const uint8_t* data = bytes.empty() ? nullptr : bytes.data();
  const kldkit_status s =
      Expect(kldkit_accumulator_deserialize(&slot, data, bytes.size()));
  FUZZ_CHECK((s == KLDKIT_OK) == (slot != nullptr));
  if (s == KLDKIT_OK) {
    // A decoded state re-encodes to bytes that decode to the same bytes.
    const std::vector<uint8_t> once = SerializeOrDie(slot);
    kldkit_accumulator* again = nullptr;
    FUZZ_CHECK(Expect(kldkit_accumulator_deserialize(
                   &again, once.data(), once.size())) == KLDKIT_OK);
    FUZZ_CHECK(SerializeOrDie(again) == once);
    kldkit_accumulator_free(again);
  }
}

void Program::DecodeMerge() {
  kldkit_accumulator* acc = Handle();
  std::vector<uint8_t> bytes = StateBytes();
  std::vector<uint8_t> before;
  if (acc != nullptr) before = SerializeOrDie(acc);
  const uint8_t* data = bytes.empty() ? nullptr : bytes.data();
  const kldkit_status s =
      Expect(kldkit_accumulator_decode_merge(acc, data, bytes.size()));
  if (s != KLDKIT_OK && acc != nullptr) {
    FUZZ_CHECK(SerializeOrDie(acc) == before);  // all or nothing
  }
}

void Program::MakeReport() {
  kldkit_accumulator* acc = Handle();
  Struct<kldkit_report> out(kldkit_report KLDKIT_REPORT_INIT, &in_);
  const int with_percentiles = in_.U8() & 1;
  const kldkit_status s =
      Expect(kldkit_accumulator_report(out.Get(), acc, with_percentiles));
  if (s != KLDKIT_OK) return;
  FUZZ_CHECK(out.Get() != nullptr && acc != nullptr);
  // The caller's struct_size is kept; a complete report feeds Render.
  FUZZ_CHECK(out.Get()->struct_size + sizeof(size_t) >= out.Raw().size());
  if (out.Raw().size() == sizeof(kldkit_report)) report_ = out.Raw();
}

void Program::Render() {
  // The last report, or one made of input bytes.
  Struct<kldkit_report> fuzzed(kldkit_report KLDKIT_REPORT_INIT, &in_);
  const kldkit_report* report = fuzzed.Get();
  if ((in_.U8() & 1) && !report_.empty()) {
    report = reinterpret_cast<const kldkit_report*>(report_.data());
  }
  const uint8_t which = in_.U8() % 4;
  const int chunk = static_cast<int>(in_.U32());
  CheckText(&in_, [&](char* out, size_t len, size_t* size) {
    switch (which) {
      case 0: return kldkit_render_text(out, len, size, report);
      case 1: return kldkit_render_json(out, len, size, report);
      case 2: return kldkit_render_chunk_header(out, len, size);
      default: return kldkit_render_chunk_line(out, len, size, chunk, report);
    }
  });
}

// The _alloc renderings of the last report (or one of input bytes): a text
// on success, *text_out NULL on failure.
void Program::RenderAlloc() {
  Struct<kldkit_report> fuzzed(kldkit_report KLDKIT_REPORT_INIT, &in_);
  const kldkit_report* report = fuzzed.Get();
  if ((in_.U8() & 1) && !report_.empty()) {
    report = reinterpret_cast<const kldkit_report*>(report_.data());
  }
  const uint8_t which = in_.U8();
  char* text = reinterpret_cast<char*>(&text);  // must be reset
  char** out = (which & 0x30) == 0 ? nullptr : &text;
  kldkit_status s;
  switch (which % 4) {
    case 0: s = kldkit_render_text_alloc(out, report); break;
    case 1: s = kldkit_render_json_alloc(out, report); break;
    case 2: s = kldkit_render_chunk_header_alloc(out); break;
    default:
      s = kldkit_render_chunk_line_alloc(out, static_cast<int>(in_.U32()),
                                         report);
  }
  Expect(s);
  if (out == nullptr) return;
  // A report of under 100 tokens renders as no text, as in llama.cpp.
  FUZZ_CHECK((s == KLDKIT_OK) == (text != nullptr));
  kldkit_free(text);
}

void Program::Open() {
  kldkit_reader_free(reader_);  // the previous one, open or closed
  reader_ = nullptr;
  reader_closed_ = false;
  Struct<kldkit_reader_options> options(
      kldkit_reader_options KLDKIT_READER_OPTIONS_INIT, &in_);
  const std::vector<uint8_t> content = in_.Bytes(in_.U16() % 4096);
  file_ = std::make_unique<MemFile>(content.data(), content.size());
  const char* path = (in_.U8() & 15) == 0 ? nullptr : file_->Path().c_str();
  kldkit_reader* r = reinterpret_cast<kldkit_reader*>(&r);  // must be reset
  const kldkit_status s = Expect(kldkit_reader_open(&r, path, options.Get()));
  FUZZ_CHECK((s == KLDKIT_OK) == (r != nullptr));
  reader_ = r;
}

void Program::Info() {
  Struct<kldkit_reader_info> info(
      kldkit_reader_info KLDKIT_READER_INFO_INIT, &in_);
  CheckClosed(Expect(kldkit_reader_info_get(info.Get(), reader_)));
}

void Program::Tokens() {
  const size_t len = in_.U8() % 64;
  const uint64_t first = in_.U32() % 4096;
  std::vector<int32_t> out(len);
  int32_t* p = (in_.U8() & 7) == 0 ? nullptr : out.data();
  if (len == 0) p = nullptr;
  CheckClosed(Expect(kldkit_reader_read_tokens(p, len, reader_, first)));
}

void Program::Target() {
  int32_t token = 0;
  const uint64_t row = in_.U32() % 4096;
  int32_t* out = (in_.U8() & 7) == 0 ? nullptr : &token;
  CheckClosed(Expect(kldkit_reader_target_token(out, reader_, row)));
}

// A row (or 0..4 rows in bulk, on 0..69 threads) into a buffer of the
// right length, one off, or NULL.
void Program::ReadRow(bool f32) {
  kldkit_reader_info info = KLDKIT_READER_INFO_INIT;
  if (reader_ == nullptr ||
      kldkit_reader_info_get(&info, reader_) != KLDKIT_OK) {
    info.row_len = in_.U8();
  }
  const uint8_t how = in_.U8();
  const bool bulk = !f32 && (how & 8) != 0;
  const uint64_t count = bulk ? in_.U8() % 5 : 1;
  size_t len = static_cast<size_t>(
      std::min<uint64_t>(info.row_len, 1 << 20) * count);
  len = len + (how & 3) - std::min<size_t>(len, 1);  // len-1 .. len+2
  const uint64_t row = (how & 4) ? in_.U32() : in_.U8() % 8;
  kldkit_status s;
  if (bulk) {
    std::vector<uint16_t> out(len);
    uint16_t* p = (how & 0xF0) == 0 || len == 0 ? nullptr : out.data();
    kldkit_kldz_read_options o = KLDKIT_KLDZ_READ_OPTIONS_INIT;
    o.threads = in_.U8() % 70;
    const bool with = (in_.U8() & 1) != 0;
    s = kldkit_reader_read_rows_u16(p, len, reader_, row, count,
                                    with ? &o : nullptr);
  } else if (f32) {
    std::vector<float> out(len);
    float* p = (how & 0xF0) == 0 || len == 0 ? nullptr : out.data();
    s = kldkit_reader_read_row_f32(p, len, reader_, row);
  } else {
    std::vector<uint16_t> out(len);
    uint16_t* p = (how & 0xF0) == 0 || len == 0 ? nullptr : out.data();
    s = kldkit_reader_read_row_u16(p, len, reader_, row);
  }
  CheckClosed(Expect(s));
}

void Program::Close() {
  const kldkit_status s = Expect(kldkit_reader_close(reader_));
  if (reader_ == nullptr || reader_closed_) {
    FUZZ_CHECK(s != KLDKIT_OK);  // NULL, or closed before
  } else {
    FUZZ_CHECK(s == KLDKIT_OK);
    reader_closed_ = true;
  }
}

}  // namespace
}  // namespace fuzz
}  // namespace kldkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kldkit::fuzz::Cursor in(data, size);
  kldkit::fuzz::Program program(&in);
  program.Run();
  return 0;
}
