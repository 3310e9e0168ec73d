// Fuzz target: the llama.cpp `_logits_` file reader on hostile files.
// Every input is opened twice (strict, then allow_truncated). An open either
// throws kldkit::Error or yields a reader whose accessors agree with its
// header; a few rows are read back and fed to DequantizeRow and CompareRow,
// so row headers from the file (scale, min_log_prob) reach the kernels.
// Anything else (another exception, a GSL terminate, a sanitizer report) is
// a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/kernels.hpp"
#include "kldkit/llamacpp_file.hpp"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using kldkit::LlamaFileReader;

void CheckReader(const LlamaFileReader& r, bool allow_truncated) {
  const kldkit::LlamaFileHeader& h = r.Header();
  FUZZ_CHECK(h.n_vocab >= 1 && h.n_chunk >= 1);
  FUZZ_CHECK(r.Tokens().size() == uint64_t{h.n_ctx} * uint64_t(h.n_chunk));
  FUZZ_CHECK(r.RowWords() ==
             kldkit::LlamaRowWords(static_cast<size_t>(h.n_vocab)));
  FUZZ_CHECK(r.ExpectedRowCount() ==
             uint64_t(h.n_chunk) * kldkit::RowsPerChunk(h.n_ctx));
  FUZZ_CHECK(r.RowCount() <= r.ExpectedRowCount());
  if (!allow_truncated) FUZZ_CHECK(r.RowCount() == r.ExpectedRowCount());

  FUZZ_EXPECT_ERROR(r.TargetToken(r.ExpectedRowCount()));
  std::vector<uint16_t> wrong(1);
  FUZZ_EXPECT_ERROR(r.ReadRow(r.RowCount(), wrong));
  if (r.RowCount() == 0) return;
  // A complete row exists, so the file really holds RowWords() words.
  FUZZ_EXPECT_ERROR(r.ReadRow(0, wrong));

  const size_t n_vocab = static_cast<size_t>(h.n_vocab);
  std::vector<uint16_t> row(r.RowWords());
  std::vector<float> logp(n_vocab);
  const uint64_t picks[] = {0, r.RowCount() / 2, r.RowCount() - 1};
  for (const uint64_t i : picks) {
    r.ReadRow(i, row);
    const int32_t target = r.TargetToken(i);
    try {
      kldkit::DequantizeRow(row, n_vocab, logp);
    } catch (const kldkit::Error&) {
    }
    const kldkit::RowView base = kldkit::RowView::Llama(row.data(), n_vocab);
    for (const auto mode : {kldkit::CompareMode::kLlamaCpp,
                            kldkit::CompareMode::kTail}) {
      kldkit::CompareOptions options;
      options.mode = mode;
      try {
        const kldkit::TokenResult t =
            kldkit::CompareRow(base, base, target, options);
        if (t.Valid()) {
          FUZZ_CHECK(t.top >= 0 && static_cast<size_t>(t.top) < n_vocab);
          FUZZ_CHECK(t.top_base == t.top);
          FUZZ_CHECK(!std::isnan(t.kld));
        }
      } catch (const kldkit::Error&) {
        // Out-of-range target ids from the file are rejected: fine.
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const kldkit::fuzz::MemFile file(data, size);
  for (const bool allow_truncated : {false, true}) {
    std::unique_ptr<LlamaFileReader> reader;
    try {
      reader = std::make_unique<LlamaFileReader>(file.Path(), allow_truncated);
    } catch (const kldkit::Error&) {
      continue;  // rejected: the expected outcome for most fuzz inputs
    }
    // Outside the try: an opened reader must serve what it promised.
    CheckReader(*reader, allow_truncated);
  }
  return 0;
}
