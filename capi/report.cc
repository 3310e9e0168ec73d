// C ABI: kldkit_report <-> kldkit::Report, and the text, JSON and per-chunk
// renderings of a report.
#include <algorithm>
#include <cstddef>
#include <string>

#include "capi/accumulator.h"
#include "capi/buffer.h"
#include "capi/guard.h"
#include "kldkit.h"

namespace kldkit {
namespace capi {
namespace {

kldkit_estimate ToC(const Estimate& e) { return {e.value, e.uncertainty}; }
Estimate FromC(const kldkit_estimate& e) { return {e.value, e.uncertainty}; }

static_assert(KLDKIT_KLD_PERCENTILE_COUNT == kKldPercentileCount,
              "kldkit_report mirrors kldkit::Report");
static_assert(KLDKIT_DP_PERCENTILE_COUNT == kDpPercentileCount,
              "kldkit_report mirrors kldkit::Report");
static_assert(KLDKIT_MAX_MEASURE_STATS == kMaxMeasureStats,
              "kldkit_report mirrors kldkit::Report");

// 0.1's report ends with same_top: what a render function needs at least.
constexpr size_t kReportV1Size =
    offsetof(kldkit_report, same_top) + sizeof(kldkit_estimate);

// One list of a measure quantity's fields keeps both directions in step.
#define KLDKIT_CAPI_STAT_SCALARS(X) X(measure) X(k) X(n) X(n_skipped) X(min) X(max)

kldkit_measure_stat ToC(const MeasureStat& m) {
  kldkit_measure_stat c{};
#define KLDKIT_X(f) c.f = m.f;
  KLDKIT_CAPI_STAT_SCALARS(KLDKIT_X)
#undef KLDKIT_X
  c.mean = ToC(m.mean);
  c.second = ToC(m.second);
  std::copy(std::begin(m.percentiles), std::end(m.percentiles),
            std::begin(c.percentiles));
  return c;
}

MeasureStat FromC(const kldkit_measure_stat& c) {
  MeasureStat m;
#define KLDKIT_X(f) m.f = c.f;
  KLDKIT_CAPI_STAT_SCALARS(KLDKIT_X)
#undef KLDKIT_X
  m.mean = FromC(c.mean);
  m.second = FromC(c.second);
  std::copy(std::begin(c.percentiles), std::end(c.percentiles),
            std::begin(m.percentiles));
  return m;
}

}  // namespace

// One list of the fields copied both ways keeps ToC and FromC in step.
#define KLDKIT_CAPI_REPORT_SCALARS(X)                                        \
  X(sketch_relative_accuracy) X(n_tokens) X(n_skipped)                       \
  X(n_skipped_model_nan) X(n_skipped_model_inf) X(n_skipped_model_empty)     \
  X(n_skipped_base) X(n_skipped_non_finite) X(n_same_top)                    \
  X(ln_ppl_covariance) X(ln_ppl_correlation) X(kld_max) X(kld_min)           \
  X(dp_max) X(dp_min) X(dp_max_abs)
#define KLDKIT_CAPI_REPORT_ESTIMATES(X)                                      \
  X(ln_ppl) X(ln_ppl_base) X(ppl) X(ppl_base) X(ln_ppl_ratio) X(ppl_ratio)   \
  X(ppl_diff) X(kld) X(dp) X(dp_rms) X(same_top)

kldkit_report ToC(const Report& r) {
  kldkit_report c{};
  c.struct_size = sizeof(c);
  c.percentile_mode = r.percentile_mode;
  c.has_statistics = r.has_statistics ? 1u : 0u;
  c.has_percentiles = r.has_percentiles ? 1u : 0u;
#define KLDKIT_X(f) c.f = r.f;
  KLDKIT_CAPI_REPORT_SCALARS(KLDKIT_X)
#undef KLDKIT_X
#define KLDKIT_X(f) c.f = ToC(r.f);
  KLDKIT_CAPI_REPORT_ESTIMATES(KLDKIT_X)
#undef KLDKIT_X
  for (int i = 0; i < kKldPercentileCount; ++i) {
    c.kld_percentiles[i] = r.kld_percentiles[i];
  }
  for (int i = 0; i < kDpPercentileCount; ++i) {
    c.dp_percentiles[i] = r.dp_percentiles[i];
  }
  c.n_measure_stats = r.n_measure_stats;
  for (uint32_t i = 0; i < r.n_measure_stats; ++i) {
    c.measure_stats[i] = ToC(r.measure_stats[i]);
  }
  return c;
}

Report FromC(const kldkit_report* c, const char* fn) {
  Check(c != nullptr, fn, "report is NULL");
  Check(c->struct_size >= kReportV1Size, fn,
        "report->struct_size is smaller than a complete kldkit_report");
  Report r;
  r.percentile_mode = c->percentile_mode;
  r.has_statistics = c->has_statistics != 0;
  r.has_percentiles = c->has_percentiles != 0;
#define KLDKIT_X(f) r.f = c->f;
  KLDKIT_CAPI_REPORT_SCALARS(KLDKIT_X)
#undef KLDKIT_X
#define KLDKIT_X(f) r.f = FromC(c->f);
  KLDKIT_CAPI_REPORT_ESTIMATES(KLDKIT_X)
#undef KLDKIT_X
  for (int i = 0; i < kKldPercentileCount; ++i) {
    r.kld_percentiles[i] = c->kld_percentiles[i];
  }
  for (int i = 0; i < kDpPercentileCount; ++i) {
    r.dp_percentiles[i] = c->dp_percentiles[i];
  }
  if (KLDKIT_CAPI_COVERS(c, kldkit_report, measure_stats)) {
    Check(c->n_measure_stats <= KLDKIT_MAX_MEASURE_STATS, fn,
          "report->n_measure_stats exceeds KLDKIT_MAX_MEASURE_STATS");
    r.n_measure_stats = c->n_measure_stats;
    for (uint32_t i = 0; i < c->n_measure_stats; ++i) {
      r.measure_stats[i] = FromC(c->measure_stats[i]);
    }
  }
  return r;
}

}  // namespace capi
}  // namespace kldkit

