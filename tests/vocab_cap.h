// Emulated runs (the arm64 stage under qemu, 10-30x slower) cap the
// vocabularies of the large-row tests: KLDKIT_TEST_MAX_VOCAB=N turns a
// test's 248,320-token rows into N-token ones. Unset, nothing changes.
#ifndef KLDKIT_TESTS_VOCAB_CAP_H_
#define KLDKIT_TESTS_VOCAB_CAP_H_

#include <algorithm>
#include <cstddef>
#include <cstdlib>

namespace kldkit {
namespace testing {

inline size_t CappedVocab(size_t n) {
  const char* cap = std::getenv("KLDKIT_TEST_MAX_VOCAB");
  if (cap == nullptr || *cap == '\0') return n;
  const unsigned long long v = std::strtoull(cap, nullptr, 10);
  return v == 0 ? n : std::min<size_t>(n, static_cast<size_t>(v));
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_VOCAB_CAP_H_
