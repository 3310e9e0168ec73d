// Fuzz target: the row kernels with fuzzed arguments (what a C ABI caller or
// a hostile file can hand them). Rows sit in exactly sized heap buffers so
// ASan catches any read past a row's end. Every call must return or throw
// kldkit::Error; what it returns must be in range.
//
// Input layout (see make_corpus.py): op, base type, model type, mode,
// flags, uint16 n_vocab, uint32 target, float floor, then row bytes (cycled
// as needed).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "kldkit/row.hpp"
#include "kldkit/sparse_rows.hpp"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using kldkit::RowType;
using kldkit::RowView;

enum Op : uint8_t { kCompare, kLogSoftmax, kQuantize, kReduce, kDequantize,
                    kOpCount };
enum Flags : uint8_t {
  kRawTarget = 1 << 0,   // target as given, else folded into [0, n_vocab)
  kSmallLogits = 1 << 1, // f32 rows from int8 bytes / 4: realistic values
  kMisalign = 1 << 2,    // rows start one element after the allocation
  kWrongSize = 1 << 3,   // output spans one element too long or short
  kShorter = 1 << 4,     // with kWrongSize: shorter
  kExtras = 1 << 5,      // ask for every measure (kWrongSize: a span
                         // one value short, which must throw)
  kStrict = 1 << 6,      // QuantizeOptions::strict
  kInPlace = 1 << 7,     // LogSoftmax of an f32 row into itself
};

struct Args {
  uint8_t op, flags;
  RowType base_type, model_type;
  uint32_t mode;
  size_t n_vocab;
  int32_t target;
  float floor;
};

// Type values 0..4 are defined; 5 stands for any undefined value.
RowType TypeFrom(uint8_t b) { return static_cast<RowType>(b % 6); }

size_t RowBytes(RowType type, size_t n) {
  switch (type) {
    case RowType::kF16:
    case RowType::kBF16:
      return 2 * n;
    case RowType::kLlamaU16:
    case RowType::kLlamaSparse:  // the dense row it is made from
      return 2 * kldkit::LlamaRowWords(n);
    default:
      return 4 * n + 8;  // f32, and room for an undefined type
  }
}

// One row in a heap block that ends exactly where the row ends.
class Row {
 public:
  Row(RowType type, size_t n, uint8_t flags, size_t phase,
      kldkit::fuzz::Cursor* in) {
    const size_t bytes = RowBytes(type, n);
    const size_t skip = (flags & kMisalign) ? (type == RowType::kF32 ? 4 : 2)
                                            : 0;
    buf_.resize(skip + bytes);
    data_ = buf_.data() + skip;
    in->FillCycling(data_, bytes, phase);
    if (type == RowType::kF32 && (flags & kSmallLogits)) {
      std::vector<uint8_t> small(n);
      in->FillCycling(small.data(), n, phase);
      for (size_t i = 0; i < n; ++i) {
        const float v = static_cast<int8_t>(small[i]) * 0.25f;
        std::memcpy(data_ + 4 * i, &v, 4);
      }
    }
    view_ = RowView{data_, n, type};
    if (type == RowType::kLlamaSparse) MakeSparse(n, flags);
  }
  const RowView& View() const { return view_; }
  const uint8_t* Bytes() const { return data_; }
  // A sparse row whose count disagrees with its bitmap (kWrongSize).
  bool Corrupt() const { return corrupt_; }
  float* F32() { return reinterpret_cast<float*>(data_); }

 private:
  // The sparse form of the dense words; kWrongSize takes a code off its
  // count, which CompareRow must refuse before reading the codes.
  void MakeSparse(size_t n, uint8_t flags) {
    std::vector<uint16_t> words(kldkit::LlamaRowWords(n));
    std::memcpy(words.data(), data_, words.size() * 2);
    sparse_.Reset(n);
    if (n > 0) sparse_.AppendDense(words.data());
    row_ = n > 0 ? sparse_.Row(0) : kldkit::SparseLlamaRow{};
    if (n == 0) row_.nonzero = nullptr;
    if ((flags & kWrongSize) && row_.count > 0) {
      --row_.count;
      corrupt_ = true;
    }
    view_ = RowView::LlamaSparse(&row_, n);
  }

