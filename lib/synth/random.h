// Counter-based random numbers for the row generator: every value is a pure
// function of (seed, stream, row, index), so rows can be made in any order,
// on any thread, with no shared engine state.
#ifndef KLDKIT_LIB_SYNTH_RANDOM_H_
#define KLDKIT_LIB_SYNTH_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace kldkit {
namespace detail {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function: a bijective, well-mixed 64-bit hash.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

// Key of one random stream of one row; Hash(key, i) is its i-th value.
inline uint64_t StreamKey(uint64_t seed, uint64_t stream, uint64_t row) {
  return Mix64(Mix64(seed + kGolden * (stream + 1)) ^ (row * kGolden + 1));
}

inline uint64_t Hash(uint64_t key, uint64_t index) {
  return Mix64(key + index * kGolden);
}

// Uniform in [0, 1) with 53 random bits.
inline double Uniform(uint64_t h) {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

// Two independent standard normals from one 64-bit hash (Box-Muller in
// float: 24-bit uniforms bound |z| by 5.77, a 1e-8 tail that does not matter
// here, and float libm keeps a 248K row to a few ms).
inline void BoxMuller(uint64_t h, float* z0, float* z1) {
  constexpr float kTwoPi = 6.28318530717958647692f;
  // u1 in (0, 1] so that log(u1) is finite.
  const float u1 = static_cast<float>((h >> 40) + 1) * 0x1.0p-24f;
  const float u2 = static_cast<float>(h & 0xFFFFFFu) * 0x1.0p-24f;
  const float r = std::sqrt(-2.0f * std::log(u1));
  const float angle = kTwoPi * u2;
  *z0 = r * std::cos(angle);
  *z1 = r * std::sin(angle);
}

// One standard normal (the first of the pair).
inline float Normal(uint64_t h) {
  float z0, z1;
  BoxMuller(h, &z0, &z1);
  return z0;
}

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_SYNTH_RANDOM_H_
