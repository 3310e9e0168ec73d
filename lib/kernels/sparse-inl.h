// The compare of a sparse base row (SparseLlamaRow: a bitmap of the
// non-zero codes and those codes, as a .kldz block stores them) with float
// model logits. No dense row of codes is built or read: each vector of
// logits takes its lanes' bits from the bitmap, and only a vector with a
// non-zero code packs its logits. The kept tokens are then packed from the
// block's non-zero codes in token order, as the dense pass packs them, and
// go through the same kept pass, so the results are the dense path's bit
// for bit. Where code 0 itself is kept (a row spanning under 16 nats in
// llama.cpp mode, a flat row in kTail) a block's codes are expanded into an
// L1 buffer and the dense block pass runs on them.

#if defined(KLDKIT_LIB_KERNELS_SPARSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KLDKIT_LIB_KERNELS_SPARSE_INL_H_
#undef KLDKIT_LIB_KERNELS_SPARSE_INL_H_
#else
#define KLDKIT_LIB_KERNELS_SPARSE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kldkit/row.hpp"
#include "lib/kernels/compare-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kldkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A block's kept tokens (codes as floats) and, first, the logits of its
// non-zero codes.
template <class DF>
struct SparseKept {
  static constexpr size_t kCapacity = kVectorsPerBlock * hn::MaxLanes(DF());
  HWY_ALIGN float code[kCapacity];
  HWY_ALIGN float x[kCapacity];
  HWY_ALIGN float x_nonzero[kCapacity];
  size_t count = 0;
};

// The bits of tokens [i, i + N) (i a multiple of N, N a power of two <= 64,
// so they never straddle two words).
HWY_INLINE uint64_t LaneBits(const uint64_t* HWY_RESTRICT nonzero, size_t i,
                             size_t N) {
  const uint64_t w = nonzero[i / 64] >> (i % 64);
  return N >= 64 ? w : w & ((uint64_t{1} << N) - 1);
}

// Non-zero codes among tokens [b0, b1) (b0 a multiple of 64).
HWY_INLINE size_t CountBits(const uint64_t* HWY_RESTRICT nonzero, size_t b0,
                            size_t b1) {
  size_t count = 0;
  for (size_t i = b0; i < b1; i += 64) {
    const uint64_t w = nonzero[i / 64];
    count += hwy::PopCount(b1 - i >= 64 ? w : w & ((uint64_t{1} << (b1 - i)) - 1));
  }
  return count;
}

// Token index of non-zero code k of the tokens from b0 (b0 a multiple of
// 64, the code known to exist).
HWY_INLINE size_t SelectBit(const uint64_t* HWY_RESTRICT nonzero, size_t b0,
                            size_t k) {
  for (size_t w = b0 / 64;; ++w) {
    uint64_t bits = nonzero[w];
    const size_t c = hwy::PopCount(bits);
    if (k < c) {
      for (; k > 0; --k) bits &= bits - 1;
      return w * 64 + static_cast<size_t>(hwy::Num0BitsBelowLS1Bit_Nonzero64(bits));
    }
    k -= c;
  }
}

// One block of a sparse comparison: the dense block's result, and how many
// of the row's codes it holds.
struct SparseBlock : LlamaBlock {
  size_t nonzero = 0;
};

// The logits of a block's non-zero codes, one set bit at a time: for
// blocks with few of them, where this costs less than packing every
// vector. Only the bit walk is serial (the stores go to k, not to a count
// of kept tokens).
template <class DF, typename TX>
HWY_INLINE void GatherNonzero(const uint64_t* HWY_RESTRICT bits,
                              const TX* HWY_RESTRICT x, size_t b0, size_t b1,
                              SparseKept<DF>* kept) {
  size_t k = 0;
  for (size_t w = b0 / 64; w * 64 < b1; ++w) {
    for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
      const size_t i = w * 64 + hwy::Num0BitsBelowLS1Bit_Nonzero64(b);
      kept->x_nonzero[k++] = ElementAsFloat(x, i);
    }
  }
}