  std::vector<uint8_t> buf_;
  uint8_t* data_;
  RowView view_;
  kldkit::SparseRows sparse_;
  kldkit::SparseLlamaRow row_;
  bool corrupt_ = false;
};

bool IsFloat(RowType t) {
  return t == RowType::kF32 || t == RowType::kF16 || t == RowType::kBF16;
}

// The pairs CompareRow documents; any other must throw.
bool PairAccepted(const Args& a, const Row& base) {
  const auto mode = static_cast<kldkit::CompareMode>(a.mode);
  const bool model_ok =
      IsFloat(a.model_type) || a.model_type == RowType::kLlamaU16;
  if (mode == kldkit::CompareMode::kExact) {
    return IsFloat(a.base_type) && IsFloat(a.model_type);
  }
  const bool llama = mode == kldkit::CompareMode::kLlamaCpp ||
                     mode == kldkit::CompareMode::kTail;
  if (a.base_type == RowType::kLlamaSparse) {
    // Float models only, no measures, a consistent row.
    return llama && IsFloat(a.model_type) && !(a.flags & kExtras) &&
           !base.Corrupt();
  }
  return llama && a.base_type == RowType::kLlamaU16 && model_ok;
}

size_t OutSize(size_t n, uint8_t flags) {
  if (!(flags & kWrongSize)) return n;
  return (flags & kShorter) ? (n == 0 ? 0 : n - 1) : n + 1;
}

// The measures' documented ranges (slack for float rounding); NaN only
// for a row pair with no probability mass, never otherwise.
void CheckMeasures(const kldkit::MeasureValues& m, size_t n_vocab) {
  using kldkit::FindMeasure;
  using kldkit::Measure;
  const auto at = [&](Measure id, int i) {
    return m.v[FindMeasure(id)->slot + i];
  };
  const double jsd = at(Measure::kJsd, 0), tvd = at(Measure::kTvd, 0);
  if (std::isnan(jsd)) return;  // a massless pair: every value is NaN
  FUZZ_CHECK(!std::isnan(at(Measure::kReverseKld, 0)));
  FUZZ_CHECK(jsd >= -1e-6 && jsd <= std::log(2.0) + 1e-5);
  FUZZ_CHECK(tvd >= 0 && tvd <= 1 + 1e-5);
  for (int i = 0; i < 2; ++i) {
    const double overlap = at(Measure::kTopKOverlap, i);
    FUZZ_CHECK(overlap >= 0 && overlap <= 1);
    const double rank = at(Measure::kTargetInTopK, i);
    FUZZ_CHECK(rank >= 0 && rank < static_cast<double>(n_vocab));
  }
  for (Measure h : {Measure::kEntropyBase, Measure::kEntropyModel}) {
    FUZZ_CHECK(at(h, 0) >= -1e-5 &&
               at(h, 0) <= std::log(static_cast<double>(n_vocab) + 1) + 1e-3);
  }
  const double p_top = at(Measure::kConfidenceBuckets, 0);
  FUZZ_CHECK(p_top >= 0 && p_top <= 1.002);  // a stored top lp may be 1e-3
}

void Compare(const Args& a, const Row& base, const Row& model) {
  kldkit::CompareOptions options;
  options.mode = static_cast<kldkit::CompareMode>(a.mode);
  const bool measures = (a.flags & kExtras) != 0;
  options.extras = measures ? kldkit::AllMeasures() : 0u;
  const size_t values = kldkit::MeasureValueCount(options.extras);
  std::vector<double> extras(
      measures ? ((a.flags & kWrongSize) ? values - 1 : values) : 0);
  const kldkit::TokenResult t = kldkit::CompareRow(
      base.View(), model.View(), a.target, options, extras);
  FUZZ_CHECK(a.target >= 0 && static_cast<size_t>(a.target) < a.n_vocab);
  FUZZ_CHECK(PairAccepted(a, base) && extras.size() == values);
  if (!t.Valid()) return;
  if (measures) CheckMeasures(t.measures, a.n_vocab);
  FUZZ_CHECK(t.top >= 0 && static_cast<size_t>(t.top) < a.n_vocab);
  FUZZ_CHECK(t.top_base >= 0 && static_cast<size_t>(t.top_base) < a.n_vocab);
  FUZZ_CHECK(t.SameTop() == (t.top == t.top_base));
  FUZZ_CHECK(!std::isnan(t.kld));
}

