// Fuzz target: the accumulator state decoder (Accumulator::Deserialize and
// DecodeAndMerge, docs/accumulator-encoding.md) on hostile bytes.
//
// Input layout (see make_corpus.py): one control byte, then the state.
// Control bit 0 asks the harness to write a consistent body length and
// CRC-32C into the state first, so mutations reach the section parsers
// instead of dying at the checksum; bits 1-2 pick the target accumulator of
// DecodeAndMerge (exact, sketch 1e-3, sketch 1e-2, or the decoded state's
// own options); bit 3 leaves the target empty.
//
// Invariants: every failure is a kldkit::Error; a decoded state re-encodes
// to bytes that decode to the same state and the same bytes again; a failed
// DecodeAndMerge leaves the target's bytes unchanged, a successful one adds
// exactly the decoded counts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "kldkit/metrics.hpp"
#include "lib/common/bytes.h"
#include "lib/metrics/crc32c.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using kldkit::Accumulator;
using kldkit::AccumulatorOptions;
using kldkit::PercentileMode;

enum Control : uint8_t {
  kRepair = 1 << 0,
  kTargetShift = 1,  // two bits
  kEmptyTarget = 1 << 3,
};

// Writes body_length = size - 20 and the CRC-32C the envelope wants.
void Repair(std::vector<uint8_t>* state) {
  std::vector<uint8_t>& s = *state;
  if (s.size() < 20) return;
  const uint64_t body = s.size() - 20;
  for (int i = 0; i < 8; ++i) s[8 + i] = static_cast<uint8_t>(body >> (8 * i));
  const size_t end = s.size() - 4;
  const uint32_t crc =
      kldkit::detail::Crc32c(gsl::span<const uint8_t>(s.data(), end));
  for (int i = 0; i < 4; ++i) s[end + i] = static_cast<uint8_t>(crc >> (8 * i));
}

// Text of every report field (JSON), so two reports compare as strings;
// also drives the renderers over decoded (possibly extreme) numbers.
std::string Fingerprint(const Accumulator& acc) {
  const kldkit::Report report = acc.MakeReport();
  const std::string text = kldkit::RenderText(report);
  FUZZ_CHECK(!report.has_statistics || !text.empty());
  (void)kldkit::FormatChunkLine(1, acc.MakeReport(false));
  return kldkit::RenderJson(report);
}

// A decoded state must survive a second trip unchanged.
void CheckRoundTrip(const Accumulator& decoded) {
  const std::vector<uint8_t> once = decoded.Serialize();
  std::unique_ptr<Accumulator> again;
  try {
    again = std::make_unique<Accumulator>(Accumulator::Deserialize(once));
  } catch (const kldkit::Error& e) {
    std::fprintf(stderr, "re-encoded state rejected: %s\n", e.what());
    FUZZ_CHECK(false && "re-encoded state must decode");
  }
  FUZZ_CHECK(again->Serialize() == once);
  FUZZ_CHECK(again->Count() == decoded.Count());
  FUZZ_CHECK(again->SkippedCount() == decoded.SkippedCount());
  FUZZ_CHECK(Fingerprint(*again) == Fingerprint(decoded));
}

AccumulatorOptions TargetOptions(uint8_t control, const Accumulator* decoded) {
  AccumulatorOptions options;
  switch ((control >> kTargetShift) & 3) {
    case 0:
      break;
    case 1:
      options.percentiles = PercentileMode::kSketch;
      break;
    case 2:
      options.percentiles = PercentileMode::kSketch;
      options.sketch_relative_accuracy = 1e-2;
      break;
    default:
      if (decoded != nullptr) options = decoded->Options();
  }
  return options;
}

// A few valid and skipped tokens, so merges land on a non-empty state.
void Populate(Accumulator* acc) {
  for (int i = 0; i < 3; ++i) {
    kldkit::TokenResult t;
    t.kld = 0.01 * (i + 1);
    t.nll = 1.5f + static_cast<float>(i);
    t.nll_base = 1.25f + static_cast<float>(i);
    t.p = std::exp(-t.nll);
    t.p_base = std::exp(-t.nll_base);
    t.dp = t.p - t.p_base;
    t.top = t.top_base = i;
    t.flags = kldkit::kSameTop;
    acc->Add(t);
  }
  kldkit::TokenResult skipped;
  skipped.flags = kldkit::kInvalidModelNaN;
  acc->Add(skipped);
}

void CheckDecodeAndMerge(gsl::span<const uint8_t> state, uint8_t control,
                         const Accumulator* decoded) {
  Accumulator target(TargetOptions(control, decoded));
  if (!(control & kEmptyTarget)) Populate(&target);
  const std::vector<uint8_t> before = target.Serialize();
  const uint64_t count = target.Count();
  const uint64_t skipped = target.SkippedCount();
  try {
    target.DecodeAndMerge(state);
  } catch (const kldkit::Error&) {
    FUZZ_CHECK(target.Serialize() == before);  // all or nothing
    return;
  }
  FUZZ_CHECK(decoded != nullptr);  // DecodeAndMerge accepts what decodes
  // Exact sums: a count that wrapped around would corrupt every statistic.
  FUZZ_CHECK(target.Count() >= count &&
             target.Count() - count == decoded->Count());
  FUZZ_CHECK(target.SkippedCount() >= skipped &&
             target.SkippedCount() - skipped == decoded->SkippedCount());
  (void)Fingerprint(target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::vector<uint8_t> state(data + 1, data + size);
  if (control & kRepair) Repair(&state);

  std::unique_ptr<Accumulator> decoded;
  try {
    decoded = std::make_unique<Accumulator>(Accumulator::Deserialize(state));
  } catch (const kldkit::Error&) {
    // Rejected: the expected outcome for most inputs.
  }
  if (decoded) {
    CheckRoundTrip(*decoded);
    FUZZ_CHECK(decoded->MemoryBytes() <= 64 * state.size() + (1u << 20));
  }
  CheckDecodeAndMerge(state, control, decoded.get());
  return 0;
}
