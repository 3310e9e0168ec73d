#include "tests/kernels/test_util.h"

#include <cstring>
#include <limits>
#include <random>
#include <sstream>

namespace kldkit {
namespace testing {
namespace {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr uint16_t kF16NaN = 0x7E00;
constexpr uint16_t kBF16NaN = 0x7FC0;

uint32_t BitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// Index of the first element of `p + i` that lies on a 64-byte boundary.
template <class T>
size_t AlignedIndex(const T* p) {
  size_t i = 0;
  while (reinterpret_cast<uintptr_t>(p + i) % 64 != 0) ++i;
  return i;
}

}  // namespace

uint16_t F16FromF32(float f) {
  const uint32_t x = BitsOf(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | kF16NaN;
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (abs < 0x38800000u) {                          // below 2^-14: subnormal
    const float units = FromBits(abs) * 16777216.0f;  // in 2^-24, exact
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(
                                             std::nearbyint(units)));
  }
  const uint32_t rebiased = abs - (112u << 23);
  uint32_t half = rebiased >> 13;
  const uint32_t rest = rebiased & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u) != 0)) ++half;
  return static_cast<uint16_t>(sign | half);
}

float F32FromF16(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign != 0 ? -v : v;
  }
  if (exp == 31) return FromBits(sign | 0x7f800000u | (mant << 13));
  return FromBits(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t BF16FromF32(float f) {
  const uint32_t x = BitsOf(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((x >> 16) | 0x0040u);
  }
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float F32FromBF16(uint16_t b) { return FromBits(static_cast<uint32_t>(b) << 16); }

const std::vector<size_t>& SmallSizes() {
  static const std::vector<size_t> sizes = {1,  2,  3,  4,  5,  7,   8,   9,
                                            15, 16, 17, 31, 32, 33,  63,  64,
                                            65, 66, 127, 129, 255, 1000};
  return sizes;
}

const std::vector<size_t>& LargeSizes() {
  static const std::vector<size_t> sizes = {
      CappedVocab(32000), CappedVocab(248320), CappedVocab(262144)};
  return sizes;
}

GuardedRow::GuardedRow(const std::vector<float>& x, RowType type,
                       size_t offset)
    : type_(type), n_(x.size()), values_(x.size()) {
  if (type == RowType::kF32) {
    f32_.assign(n_ + offset + kGuard + 64, kNaNf);
    float* start = f32_.data() + AlignedIndex(f32_.data()) + offset;
    std::memcpy(start, x.data(), n_ * sizeof(float));
    values_ = x;
    start_ = start;
    return;
  }
  const bool half = type == RowType::kF16;
  u16_.assign(n_ + offset + kGuard + 64, half ? kF16NaN : kBF16NaN);
  uint16_t* start = u16_.data() + AlignedIndex(u16_.data()) + offset;
  for (size_t i = 0; i < n_; ++i) {
    start[i] = half ? F16FromF32(x[i]) : BF16FromF32(x[i]);
    values_[i] = half ? F32FromF16(start[i]) : F32FromBF16(start[i]);
  }
  start_ = start;
}

RowView GuardedRow::View() const { return {start_, n_, type_}; }

GuardedOut::GuardedOut(size_t n, size_t offset)
    : buf_(n + offset + 2 * kGuard + 64, kNaNf), n_(n) {
  start_ = buf_.data() + AlignedIndex(buf_.data()) + kGuard + offset;
  for (size_t i = 0; i < n; ++i) start_[i] = 12345.0f;
}

bool GuardedOut::GuardsIntact() const {
  for (const float* p = buf_.data(); p < start_; ++p) {
    if (!std::isnan(*p)) return false;
  }
  for (const float* p = start_ + n_; p < buf_.data() + buf_.size(); ++p) {
    if (!std::isnan(*p)) return false;
  }
  return true;
}

const std::vector<Shape>& AllShapes() {
  static const std::vector<Shape> shapes = {
      Shape::kUniform, Shape::kAllEqual, Shape::kDominant,
      Shape::kTiesAtMax, Shape::kNegInf, Shape::kMaxAtEnd};
  return shapes;
}

std::string ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kUniform: return "uniform";
    case Shape::kAllEqual: return "all-equal";
    case Shape::kDominant: return "dominant";
    case Shape::kTiesAtMax: return "ties-at-max";
    case Shape::kNegInf: return "neg-inf";
    case Shape::kMaxAtEnd: return "max-at-end";
  }
  return "?";
}

std::string RowLabel(RowType type, Shape shape, float spread, size_t n,
                     size_t offset) {
  std::ostringstream label;
  label << TypeName(type) << " " << ShapeName(shape) << " spread=" << spread
        << " n=" << n << " offset=" << offset;
  return label.str();
}

std::vector<float> MakeRow(Shape shape, size_t n, float spread,
                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uni(-0.5f * spread, 0.5f * spread);
  std::vector<float> x(n);
  for (float& v : x) v = uni(rng);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  switch (shape) {
    case Shape::kUniform:
      break;
    case Shape::kAllEqual:
      for (float& v : x) v = 0.75f * spread;
      break;
    case Shape::kDominant:
      for (float& v : x) v *= 1e-3f;
      x[pick(rng)] = 40.0f;
      break;
    case Shape::kTiesAtMax: {
      const float top = spread;  // above every uniform entry
      x[n - 1] = top;
      for (int k = 0; k < 3; ++k) x[pick(rng)] = top;
      break;
    }
    case Shape::kNegInf:
      for (size_t i = 0; i < n; ++i) {
        if (i % 3 == seed % 3) x[i] = -INFINITY;
      }
      break;
    case Shape::kMaxAtEnd:
      for (size_t i = 0; i < n; ++i) {
        x[i] = spread * static_cast<float>(i) / static_cast<float>(n) - 1.0f;
      }
      x[n - 1] = 2.0f * spread;  // the ramp ties in float for tiny spreads
      break;
  }
  return x;
}

std::vector<float> GaussianLogits(size_t n, float spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> bulk(0.0f, spread);
  std::vector<float> x(n);
  for (float& v : x) v = bulk(rng);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  std::uniform_real_distribution<float> boost(4.0f, 12.0f);
  for (int k = 0; k < 4; ++k) x[pick(rng)] += boost(rng) * spread;
  return x;
}

}  // namespace testing
}  // namespace kldkit
