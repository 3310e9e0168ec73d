// Fuzz target: the .npy reader on hostile files, and the header dictionary
// parser on its own. An open either throws kldkit::Error or yields a reader
// whose shape matches the file's size; every row (float arrays) or every
// element (int32 arrays) is then read.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/npy.hpp"
#include "lib/storage/npy_format.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using kldkit::NpyDtype;
using kldkit::NpyReader;

size_t ItemSize(NpyDtype dtype) { return dtype == NpyDtype::kF16 ? 2 : 4; }

void CheckReader(const NpyReader& r, size_t file_size) {
  const std::vector<uint64_t>& shape = r.Shape();
  FUZZ_CHECK(shape.size() == 1 || shape.size() == 2);
  FUZZ_CHECK(r.Cols() == shape.back());
  FUZZ_CHECK(r.Rows() == (shape.size() == 2 ? shape[0] : 1));
  // The reader promises the data fills the file exactly, so the element
  // count is bounded by the input size (no overflow, no huge allocation).
  // A dimension of 0 makes an empty array whatever the others say.
  const bool empty = std::find(shape.begin(), shape.end(), 0) != shape.end();
  uint64_t elements = empty ? 0 : 1;
  for (const uint64_t d : shape) {
    if (empty) break;
    FUZZ_CHECK(elements <= file_size / d);
    elements *= d;
  }
  FUZZ_CHECK(elements * ItemSize(r.Dtype()) <= file_size);

  if (r.Dtype() == NpyDtype::kI32) {
    FUZZ_CHECK(r.ReadInt32().size() == elements);
    std::vector<float> none;
    FUZZ_EXPECT_ERROR(r.ReadRow(0, none));
    return;
  }
  FUZZ_EXPECT_ERROR(r.ReadInt32());
  if (r.Rows() == 0) {
    // An empty array of 0 rows may declare any number of columns: no row
    // of that size is ever needed, and none may be read.
    std::vector<float> one(1);
    FUZZ_EXPECT_ERROR(r.ReadRow(0, one));
    return;
  }
  std::vector<float> row(static_cast<size_t>(r.Cols()));
  // Rows are bounded by the file only when they hold data: an empty
  // array of 0 columns may declare any number of them.
  const uint64_t rows = std::min<uint64_t>(r.Rows(), 1 << 16);
  for (uint64_t i = 0; i < rows; ++i) r.ReadRow(i, row);
  FUZZ_EXPECT_ERROR(r.ReadRow(r.Rows(), row));
  std::vector<float> wrong(row.size() + 1);
  FUZZ_EXPECT_ERROR(r.ReadRow(0, wrong));
}

void ParseDictOnly(const uint8_t* data, size_t size) {
  // Version 1.0 files put the dictionary after a 10-byte preamble; parsing
  // the remainder as text reaches the dictionary parser from file seeds.
  const size_t skip = size > 10 ? 10 : 0;
  const std::string text(reinterpret_cast<const char*>(data) + skip,
                         size - skip);
  try {
    const kldkit::detail::NpyHeader h =
        kldkit::detail::ParseNpyDict(text, "fuzz");
    FUZZ_CHECK(h.shape.size() == 1 || h.shape.size() == 2);
  } catch (const kldkit::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const kldkit::fuzz::MemFile file(data, size);
  std::unique_ptr<NpyReader> reader;
  try {
    reader = std::make_unique<NpyReader>(file.Path());
  } catch (const kldkit::Error&) {
  }
  // Outside the try: an opened reader must serve what it promised.
  if (reader) CheckReader(*reader, size);
  ParseDictOnly(data, size);
  return 0;
}