void LogSoftmax(const Args& a, Row& base) {
  const bool in_place = (a.flags & kInPlace) && a.base_type == RowType::kF32;
  std::vector<float> out(OutSize(a.n_vocab, a.flags));
  gsl::span<float> dst = in_place ? gsl::span<float>(base.F32(), a.n_vocab)
                                  : gsl::span<float>(out);
  kldkit::LogSoftmax(base.View(), dst);
  FUZZ_CHECK(IsFloat(a.base_type) && a.n_vocab >= 1);
  FUZZ_CHECK(dst.size() == a.n_vocab);
  for (const float v : dst) FUZZ_CHECK(!std::isnan(v) && v <= 1e-5f);
}

void Quantize(const Args& a, const Row& base) {
  std::vector<uint16_t> out(
      OutSize(kldkit::LlamaRowWords(a.n_vocab), a.flags));
  kldkit::QuantizeOptions options;
  options.floor = a.floor;
  options.strict = (a.flags & kStrict) != 0;
  kldkit::QuantizeRow(base.View(), out, options);
  FUZZ_CHECK(IsFloat(a.base_type) && a.n_vocab >= 1);
  FUZZ_CHECK(out.size() == kldkit::LlamaRowWords(a.n_vocab));
  if (a.n_vocab % 2 == 1) FUZZ_CHECK(out.back() == 0);  // padding word
}

void Reduce(const Args& a, const Row& base) {
  const kldkit::MaxArg m = kldkit::MaxAndArgmax(base.View());
  FUZZ_CHECK(IsFloat(a.base_type) && m.index < a.n_vocab);
  try {
    const float lse = kldkit::LogSumExp(base.View());
    FUZZ_CHECK(!std::isnan(lse) && lse >= m.value);
  } catch (const kldkit::Error&) {
  }
}

void Dequantize(const Args& a, const Row& base) {
  // The words come from `base` whatever its type; a wrong-size word span
  // (kWrongSize) must be rejected.
  const size_t words = OutSize(kldkit::LlamaRowWords(a.n_vocab), a.flags);
  std::vector<uint16_t> row(words);
  const size_t bytes = std::min(words * 2, RowBytes(a.base_type, a.n_vocab));
  if (bytes > 0) std::memcpy(row.data(), base.Bytes(), bytes);
  std::vector<float> out(a.n_vocab);
  kldkit::DequantizeRow(row, a.n_vocab, out);
}

void Run(const Args& a, kldkit::fuzz::Cursor* in) {
  // The model row starts half-way through the row bytes: the two differ.
  Row base(a.base_type, a.n_vocab, a.flags, 0, in);
  const Row model(a.model_type, a.n_vocab, a.flags, in->Left() / 2, in);
  switch (a.op) {
    case kCompare: return Compare(a, base, model);
    case kLogSoftmax: return LogSoftmax(a, base);
    case kQuantize: return Quantize(a, base);
    case kReduce: return Reduce(a, base);
    default: return Dequantize(a, base);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kldkit::fuzz::Cursor in(data, size);
  Args a;
  a.op = static_cast<uint8_t>(in.U8() % kOpCount);
  a.base_type = TypeFrom(in.U8());
  a.model_type = TypeFrom(in.U8());
  a.mode = in.U8() % 4;  // 3 is undefined
  a.flags = in.U8();
  a.n_vocab = in.U16() % 16385;  // 0 is invalid; 16384 spans many vectors
  const uint32_t raw = in.U32();
  a.target = (a.flags & kRawTarget) || a.n_vocab == 0
                 ? static_cast<int32_t>(raw)
                 : static_cast<int32_t>(raw % a.n_vocab);
  a.floor = in.F32();
  try {
    Run(a, &in);
  } catch (const kldkit::Error&) {
    // Rejected arguments or non-finite data: the documented outcome.
  }
  return 0;
}
