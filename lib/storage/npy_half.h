// IEEE 754 binary16 to binary32, exact (every half is a float). Not installed.
#ifndef KLDKIT_LIB_STORAGE_NPY_HALF_H_
#define KLDKIT_LIB_STORAGE_NPY_HALF_H_

#include <cstdint>
#include <cstring>

namespace kldkit {
namespace detail {

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {  // inf, NaN (payload kept)
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias 15 -> 127
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    std::memcpy(&bits, &magnitude, sizeof(bits));
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_STORAGE_NPY_HALF_H_