// The fused pass over one block: the model's exp sums as the dense pass
// takes them and the logits of the non-zero codes packed (kFew: the block
// has few, gathered by GatherNonzero after the pass), then the kept codes
// (code >= first_kept >= 1) packed with their logits in token order.
template <bool kTail, bool kSafe, bool kFew, class DF, typename TX>
HWY_INLINE SparseBlock FusedPassSparse(DF df, const uint64_t* HWY_RESTRICT bits,
                                       const uint16_t* HWY_RESTRICT codes,
                                       const TX* HWY_RESTRICT x, size_t b0,
                                       size_t b1, size_t nonzero,
                                       float first_kept, float ref,
                                       SparseKept<DF>* kept) {
  using V = hn::Vec<DF>;
  const size_t N = hn::Lanes(df);
  BlockExpSum<kSafe, DF> exp_sum(df, ref);
  V azt = hn::Zero(df);
  size_t packed = 0, i = b0;  // logits packed so far (ends at `nonzero`)
  ForEachVector(df, x, b0, b1, [&](const TX* px, auto valid) {
    const V xv = LoadF(df, px);
    const V e = exp_sum.Add(df, xv, valid);
    // No branch on empty vectors: at 4% non-zero codes half the vectors
    // have one, and the mispredictions cost more than the packing.
    const uint64_t lane_bits = LaneBits(bits, i, N);
    i += N;
    if (!kTail && kFew) return;
    const auto m = hn::LoadMaskBits(
        df, reinterpret_cast<const uint8_t*>(&lane_bits));
    if (kTail) azt = hn::Add(azt, hn::IfThenZeroElse(m, e));
    if (kFew) return;
    hn::StoreU(PackLanes(df, xv, m), df, kept->x_nonzero + packed);
    packed += hwy::PopCount(lane_bits);
  });
  SparseBlock b;
  b.nonzero = nonzero;
  SetExpSums<kTail>(df, exp_sum, azt, &b);
  if (kFew) GatherNonzero(bits, x, b0, b1, kept);
  // The kept codes among the non-zero ones, in the same order.
  const V vfirst = hn::Set(df, first_kept);
  size_t count = 0;
  for (size_t k = 0; k < nonzero; k += N) {
    const size_t rest = nonzero - k;
    V uf;
    if (rest >= N) {
      uf = LoadF(df, codes + k);
    } else {
      // Not MaskedLoad: below AVX-512 it loads the whole vector (aligned),
      // past the caller's last code.
      HWY_ALIGN uint16_t tail[hn::MaxLanes(df)] = {};
      std::copy_n(codes + k, rest, tail);
      uf = LoadF(df, tail);
    }
    const auto m = hn::And(hn::Ge(uf, vfirst), hn::FirstN(df, rest));
    hn::StoreU(PackLanes(df, uf, m), df, kept->code + count);
    hn::StoreU(PackLanes(df, hn::Load(df, kept->x_nonzero + k), m), df,
               kept->x + count);
    count += hn::CountTrue(df, m);
  }
  kept->count = b.kept = count;
  return b;
}

// The rare block where code 0 is kept: its codes expanded into an L1
// buffer, then the dense block pass.
template <bool kTail, bool kSafe, class DF, typename TX>
HWY_NOINLINE SparseBlock ExpandedBlock(DF df, const uint64_t* HWY_RESTRICT bits,
                                       const uint16_t* HWY_RESTRICT codes,
                                       const TX* HWY_RESTRICT x, size_t b0,
                                       size_t b1, const LlamaRowHeader& h,
                                       float lb, float first_kept, float ref) {
  HWY_ALIGN uint16_t u[kVectorsPerBlock * hn::MaxLanes(DF())];
  size_t nonzero = 0;
  for (size_t i = b0; i < b1; ++i) {
    const bool set = ((bits[i / 64] >> (i % 64)) & 1) != 0;
    u[i - b0] = set ? codes[nonzero] : uint16_t{0};
    nonzero += set;
  }
  KeptLanes<DF> kept;
  SparseBlock b;
  b.nonzero = nonzero;
  static_cast<LlamaBlock&>(b) = CompareBlockU16<kTail, kSafe>(
      df, u, x + b0, 0, b1 - b0, h, lb, first_kept, ref, &kept);
  return b;
}

template <bool kTail, bool kSafe, class DF, typename TX>
HWY_INLINE SparseBlock CompareBlockSparse(
    DF df, const SparseLlamaRow& row, size_t code_begin,
    const TX* HWY_RESTRICT x, size_t b0, size_t b1, float lb, float first_kept,
    float ref, SparseKept<DF>* kept) {
  const uint16_t* codes = row.codes + code_begin;
  if (first_kept < 1.0f) {
    return ExpandedBlock<kTail, kSafe>(df, row.nonzero, codes, x, b0, b1,
                                       row.header, lb, first_kept, ref);
  }
  // Under one non-zero code in 16 tokens, walking the bits is cheaper.
  const size_t nonzero = CountBits(row.nonzero, b0, b1);
  SparseBlock b =
      nonzero * 16 < b1 - b0
          ? FusedPassSparse<kTail, kSafe, true>(df, row.nonzero, codes, x, b0,
                                                b1, nonzero, first_kept, ref,
                                                kept)
          : FusedPassSparse<kTail, kSafe, false>(df, row.nonzero, codes, x,
                                                 b0, b1, nonzero, first_kept,
                                                 ref, kept);
  KeptPass<kTail>(df, *kept, row.header, lb, ref, &b);
  return b;
}

// Where a comparison found the base's largest code: the block's first code
// and first token, the largest kept code seen so far.
struct SparseArgmax {
  float value = -1.0f;
  size_t code_begin = 0, code_end = 0, token_begin = 0;
  void Update(float block_max, size_t c0, size_t c1, size_t t0) {
    if (c1 == c0 || !(block_max > value)) return;  // earlier block wins ties
    value = block_max;
    code_begin = c0;
    code_end = c1;
    token_begin = t0;
  }
};

