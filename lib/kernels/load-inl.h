// Loading row elements as float lanes, and walking a row in vectors with a
// padded, masked tail (so no kernel reads past the end of a row).

#if defined(KLDKIT_LIB_KERNELS_LOAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_LOAD_INL_H_
#undef KLDKIT_LIB_KERNELS_LOAD_INL_H_
#else
#define KLDKIT_LIB_KERNELS_LOAD_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "kldkit/row.hpp"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Row element types: float logits, IEEE half, bfloat16, llama.cpp codes.
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF(DF df, const float* HWY_RESTRICT p) {
  return hn::LoadU(df, p);
}
// Highway 1.0.3 emulates f16 -> f32 on targets without a conversion
// instruction and maps exponent 31 (inf, NaN) to finite 2^16 * (1 + m);
// -inf is the padding of masked vocabulary entries, so convert by hand there.
#if HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3 || \
    HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF(DF df, const hwy::float16_t* HWY_RESTRICT p) {
  const hn::Rebind<uint16_t, DF> du16;
  const hn::Rebind<uint32_t, DF> du32;
  const auto h = hn::PromoteTo(
      du32, hn::LoadU(du16, reinterpret_cast<const uint16_t*>(p)));
  const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du32, 0x8000u)));
  const auto magnitude = hn::And(h, hn::Set(du32, 0x7FFFu));
  // Exponent and mantissa shifted into place, rebiased by 2^(127-15): exact
  // for normal and subnormal halves alike.
  auto value = hn::BitCast(du32, hn::Mul(
      hn::BitCast(df, hn::ShiftLeft<13>(magnitude)), hn::Set(df, 0x1.0p112f)));
  const hn::Rebind<int32_t, DF> di32;  // 1.0.3 has no unsigned >= on SSE4
  const auto special = hn::RebindMask(
      du32, hn::Gt(hn::BitCast(di32, magnitude), hn::Set(di32, 0x7BFF)));
  value = hn::IfThenElse(
      special, hn::Or(hn::ShiftLeft<13>(magnitude), hn::Set(du32, 0x7F800000u)),
      value);
  return hn::BitCast(df, hn::Or(value, sign));
}
#else
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF(DF df, const hwy::float16_t* HWY_RESTRICT p) {
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::PromoteTo(df, hn::LoadU(dh, p));
}
#endif
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF(DF df, const hwy::bfloat16_t* HWY_RESTRICT p) {
  const hn::Rebind<hwy::bfloat16_t, DF> db;
  return hn::PromoteTo(df, hn::LoadU(db, p));
}
// llama.cpp codes (0..65535) as exact floats.
template <class DF, class VU16>
HWY_INLINE hn::Vec<DF> CodesToFloat(DF df, VU16 codes) {
  const hn::Rebind<int32_t, DF> di32;
  return hn::ConvertTo(df, hn::BitCast(di32, hn::PromoteTo(
      hn::Rebind<uint32_t, DF>(), codes)));
}
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF(DF df, const uint16_t* HWY_RESTRICT p) {
  return CodesToFloat(df, hn::LoadU(hn::Rebind<uint16_t, DF>(), p));
}

// Padding that contributes nothing: -inf logits, code 0 (masked anyway).
template <typename T> T NeutralPad();
template <> inline float NeutralPad<float>() { return -HUGE_VALF; }
template <> inline hwy::float16_t NeutralPad<hwy::float16_t>() {
  hwy::float16_t v;
  const uint16_t bits = 0xFC00;  // -inf
  std::memcpy(&v, &bits, 2);
  return v;
}
template <> inline hwy::bfloat16_t NeutralPad<hwy::bfloat16_t>() {
  hwy::bfloat16_t v;
  const uint16_t bits = 0xFF80;  // -inf
  std::memcpy(&v, &bits, 2);
  return v;
}
template <> inline uint16_t NeutralPad<uint16_t>() { return 0; }

// Stands for an all-true mask, so full vectors pay no mask operation.
struct AllLanes {};
template <class M>
HWY_INLINE M KeepValid(AllLanes, M m) {
  return m;
}
template <class M>
HWY_INLINE M KeepValid(M valid, M m) {
  return hn::And(valid, m);
}

// v with the lanes past a row's end set to 0.
template <class V>
HWY_INLINE V ZeroInvalid(AllLanes, V v) {
  return v;
}
template <class M, class V>
HWY_INLINE V ZeroInvalid(M valid, V v) {
  return hn::IfThenElseZero(valid, v);
}

// Calls func(a_ptr, b_ptr, valid) for each vector of [begin, end) of two
// parallel rows; `valid` is AllLanes{} for full vectors. The last partial
// vector is copied into padded stack buffers and `valid` is then a mask of
// its real lanes (combine masks with KeepValid).
template <class DF, typename TA, typename TB, class Func>
HWY_INLINE void ForEachVector2(DF df, const TA* HWY_RESTRICT a,
                               const TB* HWY_RESTRICT b, size_t begin,
                               size_t end, const Func& func) {
  const size_t N = hn::Lanes(df);
  size_t i = begin;
  for (; i + N <= end; i += N) func(a + i, b + i, AllLanes{});
  if (i == end) return;
  HWY_ALIGN TA pad_a[hn::MaxLanes(df)];
  HWY_ALIGN TB pad_b[hn::MaxLanes(df)];
  const size_t rest = end - i;
  for (size_t k = 0; k < N; ++k) {
    pad_a[k] = k < rest ? a[i + k] : NeutralPad<TA>();
    pad_b[k] = k < rest ? b[i + k] : NeutralPad<TB>();
  }
  func(pad_a, pad_b, hn::FirstN(df, rest));
}

// One-row version of ForEachVector2.
template <class DF, typename T, class Func>
HWY_INLINE void ForEachVector(DF df, const T* HWY_RESTRICT a, size_t begin,
                              size_t end, const Func& func) {
  ForEachVector2(df, a, a, begin, end,
                 [&func](const T* pa, const T*, auto valid) {
                   func(pa, valid);
                 });
}

// Stores the vector for elements [i, i + Lanes) of an n-element output,
// writing only the real elements of a last partial vector.
template <class D, typename T>
HWY_INLINE void StoreElements(D d, hn::Vec<D> v, T* HWY_RESTRICT out, size_t i,
                              size_t n) {
  if (i + hn::Lanes(d) <= n) {
    hn::StoreU(v, d, out + i);
  } else {
    HWY_ALIGN T tail[hn::MaxLanes(d)];
    hn::Store(v, d, tail);
    std::memcpy(out + i, tail, (n - i) * sizeof(T));
  }
}

// Calls fn(typed pointer) for float row data of any element type.
template <class Fn>
HWY_INLINE auto WithFloatType(const void* data, RowType type, const Fn& fn) {
  switch (type) {
    case RowType::kF16:
      return fn(static_cast<const hwy::float16_t*>(data));
    case RowType::kBF16:
      return fn(static_cast<const hwy::bfloat16_t*>(data));
    default:
      return fn(static_cast<const float*>(data));
  }
}

// Horizontal reductions returning a scalar.
template <class DF>
HWY_INLINE float ReduceMax(DF df, hn::Vec<DF> v) {
  return hn::GetLane(hn::MaxOfLanes(df, v));
}
template <class DF>
HWY_INLINE double ReduceSum(DF df, hn::Vec<DF> v) {
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(df, v)));
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_LOAD_INL_H_
