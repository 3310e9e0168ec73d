// C ABI: kldkit_accumulator, the mergeable, serialisable statistics state.
#include "capi/accumulator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "capi/buffer.h"
#include "capi/guard.h"
#include "kldkit.h"

namespace kldkit {
namespace capi {

kldkit_accumulator& Acc(kldkit_accumulator* acc, const char* fn) {
  Check(acc != nullptr, fn, "acc is NULL");
  return *acc;
}

const kldkit_accumulator& Acc(const kldkit_accumulator* acc, const char* fn) {
  Check(acc != nullptr, fn, "acc is NULL");
  return *acc;
}

namespace {

AccumulatorOptions ReadAccumulatorOptions(const kldkit_accumulator_options* in,
                                          const char* fn) {
  CheckOptionsSize(in, fn);
  AccumulatorOptions out;
  if (in == nullptr) return out;
  if (KLDKIT_CAPI_COVERS(in, kldkit_accumulator_options, percentile_mode)) {
    Check(in->percentile_mode <= KLDKIT_PERCENTILES_SKETCH, fn,
          "unknown percentile mode");
    out.percentiles = static_cast<PercentileMode>(in->percentile_mode);
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_accumulator_options,
                         sketch_relative_accuracy)) {
    out.sketch_relative_accuracy = in->sketch_relative_accuracy;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_accumulator_options, measures)) {
    out.measures = in->measures;
  }
  if (KLDKIT_CAPI_COVERS(in, kldkit_accumulator_options, top_k)) {
    std::copy(std::begin(in->top_k), std::end(in->top_k),
              std::begin(out.top_k.k));
  }
  return out;
}

gsl::span<const uint8_t> Bytes(const uint8_t* bytes, size_t n,
                               const char* fn) {
  Check(bytes != nullptr || n == 0, fn, "bytes is NULL");
  return gsl::span<const uint8_t>(bytes, n);
}

}  // namespace
}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Acc;
using kldkit::capi::Check;
using kldkit::capi::Guard;

extern "C" {

void kldkit_free(void* buffer) { std::free(buffer); }

kldkit_status kldkit_accumulator_options_init(
    kldkit_accumulator_options* options) {
  return kldkit::capi::InitOptions(
      "kldkit_accumulator_options_init", options,
      kldkit_accumulator_options KLDKIT_ACCUMULATOR_OPTIONS_INIT);
}

kldkit_status kldkit_accumulator_create(
    kldkit_accumulator** acc_out, const kldkit_accumulator_options* options) {
  static const char* const fn = "kldkit_accumulator_create";
  if (acc_out != nullptr) *acc_out = nullptr;
  return Guard(fn, [&] {
    Check(acc_out != nullptr, fn, "acc_out is NULL");
    const kldkit::AccumulatorOptions o =
        kldkit::capi::ReadAccumulatorOptions(options, fn);
    *acc_out = new kldkit_accumulator{kldkit::Accumulator(o)};
  });
}

void kldkit_accumulator_free(kldkit_accumulator* acc) { delete acc; }

kldkit_status kldkit_accumulator_add(kldkit_accumulator* acc,
                                     const kldkit_token_result* results,
                                     size_t n_results) {
  static const char* const fn = "kldkit_accumulator_add";
  return Guard(fn, [&] {
    kldkit_accumulator& a = Acc(acc, fn);
    if (n_results == 0) return;
    Check(results != nullptr, fn, "results is NULL");
    const size_t stride = kldkit::capi::TokenResultStride(results, fn);
    const char* p = reinterpret_cast<const char*>(results);
    for (size_t i = 0; i < n_results; ++i) {
      Check(reinterpret_cast<const kldkit_token_result*>(p + i * stride)
                    ->struct_size == stride,
            fn, "results disagree on struct_size");
    }
    for (size_t i = 0; i < n_results; ++i) {
      a.acc.Add(kldkit::capi::FromC(
          *reinterpret_cast<const kldkit_token_result*>(p + i * stride)));
    }
  });
}

kldkit_status kldkit_accumulator_merge(kldkit_accumulator* acc,
                                       const kldkit_accumulator* other) {
  static const char* const fn = "kldkit_accumulator_merge";
  return Guard(fn, [&] {
    kldkit_accumulator& a = Acc(acc, fn);
    Check(other != nullptr, fn, "other is NULL");
    Check(other != acc, fn, "other is acc itself");
    a.acc.Merge(other->acc);
  });
}

kldkit_status kldkit_accumulator_serialize(uint8_t* out, size_t out_len,
                                           size_t* size_out,
                                           const kldkit_accumulator* acc) {
  static const char* const fn = "kldkit_accumulator_serialize";
  return Guard(fn, [&] {
    const kldkit_accumulator& a = Acc(acc, fn);
    Check(size_out != nullptr, fn, "size_out is NULL");
    const std::vector<uint8_t> bytes = a.acc.Serialize();
    kldkit::capi::CopyBytes(out, out_len, size_out, bytes.data(),
                            bytes.size(), fn);
  });
}

kldkit_status kldkit_accumulator_serialize_alloc(
    uint8_t** bytes_out, size_t* size_out, const kldkit_accumulator* acc) {
  static const char* const fn = "kldkit_accumulator_serialize_alloc";
  if (bytes_out != nullptr) *bytes_out = nullptr;
  return Guard(fn, [&] {
    Check(bytes_out != nullptr && size_out != nullptr, fn,
          "bytes_out or size_out is NULL");
    const std::vector<uint8_t> bytes = Acc(acc, fn).acc.Serialize();
    *bytes_out = static_cast<uint8_t*>(
        kldkit::capi::AllocCopy(bytes.data(), bytes.size()));
    *size_out = bytes.size();
  });
}

kldkit_status kldkit_accumulator_deserialize(kldkit_accumulator** acc_out,
                                             const uint8_t* bytes,
                                             size_t n_bytes) {
  static const char* const fn = "kldkit_accumulator_deserialize";
  if (acc_out != nullptr) *acc_out = nullptr;
  return Guard(fn, [&] {
    Check(acc_out != nullptr, fn, "acc_out is NULL");
    auto a = std::make_unique<kldkit_accumulator>(kldkit_accumulator{
        kldkit::Accumulator::Deserialize(
            kldkit::capi::Bytes(bytes, n_bytes, fn))});
    *acc_out = a.release();
  });
}

kldkit_status kldkit_accumulator_decode_merge(kldkit_accumulator* acc,
                                              const uint8_t* bytes,
                                              size_t n_bytes) {
  static const char* const fn = "kldkit_accumulator_decode_merge";
  return Guard(fn, [&] {
    kldkit_accumulator& a = Acc(acc, fn);
    a.acc.DecodeAndMerge(kldkit::capi::Bytes(bytes, n_bytes, fn));
  });
}

kldkit_status kldkit_accumulator_report(kldkit_report* report_out,
                                        const kldkit_accumulator* acc,
                                        int with_percentiles) {
  static const char* const fn = "kldkit_accumulator_report";
  return Guard(fn, [&] {
    Check(report_out != nullptr, fn, "report_out is NULL");
    Check(report_out->struct_size >=
              offsetof(kldkit_report, n_tokens) + sizeof(uint64_t),
          fn, "report_out->struct_size is too small: use KLDKIT_REPORT_INIT");
    const kldkit::Report r = Acc(acc, fn).acc.MakeReport(with_percentiles != 0);
    kldkit::capi::CopyOut(report_out, kldkit::capi::ToC(r));
  });
}

}  // extern "C"
