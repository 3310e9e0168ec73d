// The measures (CompareOptions::extras) on every compiled Highway target
// against the long-double reference of measures_reference.h: adversarial
// small rows in every row pairing, realistic 248K rows; and the lumped
// definition's lower-bound property, in long double.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <hwy/tests/hwy_gtest.h>

#include "kldkit/kernels.hpp"
#include "kldkit/measures.hpp"
#include "tests/kernels/llamacpp_loop.h"
#include "tests/kernels/measures_reference.h"
#include "tests/kernels/reference.h"
#include "tests/kernels/test_util.h"

namespace {

using kldkit::CompareMode;
using kldkit::CompareOptions;
using kldkit::CompareRow;
using kldkit::FindMeasure;
using kldkit::LlamaRowWords;
using kldkit::Measure;
using kldkit::MeasureValues;
using kldkit::RowType;
using kldkit::RowView;
using kldkit::TokenResult;
using kldkit::testing::GaussianLogits;
using kldkit::testing::GuardedRow;
using kldkit::testing::kFloatTypes;
using kldkit::testing::MakeRow;
using kldkit::testing::QuantizeRowReference;
using kldkit::testing::RefDivergences;
using kldkit::testing::RefFloatSide;
using kldkit::testing::RefLlamaSide;
using kldkit::testing::RefLump;
using kldkit::testing::RefLumped;
using kldkit::testing::RefMeasurePair;
using kldkit::testing::RefMeasures;
using kldkit::testing::RefSide;
using kldkit::testing::Shape;
using kldkit::testing::TypeName;

const std::vector<int> kKs = {5, 10};

CompareOptions AllMeasures(CompareMode mode) {
  CompareOptions o;
  o.mode = mode;
  o.extras = kldkit::AllMeasures();
  return o;
}

std::vector<uint16_t> LlamaRow(const std::vector<float>& x, float floor) {
  std::vector<uint16_t> row(LlamaRowWords(x.size()));
  QuantizeRowReference(x.data(), x.size(), floor, row.data());
  return row;
}

double At(const MeasureValues& m, Measure id, int i = 0) {
  return m.v[FindMeasure(id)->slot + i];
}

// Divergences: 1e-6 absolute or 1e-4 relative, the KLD's own contract.
void ExpectDivergence(double got, long double want, const std::string& what) {
  if (std::isinf(want)) {
    EXPECT_EQ(got, static_cast<double>(want)) << what;
    return;
  }
  const double tol = std::max(1e-6, 1e-4 * std::fabs(static_cast<double>(want)));
  EXPECT_NEAR(got, static_cast<double>(want), tol) << what;
}

void ExpectMeasures(const TokenResult& got, const RefMeasures& want,
                    const std::string& label) {
  ASSERT_TRUE(got.Valid()) << label;
  const MeasureValues& m = got.measures;
  EXPECT_EQ(m.mask, kldkit::AllMeasures()) << label;
  ExpectDivergence(At(m, Measure::kReverseKld), want.rkl, label + " rkl");
  ExpectDivergence(At(m, Measure::kJsd), want.jsd, label + " jsd");
  ExpectDivergence(At(m, Measure::kTvd), want.tvd, label + " tvd");
  ExpectDivergence(At(m, Measure::kEntropyBase), want.entropy_base,
                   label + " entropy_base");
  ExpectDivergence(At(m, Measure::kEntropyModel), want.entropy_model,
                   label + " entropy_model");
  EXPECT_EQ(At(m, Measure::kTargetInTopK, 0), want.rank_base) << label;
  EXPECT_EQ(At(m, Measure::kTargetInTopK, 1), want.rank_model) << label;
  for (size_t i = 0; i < kKs.size(); ++i) {
    EXPECT_EQ(At(m, Measure::kTopKOverlap, static_cast<int>(i)),
              static_cast<double>(want.overlap[i]))
        << label << " overlap K=" << kKs[i];
  }
  EXPECT_NEAR(At(m, Measure::kConfidenceBuckets),
              static_cast<double>(want.p_top_base),
              1e-6 * static_cast<double>(want.p_top_base) + 1e-12)
      << label << " p_top";
}

class MeasuresTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(MeasuresTest);

constexpr size_t kSizes[] = {1, 2, 3, 7, 16, 17, 33, 255, 1000, 32000};

// The model: the base plus noise, so divergences are small but not zero.
std::vector<float> Perturbed(const std::vector<float>& base, float spread,
                             uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f * spread + 0.01f);
  std::vector<float> model = base;
  for (float& v : model) {
    if (std::isfinite(v)) v += noise(rng);
  }
  return model;
}

