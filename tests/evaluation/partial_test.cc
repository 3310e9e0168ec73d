// Partial evaluations: their bytes round-trip, damage and hostile headers
// are refused with the right status, and merges join tiling ranges (in any
// given order) into the whole run's bytes while refusing overlaps, gaps
// and parts of other evaluations.
#include "kldkit/partial.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kldkit/error.hpp"
#include "tests/fixtures.h"

namespace kldkit {
namespace {

constexpr char kBase[] = "v32k-c128x4-f16.logits";
constexpr char kModel[] = "v32k-c128x4-q8_0.logits";

PartialEvaluation Part(const std::string& base, const std::string& model,
                       uint32_t begin, uint32_t end,
                       PercentileMode mode = PercentileMode::kExact) {
  EvaluateOptions o;
  o.chunks = {begin, end};
  o.accumulator.percentiles = mode;
  return MakePartial(EvaluateFiles(base, {model}, o), o.mode, {"q8_0"});
}

kldkit_status StatusOf(const std::vector<uint8_t>& bytes) {
  try {
    DecodePartial(bytes);
  } catch (const Error& e) {
    return e.Status();
  }
  return KLDKIT_OK;
}

TEST(Partial, MergeOfTilingRangesIsTheWholeRun) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  for (PercentileMode mode : {PercentileMode::kExact, PercentileMode::kSketch}) {
    const PartialEvaluation whole = Part(base, model, 0, 0, mode);
    EXPECT_TRUE(whole.Whole());
    EXPECT_EQ(whole.n_chunk, 4u);
    // Given out of order: merged in chunk order.
    const PartialEvaluation merged = MergePartials(
        {Part(base, model, 3, 4, mode), Part(base, model, 0, 1, mode),
         Part(base, model, 1, 3, mode)});
    EXPECT_TRUE(merged.Whole());
    EXPECT_EQ(EncodePartial(merged), EncodePartial(whole));
  }
}

TEST(Partial, BytesRoundTripAndDamageIsRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  const std::vector<uint8_t> bytes = EncodePartial(Part(base, model, 1, 2));
  const PartialEvaluation back = DecodePartial(bytes);
  EXPECT_EQ(back.chunks.begin, 1u);
  EXPECT_EQ(back.chunks.end, 2u);
  EXPECT_EQ(back.models, std::vector<std::string>{"q8_0"});
  EXPECT_EQ(EncodePartial(back), bytes);
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 9);
  EXPECT_EQ(StatusOf(cut), KLDKIT_ERROR_CHECKSUM);
  EXPECT_EQ(StatusOf({bytes.begin(), bytes.begin() + 6}),
            KLDKIT_ERROR_TRUNCATED);
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_EQ(StatusOf(flipped), KLDKIT_ERROR_CHECKSUM);
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_EQ(StatusOf(magic), KLDKIT_ERROR_FORMAT);
  EXPECT_EQ(StatusOf({}), KLDKIT_ERROR_TRUNCATED);
}

TEST(Partial, OverlapsGapsAndOtherEvaluationsAreRefused) {
  KLDKIT_REQUIRE_FIXTURE(base, kBase);
  KLDKIT_REQUIRE_FIXTURE(model, kModel);
  const auto refused = [](std::vector<PartialEvaluation> parts,
                          kldkit_status status, const std::string& says) {
    try {
      MergePartials(std::move(parts));
      ADD_FAILURE() << says;
    } catch (const Error& e) {
      EXPECT_EQ(e.Status(), status) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos)
          << e.what();
    }
  };
  refused({Part(base, model, 0, 2), Part(base, model, 1, 3)},
          KLDKIT_ERROR_INVALID_ARGUMENT, "chunks 0:2 and 1:3 overlap");
  refused({Part(base, model, 0, 1), Part(base, model, 2, 4)},
          KLDKIT_ERROR_INVALID_ARGUMENT, "chunks 0:1 and 2:4 leave a gap");
  refused({}, KLDKIT_ERROR_INVALID_ARGUMENT, "no partial state");
  PartialEvaluation other = Part(base, model, 1, 4);
  other.identity ^= 1;  // another text
  refused({Part(base, model, 0, 1), other}, KLDKIT_ERROR_MISMATCH,
          "token ids");
  PartialEvaluation renamed = Part(base, model, 1, 4);
  renamed.models[0] = "q4_k";
  refused({Part(base, model, 0, 1), renamed}, KLDKIT_ERROR_MISMATCH,
          "model files");
  refused({Part(base, model, 0, 1),
           Part(base, model, 1, 4, PercentileMode::kSketch)},
          KLDKIT_ERROR_MISMATCH, "accumulator options");
}

}  // namespace
}  // namespace kldkit
