// What identifies an evaluation across files written by different runs:
// partial states and token files record it, merges and ranks compare it.
// Not installed.
#ifndef KLDKIT_LIB_EVALUATION_IDENTITY_H_
#define KLDKIT_LIB_EVALUATION_IDENTITY_H_

#include <cstdint>

#include "kldkit/evaluate.hpp"

namespace kldkit {
namespace detail {

// XXH3-64 of n_ctx and the token ids, little-endian.
uint64_t EvaluationIdentity(const TokenLayout& layout);

// Chunks of the whole evaluation, from its rows (the last may be partial).
uint32_t EvaluationChunks(const Evaluation& e);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_EVALUATION_IDENTITY_H_
