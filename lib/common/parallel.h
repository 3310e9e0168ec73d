// A minimal parallel loop for the library's own per-row work. Not installed.
#ifndef KLDKIT_LIB_COMMON_PARALLEL_H_
#define KLDKIT_LIB_COMMON_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace kldkit {
namespace detail {

// Runs body(i) for i in [0, n) on up to `threads` threads (the caller's
// included; i is taken round-robin). Rethrows the first exception once
// every thread has stopped.
void ParallelFor(size_t n, size_t threads,
                 const std::function<void(size_t)>& body);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_COMMON_PARALLEL_H_