// The first token holding the row's largest code (token 0 when every code
// is 0), as the dense kernel's top_base. `best`: the block of the largest
// kept code, if any code was kept.
template <class DF>
HWY_INLINE size_t SparseTopBase(DF df, const SparseLlamaRow& row,
                                const SparseArgmax& best) {
  if (row.count == 0) return 0;
  if (best.value >= 0.0f) {
    const size_t k =
        FirstIndexOf(df, row.codes, best.code_begin, best.code_end, best.value);
    return SelectBit(row.nonzero, best.token_begin, k - best.code_begin);
  }
  auto vmax = hn::Zero(df);
  ForEachVector(df, row.codes, 0, row.count, [&](const uint16_t* p, auto) {
    vmax = hn::Max(vmax, LoadF(df, p));
  });
  const size_t k = FirstIndexOf(df, row.codes, 0, row.count, ReduceMax(df, vmax));
  return SelectBit(row.nonzero, 0, k);
}

// Whether a sparse row is well formed: `count` bits set, none past n, no
// code 0 among the codes (CompareRow's check, before any code is read).
inline bool SparseRowOk(const SparseLlamaRow& row, size_t n) {
  const size_t words = SparseWords(n);
  if (n % 64 != 0 && (row.nonzero[words - 1] >> (n % 64)) != 0) return false;
  if (CountBits(row.nonzero, 0, n) != row.count) return false;
  if (row.count == 0) return true;
  const hn::ScalableTag<uint16_t> du16;
  auto vmin = hn::Set(du16, uint16_t{1});
  size_t k = 0;
  for (; k + hn::Lanes(du16) <= row.count; k += hn::Lanes(du16)) {
    vmin = hn::Min(vmin, hn::LoadU(du16, row.codes + k));
  }
  uint16_t low = hn::GetLane(hn::MinOfLanes(du16, vmin));
  for (; k < row.count; ++k) low = std::min(low, row.codes[k]);
  return low != 0;
}

// Base: a sparse llama.cpp row; model: float logits. The row's bitmap and
// count were checked against each other (CompareRow).
template <bool kTail, typename TX>
TokenResult CompareSparseFloat(const SparseLlamaRow& row,
                               const TX* HWY_RESTRICT x, size_t n,
                               int32_t target, detail::RowNorm* norm_model) {
  const hn::ScalableTag<float> df;
  const LlamaRowHeader& h = row.header;
  if (!HeaderOk(h, n)) return InvalidResult(kInvalidBase);
  const float lb = -(65535.0f * h.scale + h.min_log_prob);
  const float first_kept = FirstKeptCode<kTail>(df, h);
  SparseKept<hn::ScalableTag<float>> kept;
  LlamaSums sums;
  RunningRef ref;
  BlockArgmax top_x;
  SparseArgmax top_u;
  size_t code_begin = 0;  // the current block's first code
  uint16_t code_target = 0;
  const auto t = static_cast<size_t>(target);
  const RowDefects d = LaggedBlocks(
      df, x, n, &ref, &sums,
      [&](bool safe, size_t b0, size_t b1, float r) {
        return safe ? CompareBlockSparse<kTail, true>(
                          df, row, code_begin, x, b0, b1, lb, first_kept, r,
                          &kept)
                    : CompareBlockSparse<kTail, false>(
                          df, row, code_begin, x, b0, b1, lb, first_kept, r,
                          &kept);
      },
      [&](const SparseBlock& blk, size_t b0, size_t b1) {
        const size_t c1 = code_begin + blk.nonzero;
        top_x.Update(blk.xmax, b0, b1);
        if (blk.kept != 0) top_u.Update(blk.umax, code_begin, c1, b0);
        if (t >= b0 && t < b1 && ((row.nonzero[t / 64] >> (t % 64)) & 1)) {
          code_target = row.codes[code_begin + CountBits(row.nonzero, b0, t)];
        }
        code_begin = c1;
      });
  if (d.nan || d.pos_inf) return InvalidResult(ModelDefectFlags(d));
  if (!(ref.max > kNegInf)) return InvalidResult(kInvalidModelEmpty);
  const bool flat = TailKeepAbove(h) < 0.0f;  // kTail keeps every token
  return FinishU16Float<kTail>(
      sums, ref, h, lb, x, n, target, code_target,
      FirstIndexOf(df, x, top_x.begin, top_x.end, top_x.value),
      SparseTopBase(df, row, top_u),
      [&] { return !flat && row.count < n; },
      [&](size_t i) {
        return !flat && ((row.nonzero[i / 64] >> (i % 64)) & 1) == 0;
      },
      norm_model);
}

}  // namespace HWY_NAMESPACE
}  // namespace kldkit
HWY_AFTER_NAMESPACE();

#endif  // KLDKIT_LIB_KERNELS_SPARSE_INL_H_