// One row pair of the small-rows test with its long-double references,
// computed once for every target (the reference dominates the test's time,
// 100x so under emulation, where long double is software quad precision).
struct SmallPair {
  enum Kind { kExactPair, kStoredBase, kStoredTail, kTwoStored };
  struct Check {
    Kind kind;
    std::vector<uint16_t> ub, uq;  // stored rows (floor of the check)
    RefMeasures want;
    std::string label;
  };
  std::unique_ptr<GuardedRow> base, model;
  int32_t target = 0;
  std::vector<Check> checks;
};

const std::vector<SmallPair>& SmallPairs() {
  static const std::vector<SmallPair> pairs = [] {
    std::vector<SmallPair> out;
    uint64_t seed = 1;
    for (Shape shape : {Shape::kUniform, Shape::kAllEqual, Shape::kDominant,
                        Shape::kTiesAtMax, Shape::kNegInf, Shape::kMaxAtEnd}) {
      for (float spread : {0.3f, 3.0f, 30.0f}) {
        for (size_t n : kSizes) {
          SmallPair p;
          const std::vector<float> x = MakeRow(shape, n, spread, seed);
          const RowType type = kFloatTypes[seed % 3];
          p.base = std::make_unique<GuardedRow>(x, type, seed % 16);
          p.model = std::make_unique<GuardedRow>(
              Perturbed(p.base->Values(), spread, seed), type,
              (seed + 5) % 16);
          ++seed;
          p.target = static_cast<int32_t>(seed % n);
          const std::vector<float>& yb = p.base->Values();
          const std::vector<float>& yq = p.model->Values();
          if (!std::isfinite(yb[static_cast<size_t>(p.target)])) p.target = 0;
          const std::string label = kldkit::testing::ShapeName(shape) +
                                    " spread " + std::to_string(spread) +
                                    " n " + std::to_string(n) + " " +
                                    TypeName(type);
          const RefSide fb = RefFloatSide(yb.data(), n);
          const RefSide fq = RefFloatSide(yq.data(), n);
          if (shape != Shape::kNegInf || std::isfinite(yb[0])) {
            p.checks.push_back({SmallPair::kExactPair, {}, {},
                                RefMeasurePair(fb, fq, p.target, kKs),
                                label + " exact"});
          }
          if (shape != Shape::kNegInf) {  // no llama.cpp rows of -inf
            for (float floor : {16.0f, 24.0f}) {
              const std::vector<uint16_t> ub = LlamaRow(yb, floor);
              const std::vector<uint16_t> uq = LlamaRow(yq, floor);
              const RefSide sb = RefLlamaSide(ub.data(), n);
              const std::string fl = label + " floor " + std::to_string(floor);
              const RefMeasures stored = RefMeasurePair(sb, fq, p.target, kKs);
              p.checks.push_back({SmallPair::kStoredBase, ub, {}, stored,
                                  fl + " stored base"});
              p.checks.push_back({SmallPair::kStoredTail, ub, {}, stored,
                                  fl + " stored base, tail"});
              p.checks.push_back(
                  {SmallPair::kTwoStored, ub, uq,
                   RefMeasurePair(sb, RefLlamaSide(uq.data(), n), p.target,
                                  kKs),
                   fl + " two stored rows"});
            }
          }
          out.push_back(std::move(p));
        }
      }
    }
    return out;
  }();
  return pairs;
}

TEST_P(MeasuresTest, EveryPairingMatchesReferenceOnSmallRows) {
  for (const SmallPair& p : SmallPairs()) {
    const size_t n = p.base->Values().size();
    for (const SmallPair::Check& c : p.checks) {
      const RowView vb = RowView::Llama(c.ub.data(), n);
      TokenResult got;
      switch (c.kind) {
        case SmallPair::kExactPair:
          got = CompareRow(p.base->View(), p.model->View(), p.target,
                           AllMeasures(CompareMode::kExact));
          break;
        case SmallPair::kStoredBase:
        case SmallPair::kStoredTail:
          got = CompareRow(vb, p.model->View(), p.target,
                           AllMeasures(c.kind == SmallPair::kStoredBase
                                           ? CompareMode::kLlamaCpp
                                           : CompareMode::kTail));
          break;
        case SmallPair::kTwoStored:
          got = CompareRow(vb, RowView::Llama(c.uq.data(), n), p.target,
                           AllMeasures(CompareMode::kLlamaCpp));
          break;
      }
      ExpectMeasures(got, c.want, c.label);
    }
  }
}

