#include "lib/metrics/exact_sum.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kldkit {
namespace detail {

namespace {

constexpr uint64_t kDigit = uint64_t{1} << 32;
constexpr uint64_t kDigitMask = kDigit - 1;
// Each Add moves a limb by less than 2^32, so limbs stay below 2^62 between
// normalizations, and two such sums still add without overflow (Merge).
constexpr uint32_t kNormalizeEvery = uint32_t{1} << 29;
// Limb 66 starts at 2^(32 * 66 - 1074) = 2^1038: beyond every double.
constexpr int kFirstOverflowLimb = 66;

enum Special : uint8_t { kNaN = 1, kPosInf = 2, kNegInf = 4 };

using Limbs = int64_t[ExactSum::kLimbs];

// Bits [low, low + count) of a normalized magnitude, count <= 53.
uint64_t Bits(const Limbs mag, int low, int count) {
  const int j = low >> 5;
  const int s = low & 31;
  const auto limb = [&](int k) {
    return k < ExactSum::kLimbs ? static_cast<uint64_t>(mag[k]) : 0;
  };
  uint64_t v = limb(j) >> s;
  v |= limb(j + 1) << (32 - s);
  if (s > 0) v |= limb(j + 2) << (64 - s);
  return v & ((uint64_t{1} << count) - 1);
}

bool Bit(const Limbs mag, int k) {
  return (static_cast<uint64_t>(mag[k >> 5]) >> (k & 31)) & 1;
}

// Whether any of bits [0, k) is set.
bool AnyBelow(const Limbs mag, int k) {
  for (int j = 0; j < (k >> 5); ++j) {
    if (mag[j] != 0) return true;
  }
  const uint64_t partial = (uint64_t{1} << (k & 31)) - 1;
  return (static_cast<uint64_t>(mag[k >> 5]) & partial) != 0;
}

int HighestLimb(const Limbs mag) {
  for (int j = ExactSum::kLimbs - 1; j >= 0; --j) {
    if (mag[j] != 0) return j;
  }
  return -1;
}

int HighestBit(uint64_t digit) {
  int b = 0;
  while (digit >>= 1) ++b;
  return b;
}

// Carries every limb's excess up so that limbs [0, kLimbs - 1) hold digits
// in [0, 2^32); the top limb keeps the sign.
void Propagate(Limbs limbs) {
  int64_t carry = 0;
  for (int j = 0; j < ExactSum::kLimbs - 1; ++j) {
    const int64_t v = limbs[j] + carry;
    const int64_t digit =
        static_cast<int64_t>(static_cast<uint64_t>(v) & kDigitMask);
    carry = (v - digit) / static_cast<int64_t>(kDigit);  // exact
    limbs[j] = digit;
  }
  limbs[ExactSum::kLimbs - 1] += carry;
}

double SpecialValue(uint8_t special) {
  if ((special & kNaN) || (special & kPosInf && special & kNegInf)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double inf = std::numeric_limits<double>::infinity();
  return (special & kPosInf) ? inf : -inf;
}

}  // namespace

void ExactSum::Add(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const bool negative = bits >> 63;
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  if (biased == 0x7FF) {
    special_ |= fraction != 0 ? kNaN : negative ? kNegInf : kPosInf;
    return;
  }
  // x = m * 2^(p - 1074): subnormals have p = 0 and no hidden bit.
  const uint64_t m = biased ? fraction | (uint64_t{1} << 52) : fraction;
  if (m == 0) return;
  const int p = biased ? biased - 1 : 0;
  const int i = p >> 5;
  const int s = p & 31;
  // m * 2^s spans three digits; (m >> 1) >> (31 - s) avoids a shift by 32.
  const uint64_t low = m << s;
  const uint64_t high = (m >> 1) >> (63 - s);
  const int64_t sign = negative ? -1 : 1;
  limbs_[i] += sign * static_cast<int64_t>(low & kDigitMask);
  limbs_[i + 1] += sign * static_cast<int64_t>(low >> 32);
  limbs_[i + 2] += sign * static_cast<int64_t>(high);
  if (++pending_ >= kNormalizeEvery) Normalize();
}

void ExactSum::Merge(const ExactSum& other) {
  for (int j = 0; j < kLimbs; ++j) limbs_[j] += other.limbs_[j];
  special_ |= other.special_;
  Normalize();
}

void ExactSum::Normalize() {
  Propagate(limbs_);
  pending_ = 0;
}

bool ExactSum::Magnitude(int64_t* limbs) const {
  std::memcpy(limbs, limbs_, sizeof(limbs_));
  Propagate(limbs);
  const bool negative = limbs[kLimbs - 1] < 0;
  if (negative) {
    for (int j = 0; j < kLimbs; ++j) limbs[j] = -limbs[j];
    Propagate(limbs);
  }
  return negative;
}

double ExactSum::Value() const {
  if (special_ != 0) return SpecialValue(special_);
  Limbs mag;
  const bool negative = Magnitude(mag);
  const int h = HighestLimb(mag);
  if (h < 0) return 0.0;
  if (h >= kFirstOverflowLimb) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  // Bit b stands for 2^(b - 1074); below bit 53 every bit fits exactly.
  const int top = 32 * h + HighestBit(static_cast<uint64_t>(mag[h]));
  double value;
  if (top < 53) {
    value = std::ldexp(static_cast<double>(Bits(mag, 0, 53)), -1074);
  } else {
    int low = top - 52;
    uint64_t m = Bits(mag, low, 53);
    if (Bit(mag, low - 1) && ((m & 1) || AnyBelow(mag, low - 1))) ++m;
    if (m == uint64_t{1} << 53) {
      m >>= 1;
      ++low;
    }
    value = std::ldexp(static_cast<double>(m), low - 1074);  // inf past max
  }
  return negative ? -value : value;
}

std::vector<double> ExactSum::Terms() const {
  if (special_ != 0) return {SpecialValue(special_)};
  Limbs mag;
  const bool negative = Magnitude(mag);
  std::vector<double> terms;
  for (int j = kLimbs - 1; j >= 0; --j) {
    if (mag[j] == 0) continue;
    const double t = std::ldexp(static_cast<double>(mag[j]), 32 * j - 1074);
    terms.push_back(negative ? -t : t);
  }
  return terms;
}

}  // namespace detail
}  // namespace kldkit
