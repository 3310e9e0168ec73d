// Public kernel entry points: validate every caller-controlled input, then
// call the dispatched SIMD implementation.
#include <algorithm>
#include <string>

#include "kldkit/kernels.hpp"
#include "lib/common/error.h"
#include "lib/kernels/kernels.h"
#include "lib/kernels/measures.h"

namespace kldkit {
namespace {

using detail::Require;

bool KnownType(RowType t) {
  return t == RowType::kF32 || t == RowType::kF16 || t == RowType::kBF16 ||
         t == RowType::kLlamaU16 || t == RowType::kLlamaSparse;
}

void RequireRow(const RowView& row, const char* what) {
  if (row.data == nullptr || row.n_vocab == 0 || !KnownType(row.type)) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(what) +
                      ": row data is NULL, empty, or of an unknown type");
  }
}

void RequireFloatRow(const RowView& row, const char* what) {
  RequireRow(row, what);
  if (!row.IsFloat()) {
    detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT,
                  std::string(what) + ": needs float logits, not a llama.cpp row");
  }
}

void ThrowDefects(uint32_t defects, const char* what) {
  std::string msg = std::string(what) + ": the row holds ";
  if (defects & detail::kDefectNaN) {
    msg += "a NaN";
  } else if (defects & detail::kDefectPosInf) {
    msg += "+inf";
  } else {
    msg += "no finite value (every entry is -inf)";
  }
  detail::Throw(KLDKIT_ERROR_NON_FINITE, msg);
}

// The slots of the measures asked for, in bit order, into `extras`.
void CopyExtras(const MeasureValues& values, gsl::span<double> extras) {
  size_t at = 0;
  for (const MeasureDescriptor& d : MeasureTable()) {
    if ((values.mask & MeasureBit(d.id)) == 0) continue;
    for (int i = 0; i < d.slots && at < extras.size(); ++i) {
      extras[at++] = values.v[d.slot + i];
    }
  }
}

// A sparse base row: its pieces consistent (the kernel trusts them), and a
// comparison the sparse kernel makes: llama.cpp or tail mode against float
// logits, without the measures (their pass reads the dense row).
void RequireSparseBase(const RowView& base, const RowView& model,
                       const CompareOptions& options) {
  const auto& row = *static_cast<const SparseLlamaRow*>(base.data);
  Require(row.nonzero != nullptr && (row.count == 0 || row.codes != nullptr),
          "CompareRow: the sparse base row's bitmap or codes are NULL");
  Require(detail::DispatchSparseRowOk(row, base.n_vocab),
          "CompareRow: the sparse base row's count is not the bits set in its "
          "bitmap, a bit lies past n_vocab, or a code is 0");
  Require(model.IsFloat(),
          "CompareRow: a sparse base row is compared with float logits only");
  Require(options.extras == 0,
          "CompareRow: the measures read a dense base row, not a sparse one");
}

}  // namespace

MaxArg MaxAndArgmax(RowView row) {
  RequireFloatRow(row, "MaxAndArgmax");
  const detail::MaxArgResult r =
      detail::DispatchMaxArgmax(row.data, row.n_vocab, row.type);
  if (r.defects != 0) ThrowDefects(r.defects, "MaxAndArgmax");
  return {r.value, r.index};
}

float LogSumExp(RowView row) {
  RequireFloatRow(row, "LogSumExp");
  const detail::LseResult r =
      detail::DispatchLogSumExp(row.data, row.n_vocab, row.type);
  if (r.defects != 0) ThrowDefects(r.defects, "LogSumExp");
  return static_cast<float>(r.lse);
}

void LogSoftmax(RowView row, gsl::span<float> out) {
  RequireFloatRow(row, "LogSoftmax");
  Require(out.data() != nullptr && out.size() == row.n_vocab,
          "LogSoftmax: output must hold n_vocab floats");
  const uint32_t d =
      detail::DispatchLogSoftmax(row.data, row.n_vocab, row.type, out.data());
  if (d != 0) ThrowDefects(d, "LogSoftmax");
}