TEST_P(MeasuresTest, MatchReferenceOnRealisticLargeRows) {
  for (size_t n : {kldkit::testing::CappedVocab(248320),
                   kldkit::testing::CappedVocab(262144)}) {
    for (uint64_t seed : {7u}) {
      const std::vector<float> x = GaussianLogits(n, 2.5f, seed);
      const std::vector<float> y = Perturbed(x, 1.0f, seed + 100);
      const auto target = static_cast<int32_t>((seed * 7919) % n);
      const std::vector<uint16_t> ub = LlamaRow(x, 16.0f);
      const RowView vx = RowView::F32(x), vy = RowView::F32(y);
      const std::string label = "n " + std::to_string(n);
      ExpectMeasures(
          CompareRow(RowView::Llama(ub.data(), n), vy, target,
                     AllMeasures(CompareMode::kLlamaCpp)),
          RefMeasurePair(RefLlamaSide(ub.data(), n), RefFloatSide(y.data(), n),
                         target, kKs),
          label + " stored base");
      ExpectMeasures(
          CompareRow(vx, vy, target, AllMeasures(CompareMode::kExact)),
          RefMeasurePair(RefFloatSide(x.data(), n), RefFloatSide(y.data(), n),
                         target, kKs),
          label + " exact");
    }
  }
}

TEST_P(MeasuresTest, ExtrasSpanHoldsTheAskedMeasuresInBitOrder) {
  const std::vector<float> x = GaussianLogits(1000, 2.0f, 3);
  const std::vector<float> y = Perturbed(x, 1.0f, 4);
  CompareOptions o;
  o.mode = CompareMode::kExact;
  o.extras = kldkit::MeasureBit(Measure::kTvd) |
             kldkit::MeasureBit(Measure::kTargetInTopK) |
             kldkit::MeasureBit(Measure::kReverseKld);
  ASSERT_EQ(kldkit::MeasureValueCount(o.extras), 4u);
  std::vector<double> extras(4, -1.0);
  const TokenResult r =
      CompareRow(RowView::F32(x), RowView::F32(y), 17, o, extras);
  EXPECT_EQ(r.measures.mask, o.extras);
  EXPECT_EQ(extras[0], At(r.measures, Measure::kReverseKld));
  EXPECT_EQ(extras[1], At(r.measures, Measure::kTvd));
  EXPECT_EQ(extras[2], At(r.measures, Measure::kTargetInTopK, 0));
  EXPECT_EQ(extras[3], At(r.measures, Measure::kTargetInTopK, 1));
  EXPECT_TRUE(std::isnan(At(r.measures, Measure::kJsd)))
      << "a measure not asked for is NaN";
}

TEST_P(MeasuresTest, OffByDefaultAndLeaveTheComparisonUnchanged) {
  const std::vector<float> x = GaussianLogits(32000, 2.0f, 5);
  const std::vector<float> y = Perturbed(x, 1.0f, 6);
  const std::vector<uint16_t> ub = LlamaRow(x, 16.0f);
  const RowView vb = RowView::Llama(ub.data(), x.size());
  for (CompareMode mode : {CompareMode::kLlamaCpp, CompareMode::kTail}) {
    CompareOptions plain;
    plain.mode = mode;
    const TokenResult a = CompareRow(vb, RowView::F32(y), 9, plain);
    const TokenResult b = CompareRow(vb, RowView::F32(y), 9, AllMeasures(mode));
    EXPECT_EQ(a.measures.mask, 0u);
    EXPECT_EQ(a.kld, b.kld);
    EXPECT_EQ(a.nll, b.nll);
    EXPECT_EQ(a.top, b.top);
  }
}

// Only the stages a mask needs run: each measure alone gives, bit for bit,
// its values among all of them (and the comparison is unchanged), in every
// pairing, including kTail's lumped KLD of two stored rows.
TEST_P(MeasuresTest, EachMeasureAloneEqualsItsValuesAmongAll) {
  const std::vector<float> x = GaussianLogits(5000, 2.0f, 7);
  const std::vector<float> y = Perturbed(x, 1.0f, 8);
  const std::vector<uint16_t> ub = LlamaRow(x, 16.0f);
  const std::vector<uint16_t> uq = LlamaRow(y, 16.0f);
  const RowView vb = RowView::Llama(ub.data(), x.size());
  const RowView vq = RowView::Llama(uq.data(), y.size());
  struct Pair {
    RowView base, model;
    CompareMode mode;
  };
  const Pair pairs[] = {
      {vb, RowView::F32(y), CompareMode::kLlamaCpp},
      {vb, RowView::F32(y), CompareMode::kTail},
      {vb, vq, CompareMode::kTail},
      {RowView::F32(x), RowView::F32(y), CompareMode::kExact}};
  for (const Pair& pair : pairs) {
    const TokenResult all =
        CompareRow(pair.base, pair.model, 33, AllMeasures(pair.mode));
    for (const kldkit::MeasureDescriptor& d : kldkit::MeasureTable()) {
      CompareOptions one;
      one.mode = pair.mode;
      one.extras = kldkit::MeasureBit(d.id);
      const TokenResult r = CompareRow(pair.base, pair.model, 33, one);
      EXPECT_EQ(r.kld, all.kld) << d.name;
      for (int i = 0; i < d.slots; ++i) {
        const double a = r.measures.v[d.slot + i];
        const double b = all.measures.v[d.slot + i];  // NaN: unused K slot
        EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)))
            << a << " vs " << b << ": " << d.name << " slot " << i << " mode "
            << static_cast<int>(pair.mode);
      }
    }
  }
}

