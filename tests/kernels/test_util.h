// Helpers shared by the kernel tests: scalar f16/bf16 conversion, rows in
// NaN-guarded buffers at chosen misalignments, adversarial row shapes, and
// tolerance formulas. Test code only.
#ifndef KLDKIT_TESTS_KERNELS_TEST_UTIL_H_
#define KLDKIT_TESTS_KERNELS_TEST_UTIL_H_

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kldkit/kernels.hpp"
#include "kldkit/row.hpp"
#include "tests/vocab_cap.h"

namespace kldkit {
namespace testing {

// IEEE binary16 and bfloat16 conversion, round to nearest even.
uint16_t F16FromF32(float f);
float F32FromF16(uint16_t h);
uint16_t BF16FromF32(float f);
float F32FromBF16(uint16_t b);

// Vocabulary sizes around lane counts, odd sizes and real vocabularies.
const std::vector<size_t>& SmallSizes();
// 32000, 248320, 262144, each capped by KLDKIT_TEST_MAX_VOCAB.
const std::vector<size_t>& LargeSizes();

// Words or floats written past a row's end (and before a misaligned start)
// to catch over-reads: NaN for float rows.
constexpr size_t kGuard = 16;

// One row in a 64-byte-aligned buffer, starting `offset` elements in, with
// NaN guards around it. `Values()` are the exact floats the kernel sees
// (after f16/bf16 rounding), what the references take.
class GuardedRow {
 public:
  GuardedRow(const std::vector<float>& x, RowType type, size_t offset);
  RowView View() const;
  const std::vector<float>& Values() const { return values_; }

 private:
  RowType type_;
  size_t n_;
  std::vector<float> f32_;
  std::vector<uint16_t> u16_;
  const void* start_ = nullptr;
  std::vector<float> values_;
};

// A float output buffer with a guard on both sides, to catch over-writes.
class GuardedOut {
 public:
  GuardedOut(size_t n, size_t offset);
  gsl::span<float> Span() { return {start_, n_}; }
  bool GuardsIntact() const;

 private:
  std::vector<float> buf_;
  float* start_;
  size_t n_;
};

// Row shapes the kernels must survive.
enum class Shape {
  kUniform,    // uniform in [-spread/2, spread/2]
  kAllEqual,   // every entry the same value
  kDominant,   // one token 40 nats above a small-spread bulk
  kTiesAtMax,  // the maximum repeated at several positions, last one last
  kNegInf,     // random with a third of the entries -inf
  kMaxAtEnd,   // strictly increasing: the maximum is the last element
};
const std::vector<Shape>& AllShapes();
std::string ShapeName(Shape shape);

std::vector<float> MakeRow(Shape shape, size_t n, float spread,
                           uint64_t seed);

// Realistic-looking logits for quantize/compare tests: Gaussian bulk of std
// `spread` plus a few boosted candidates.
std::vector<float> GaussianLogits(size_t n, float spread, uint64_t seed);

// k * eps * max(|expected|, scale, 1): the tolerance formula of all tests.
inline double Tol(double k, double expected, double scale = 1.0) {
  return k * FLT_EPSILON *
         std::fmax(std::fmax(std::fabs(expected), std::fabs(scale)), 1.0);
}

inline const char* TypeName(RowType type) {
  switch (type) {
    case RowType::kF32: return "f32";
    case RowType::kF16: return "f16";
    case RowType::kBF16: return "bf16";
    case RowType::kLlamaU16: return "llama";
    case RowType::kLlamaSparse: return "llama-sparse";
  }
  return "?";
}

std::string RowLabel(RowType type, Shape shape, float spread, size_t n,
                     size_t offset);

inline constexpr RowType kFloatTypes[] = {RowType::kF32, RowType::kF16,
                                          RowType::kBF16};
inline constexpr float kSpreads[] = {1e-3f, 1.0f, 30.0f, 1e4f};

// Calls `check(row, label)` for every shape, spread, type, small size and a
// rotating misalignment of 0..15 elements; large sizes get fewer spreads.
template <class Check>
void ForEachRow(Check check) {
  uint64_t seed = 1;
  for (RowType type : kFloatTypes) {
    for (Shape shape : AllShapes()) {
      for (float spread : kSpreads) {
        for (size_t n : SmallSizes()) {
          const size_t offset = seed % 16;
          GuardedRow row(MakeRow(shape, n, spread, seed++), type, offset);
          check(row, RowLabel(type, shape, spread, n, offset));
        }
      }
      for (size_t n : LargeSizes()) {
        const float spread = kSpreads[seed % 4];
        const size_t offset = seed % 16;
        GuardedRow row(MakeRow(shape, n, spread, seed++), type, offset);
        check(row, RowLabel(type, shape, spread, n, offset));
      }
    }
  }
}

// Runs `fn` and returns the status of the kldkit::Error it threw, or
// KLDKIT_OK if it threw nothing.
template <class Fn>
kldkit_status StatusOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.Status();
  }
  return KLDKIT_OK;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_KERNELS_TEST_UTIL_H_