float QuantizeInfo::Nll(float x_token) const {
  // llama.cpp's base run: float difference, double log-sum-exp, float NLL.
  return -static_cast<float>(static_cast<double>(x_token - max) - log_sum_exp);
}

QuantizeInfo QuantizeRow(RowView logits, gsl::span<uint16_t> out,
                         const QuantizeOptions& options) {
  RequireFloatRow(logits, "QuantizeRow");
  Require(out.data() != nullptr && out.size() == LlamaRowWords(logits.n_vocab),
          "QuantizeRow: output must hold LlamaRowWords(n_vocab) words");
  Require(options.floor > 0.0f && options.floor <= 1e4f,
          "QuantizeRow: floor must be in (0, 1e4] nats");
  QuantizeInfo info;
  const uint32_t d = detail::DispatchQuantizeRow(
      logits.data, logits.n_vocab, logits.type, options.floor, options.strict,
      out.data(), &info);
  if (d != 0) ThrowDefects(d, "QuantizeRow");
  return info;
}

void DequantizeRow(gsl::span<const uint16_t> row, size_t n_vocab,
                   gsl::span<float> out) {
  Require(n_vocab > 0 && row.data() != nullptr &&
              row.size() == LlamaRowWords(n_vocab),
          "DequantizeRow: row must hold LlamaRowWords(n_vocab) words");
  Require(out.data() != nullptr && out.size() == n_vocab,
          "DequantizeRow: output must hold n_vocab floats");
  detail::DispatchDequantizeRow(row.data(), n_vocab, out.data());
}

TokenResult CompareRow(RowView base, RowView model, int32_t target,
                       const CompareOptions& options,
                       gsl::span<double> extras) {
  RequireRow(base, "CompareRow base");
  RequireRow(model, "CompareRow model");
  Require(base.n_vocab == model.n_vocab,
          "CompareRow: base and model rows have different vocabulary sizes");
  Require(target >= 0 && static_cast<size_t>(target) < base.n_vocab,
          "CompareRow: target token id out of range");
  switch (options.mode) {
    case CompareMode::kLlamaCpp:
    case CompareMode::kTail:
      Require(!base.IsFloat(),
              "CompareRow: kLlamaCpp and kTail need a llama.cpp base row");
      break;
    case CompareMode::kExact:
      Require(base.IsFloat() && model.IsFloat(),
              "CompareRow: kExact needs two float rows");
      break;
    default:
      detail::Throw(KLDKIT_ERROR_INVALID_ARGUMENT, "CompareRow: unknown mode");
  }
  Require(model.type != RowType::kLlamaSparse,
          "CompareRow: a sparse llama.cpp row is a base row, not a model row");
  if (base.type == RowType::kLlamaSparse) RequireSparseBase(base, model, options);
  ValidateMeasures(options.extras, options.top_k);
  Require(extras.empty() || extras.size() >= MeasureValueCount(options.extras),
          "CompareRow: the extras span is shorter than the measures' values");
  Require(extras.empty() || extras.data() != nullptr,
          "CompareRow: extras data is NULL");
  detail::CompareOutput out =
      detail::DispatchCompare(base, model, target, options.mode);
  TokenResult& r = out.result;
  const bool lumped_kld =
      options.mode == CompareMode::kTail && !model.IsFloat();
  if (!r.Valid() || (options.extras == 0 && !lumped_kld)) {
    CopyExtras(r.measures, extras);
    return r;
  }
  const detail::PairStats stats = detail::DispatchMeasurePair(
      base, model, target, r.top_base, out.base, out.model,
      detail::StagesFor(options.extras, options.top_k, lumped_kld));
  if (lumped_kld) {
    // The KLD itself needs the lumped pair: a massless row is invalid.
    if (stats.invalid != 0) return detail::InvalidResult(stats.invalid);
    r.kld = stats.kl;
  }
  detail::FillMeasures(stats, options.extras, options.top_k, &r.measures);
  CopyExtras(r.measures, extras);
  return r;
}

}  // namespace kldkit
