// Long-double reference implementations of every kernel in
// include/kldkit/kernels.hpp, written straight from the documented formulas
// (expl/logl, no tricks) so the SIMD kernels can be checked against values
// accurate far beyond float. Inputs are exact float values (f16/bf16 rows
// are decoded first by the tests). Test code only.
#ifndef KLDKIT_TESTS_KERNELS_REFERENCE_H_
#define KLDKIT_TESTS_KERNELS_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kldkit/kernels.hpp"

namespace kldkit {
namespace testing {

struct RefMaxArg {
  float value;
  size_t index;  // first index of the maximum
};

// Maximum and its first index; NaN entries are the caller's business.
RefMaxArg RefMaxAndArgmax(const float* x, size_t n);

// log(sum exp(x_i)); -inf for an all -inf row.
long double RefLogSumExp(const float* x, size_t n);

// x_i - max - log(sum exp(x_j - max)), so entries near the maximum keep
// their full precision even when |x| is large.
std::vector<long double> RefLogSoftmax(const float* x, size_t n);

// scale * u_i + min_log_prob for a llama.cpp row, in long double.
std::vector<long double> RefDequantize(const uint16_t* row, size_t n);

// A model row as the reference reads it: float logits, or a stored
// llama.cpp row (log-probs read as stored, not renormalised).
struct RefModel {
  const float* logits = nullptr;  // set one of the two
  const uint16_t* llama = nullptr;
};

// The exact long-double statistics of one token, with the same flags and
// tops as TokenResult. Invalid results carry NaN statistics and -1 tops.
struct RefToken {
  long double kld = 0;
  long double nll = 0;
  long double nll_base = 0;
  long double p = 0;
  long double p_base = 0;
  long double dp = 0;
  int32_t top = -1;
  int32_t top_base = -1;
  uint32_t flags = 0;
};

// kLlamaCpp and kTail: `base` is a llama.cpp row. The -16 cut of kLlamaCpp
// is decided on the float value scale*u + min_log_prob (mul then add in
// float), exactly as llama.cpp decides it; every term is then long double.
RefToken RefCompareLlama(const uint16_t* base, RefModel model, size_t n,
                         int32_t target, CompareMode mode);

// kExact: two float rows, each normalised over the whole vocabulary.
RefToken RefCompareExact(const float* base, const float* model, size_t n,
                         int32_t target);

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_KERNELS_REFERENCE_H_
