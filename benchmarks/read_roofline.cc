// The read roofline's inner loop: sums a row's bytes as integers with the
// widest vectors the CPU has (Highway dispatch). A plain loop compiled for
// the x86-64 baseline reads with SSE2 and is compute-bound on one core when
// the row is cached (BM_ReadPlainLoop/hot: 34-47 us per 248K-vocab row
// against 18 us here); a yardstick slower than memory would make any
// kernel look closer to the memory bound than it is.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/read_roofline.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstdint>

#include "benchmarks/read_roofline.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Sum of `n` 32-bit words in two accumulators (loads are the bottleneck).
uint32_t SumWords(const uint32_t* HWY_RESTRICT p, size_t n) {
  const hn::ScalableTag<uint32_t> d;
  const size_t N = hn::Lanes(d);
  auto a = hn::Zero(d), b = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    a = hn::Add(a, hn::LoadU(d, p + i));
    b = hn::Add(b, hn::LoadU(d, p + i + N));
  }
  uint32_t sum = 0;
  for (; i < n; ++i) sum += p[i];
  return sum + hn::GetLane(hn::SumOfLanes(d, hn::Add(a, b)));
}

uint32_t SumRowBytesT(const uint16_t* HWY_RESTRICT base, size_t base_words,
                      const float* HWY_RESTRICT model, size_t n_vocab) {
  // A llama.cpp row has an even number of words (LlamaRowWords).
  const auto* base32 = reinterpret_cast<const uint32_t*>(base);
  const auto* bits = reinterpret_cast<const uint32_t*>(model);
  return SumWords(base32, base_words / 2) ^ SumWords(bits, n_vocab);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kldkit {
HWY_EXPORT(SumRowBytesT);

uint32_t SumRowBytes(const uint16_t* base, size_t base_words,
                     const float* model, size_t n_vocab) {
  return HWY_DYNAMIC_DISPATCH(SumRowBytesT)(base, base_words, model, n_vocab);
}
}  // namespace kldkit
#endif
