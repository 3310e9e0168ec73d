// Fuzz target: partial evaluation states (docs/partial-state.md) from
// hostile bytes. Decoding either throws kldkit::Error or gives a state
// whose accumulators hold no more tokens than its range has rows, whose
// re-encoding decodes again to the same bytes, and which merges with a
// copy of itself only when its range is empty (an overlap otherwise).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/partial.hpp"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kldkit::PartialEvaluation p;
  try {
    p = kldkit::DecodePartial({data, size});
  } catch (const kldkit::Error&) {
    return 0;
  }
  FUZZ_CHECK(p.chunks.begin <= p.chunks.end && p.chunks.end <= p.n_chunk);
  const std::vector<uint8_t> once = kldkit::EncodePartial(p);
  const std::vector<uint8_t> twice =
      kldkit::EncodePartial(kldkit::DecodePartial(once));
  FUZZ_CHECK(once == twice);
  try {
    kldkit::MergePartials({p, p});
    FUZZ_CHECK(p.chunks.begin == p.chunks.end);
  } catch (const kldkit::Error&) {
    FUZZ_CHECK(p.chunks.begin != p.chunks.end);
  }
  return 0;
}
