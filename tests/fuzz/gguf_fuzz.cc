// Fuzz target: the GGUF header and tensor-table reader (kldkit/gguf.hpp)
// on hostile bytes, in memory and through a file. Each either throws
// kldkit::Error or returns sizes the file can hold; both ways agree.
#include <cstddef>
#include <cstdint>

#include "kldkit/error.hpp"
#include "kldkit/gguf.hpp"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kldkit::GgufSize s;
  try {
    s = kldkit::ParseGgufSize(gsl::span<const uint8_t>(data, size));
  } catch (const kldkit::Error&) {
    const kldkit::fuzz::MemFile file(data, size);
    FUZZ_EXPECT_ERROR(kldkit::ReadGgufSize(file.Path()));
    return 0;
  }
  FUZZ_CHECK(s.file_bytes == size);
  FUZZ_CHECK(s.tensor_bytes <= size);
  FUZZ_CHECK(s.n_tensors <= size / 32);
  FUZZ_CHECK(s.version == 2 || s.version == 3);
  const kldkit::fuzz::MemFile file(data, size);
  const kldkit::GgufSize f = kldkit::ReadGgufSize(file.Path());
  FUZZ_CHECK(f.weights == s.weights && f.tensor_bytes == s.tensor_bytes);
  return 0;
}