// Two stored rows in kTail: the lumped KL (0.1 counted the model's floor
// codes at their floor value and could go below zero).
TEST_P(MeasuresTest, TailKldOfTwoStoredRowsIsTheLumpedKl) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::vector<float> x = GaussianLogits(32000, 3.0f, seed);
    const std::vector<float> y = Perturbed(x, 1.0f, seed + 50);
    const std::vector<uint16_t> ub = LlamaRow(x, 16.0f), uq = LlamaRow(y, 16.0f);
    CompareOptions o;
    o.mode = CompareMode::kTail;
    const TokenResult r = CompareRow(RowView::Llama(ub.data(), x.size()),
                                     RowView::Llama(uq.data(), y.size()), 3, o);
    const long double want =
        RefMeasurePair(RefLlamaSide(ub.data(), x.size()),
                       RefLlamaSide(uq.data(), y.size()), 3, {})
            .kl;
    ExpectDivergence(r.kld, want, "seed " + std::to_string(seed));
    EXPECT_GT(r.kld, -1e-9);
  }
}

// ---- The lumped definition, in long double ----------------------------------

// Full distributions consistent with a lumped pair: L's mass of each side
// split over the tokens outside A with random weights.
std::vector<long double> Split(const RefLumped& lumped,
                               const std::vector<bool>& in_a,
                               std::mt19937_64& rng) {
  std::vector<long double> full = lumped.p;
  std::vector<long double> w(full.size(), 0);
  long double total = 0;
  std::exponential_distribution<double> e(1.0);
  for (size_t i = 0; i < full.size(); ++i) {
    if (!in_a[i]) total += w[i] = e(rng);
  }
  for (size_t i = 0; i < full.size(); ++i) {
    if (!in_a[i]) full[i] = lumped.l * w[i] / total;
  }
  return full;
}

TEST(LumpedMeasures, BoundFromBelowEveryConsistentFullPair) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n = 50 + rng() % 3000;
    const float spread = 1.0f + static_cast<float>(rng() % 8);
    const std::vector<float> x = GaussianLogits(n, spread, rng());
    const std::vector<float> y = Perturbed(x, spread, rng());
    const std::vector<uint16_t> ub = LlamaRow(x, 8.0f + static_cast<float>(trial % 3) * 8.0f);
    const std::vector<uint16_t> uq = LlamaRow(y, 16.0f);
    const RefSide b = RefLlamaSide(ub.data(), n);
    const RefSide q = trial % 2 ? RefLlamaSide(uq.data(), n)
                                : RefFloatSide(y.data(), n);
    RefLumped pb, pq;
    RefLump(b, q, &pb, &pq);
    std::vector<bool> in_a(n);
    size_t n_out = 0;
    for (size_t i = 0; i < n; ++i) {
      in_a[i] = b.known[i] && q.known[i];
      n_out += !in_a[i];
    }
    if (n_out == 0) continue;
    std::vector<long double> lp = pb.p, lq = pq.p;
    lp.push_back(pb.l);
    lq.push_back(pq.l);
    const RefMeasures lumped = RefDivergences(lp, lq);
    for (int split = 0; split < 5; ++split) {
      const RefMeasures full =
          RefDivergences(Split(pb, in_a, rng), Split(pq, in_a, rng));
      const std::string at = "trial " + std::to_string(trial);
      EXPECT_LE(lumped.kl, full.kl + 1e-12L) << at;
      EXPECT_LE(lumped.rkl, full.rkl + 1e-12L) << at;
      EXPECT_LE(lumped.jsd, full.jsd + 1e-12L) << at;
      EXPECT_LE(lumped.tvd, full.tvd + 1e-12L) << at;
      // H(P~) <= H(P) <= H(P~) + p~_L ln(tokens outside A).
      EXPECT_LE(lumped.entropy_base, full.entropy_base + 1e-12L) << at;
      EXPECT_LE(full.entropy_base,
                lumped.entropy_base + pb.l * std::log(static_cast<long double>(n_out)) +
                    1e-12L)
          << at;
      EXPECT_LE(lumped.entropy_model, full.entropy_model + 1e-12L) << at;
    }
  }
}

}  // namespace