using kldkit::capi::Check;
using kldkit::capi::CopyText;
using kldkit::capi::Guard;

namespace {

// The _alloc renderings: *text_out gets the text in memory freed with
// kldkit_free, NULL on failure.
template <typename Render>
kldkit_status RenderAlloc(const char* fn, char** text_out,
                          const Render& render) {
  if (text_out != nullptr) *text_out = nullptr;
  return Guard(fn, [&] {
    Check(text_out != nullptr, fn, "text_out is NULL");
    *text_out = kldkit::capi::AllocText(render());
  });
}

}  // namespace

extern "C" {

kldkit_status kldkit_render_text(char* out, size_t out_len, size_t* size_out,
                                 const kldkit_report* report) {
  static const char* const fn = "kldkit_render_text";
  return Guard(fn, [&] {
    Check(size_out != nullptr, fn, "size_out is NULL");
    CopyText(out, out_len, size_out,
             kldkit::RenderText(kldkit::capi::FromC(report, fn)), fn);
  });
}

kldkit_status kldkit_render_json(char* out, size_t out_len, size_t* size_out,
                                 const kldkit_report* report) {
  static const char* const fn = "kldkit_render_json";
  return Guard(fn, [&] {
    Check(size_out != nullptr, fn, "size_out is NULL");
    CopyText(out, out_len, size_out,
             kldkit::RenderJson(kldkit::capi::FromC(report, fn)), fn);
  });
}

kldkit_status kldkit_render_chunk_header(char* out, size_t out_len,
                                         size_t* size_out) {
  static const char* const fn = "kldkit_render_chunk_header";
  return Guard(fn, [&] {
    CopyText(out, out_len, size_out, kldkit::ChunkHeader(), fn);
  });
}

kldkit_status kldkit_render_chunk_line(char* out, size_t out_len,
                                       size_t* size_out, int chunk,
                                       const kldkit_report* running) {
  static const char* const fn = "kldkit_render_chunk_line";
  return Guard(fn, [&] {
    Check(size_out != nullptr, fn, "size_out is NULL");
    Check(chunk >= 1, fn, "chunk numbers start at 1");
    CopyText(out, out_len, size_out,
             kldkit::FormatChunkLine(chunk, kldkit::capi::FromC(running, fn)),
             fn);
  });
}

kldkit_status kldkit_render_text_alloc(char** text_out,
                                       const kldkit_report* report) {
  static const char* const fn = "kldkit_render_text_alloc";
  return RenderAlloc(fn, text_out, [&] {
    return kldkit::RenderText(kldkit::capi::FromC(report, fn));
  });
}

kldkit_status kldkit_render_json_alloc(char** text_out,
                                       const kldkit_report* report) {
  static const char* const fn = "kldkit_render_json_alloc";
  return RenderAlloc(fn, text_out, [&] {
    return kldkit::RenderJson(kldkit::capi::FromC(report, fn));
  });
}

kldkit_status kldkit_render_chunk_header_alloc(char** text_out) {
  return RenderAlloc("kldkit_render_chunk_header_alloc", text_out,
                     [] { return kldkit::ChunkHeader(); });
}

kldkit_status kldkit_render_chunk_line_alloc(char** text_out, int chunk,
                                             const kldkit_report* running) {
  static const char* const fn = "kldkit_render_chunk_line_alloc";
  return RenderAlloc(fn, text_out, [&] {
    Check(chunk >= 1, fn, "chunk numbers start at 1");
    return kldkit::FormatChunkLine(chunk, kldkit::capi::FromC(running, fn));
  });
}

}  // extern "C"
