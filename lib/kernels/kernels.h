// Internal entry points of the dispatched kernels, with plain types (the
// public, validating wrappers are in include/kldkit/kernels.hpp, api.cc).
#ifndef KLDKIT_LIB_KERNELS_KERNELS_H_
#define KLDKIT_LIB_KERNELS_KERNELS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "kldkit/kernels.hpp"
#include "kldkit/row.hpp"

namespace kldkit {
namespace detail {

// Row defects found by a kernel (bit mask; 0 = clean).
enum RowDefect : uint32_t {
  kDefectNaN = 1,
  kDefectPosInf = 2,
  kDefectEmpty = 4,  // no entry above -inf
};

struct MaxArgResult {
  float value = -HUGE_VALF;
  size_t index = 0;
  uint32_t defects = 0;
};

struct LseResult {
  float max = -HUGE_VALF;
  double lse = -HUGE_VAL;  // log sum exp(x), -inf for an all -inf row
  uint32_t defects = 0;
};

// `data` points to n elements of `type` (a float type: f32, f16, bf16).
MaxArgResult DispatchMaxArgmax(const void* data, size_t n, RowType type);
LseResult DispatchLogSumExp(const void* data, size_t n, RowType type);
uint32_t DispatchLogSoftmax(const void* data, size_t n, RowType type,
                            float* out);

// Writes LlamaRowWords(n) words and *info; returns the defects of the
// input (nothing is written then).
uint32_t DispatchQuantizeRow(const void* data, size_t n, RowType type,
                             float floor, bool strict, uint16_t* out,
                             QuantizeInfo* info);
void DispatchDequantizeRow(const uint16_t* words, size_t n, float* out);

// A result with these kInvalid* flags: NaN statistics, -1 tops.
inline TokenResult InvalidResult(uint32_t flags) {
  TokenResult r;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  r.kld = std::numeric_limits<double>::quiet_NaN();
  r.nll = r.nll_base = r.p = r.p_base = r.dp = nan;
  r.top = r.top_base = -1;
  r.flags = flags;
  return r;
}

// A float row's normalisation as a comparison found it: its final
// reference (the maximum) and log-sum-exp. Zero for a llama.cpp row.
struct RowNorm {
  float ref = 0;
  double lse = 0;
};

// A comparison, and its rows' normalisations, which the measures pass
// reuses.
struct CompareOutput {
  TokenResult result;
  RowNorm base, model;
};

// Arguments already validated (sizes, kinds, target range). kTail with a
// stored model gives kLlamaCpp's KLD here; CompareRow replaces it.
CompareOutput DispatchCompare(const RowView& base, const RowView& model,
                              int32_t target, CompareMode mode);
// Whether a sparse row of n tokens is well formed: its count the bits set
// in its bitmap, no bit past n, no code 0. Reads nothing past them.
bool DispatchSparseRowOk(const SparseLlamaRow& row, size_t n);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_KERNELS_KERNELS_H_
