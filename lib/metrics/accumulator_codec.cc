// Accumulator <-> bytes, format specified in docs/accumulator-encoding.md.
#include <cmath>
#include <cstring>

#include "kldkit/metrics.hpp"
#include "lib/common/error.h"
#include "lib/metrics/accumulator_impl.h"
#include "lib/common/bytes.h"
#include "lib/metrics/crc32c.h"
#include "lib/metrics/sketch_codec.h"
#include "lib/metrics/sum_codec.h"

namespace kldkit {
namespace {

using detail::ByteReader;
using detail::ByteWriter;
using detail::Throw;

constexpr char kMagic[4] = {'K', 'L', 'D', 'A'};
// Version 1: llama.cpp's statistics. Version 2: the measures in the config
// and one section per measure. Version 3 (0.2): every sum exact, as a term
// list, so partial states merge to the same bits in any grouping; the
// measures field always present (0: none).
constexpr uint16_t kVersion = detail::kExactSumsVersion;
constexpr size_t kHeaderBytes = 16;
constexpr size_t kTrailerBytes = 4;

// Section types (the flag byte in front of every section).
enum Section : uint8_t {
  kConfig = 0x01,
  kMoments = 0x02,
  kExactValues = 0x03,
  kKldSketch = 0x04,
  kDpSketch = 0x05,
  kMeasure = 0x06,
};

void Check(bool ok, const char* message) { detail::CheckFormat(ok, message); }

// ---- writing ------------------------------------------------------------

// Writes the flag byte and a length placeholder; returns where it goes.
size_t BeginSection(ByteWriter& w, Section type) {
  w.U8(type);
  const size_t at = w.Size();
  w.U64(0);
  return at;
}
void EndSection(ByteWriter& w, size_t at) {
  w.PatchU64(at, w.Size() - at - 8);
}

void WriteMoments(const detail::MomentSums& m, ByteWriter& w) {
  w.U64(m.n);
  w.U64(m.n_same_top);
  for (const uint64_t s : m.skipped) w.U64(s);
  for (const detail::ExactSum& s : m.sums) detail::WriteSum(s, w);
  w.F32(m.max_abs_dp);
  w.F32(m.kld_min);
  w.F32(m.kld_max);
  w.F32(m.dp_min);
  w.F32(m.dp_max);
}

// ---- reading ------------------------------------------------------------

AccumulatorOptions ReadConfig(ByteReader r, uint32_t version) {
  AccumulatorOptions options;
  const uint32_t mode = r.U32();
  if (mode > 1) Throw(KLDKIT_ERROR_UNSUPPORTED, "unknown percentile mode");
  options.percentiles = static_cast<PercentileMode>(mode);
  options.sketch_relative_accuracy = r.F64();
  const double min_value = r.F64();
  const double max_value = r.F64();
  if (version >= 2) {
    options.measures = r.U32();
    for (uint32_t& k : options.top_k.k) k = r.U32();
    Check(version > 2 || options.measures != 0,
          "version-2 state without measures");
  }
  Check(r.Remaining() == 0, "config section has trailing bytes");
  Check(min_value == kSketchMinValue && max_value == kSketchMaxValue,
        "sketch indexable range differs from this version's");
  try {
    detail::ValidateOptions(options);
  } catch (const Error&) {
    Throw(KLDKIT_ERROR_FORMAT, "accumulator state holds invalid options");
  }
  return options;
}

void ReadMoments(ByteReader r, uint32_t version, detail::MomentSums& m) {
  m.n = r.U64();
  m.n_same_top = r.U64();
  for (uint64_t& s : m.skipped) s = r.U64();
  for (detail::ExactSum& s : m.sums) {
    s = detail::ReadSum(r, version, "accumulator sum");
  }
  m.max_abs_dp = r.F32();
  m.kld_min = r.F32();
  m.kld_max = r.F32();
  m.dp_min = r.F32();
  m.dp_max = r.F32();
  Check(r.Remaining() == 0, "moments section has trailing bytes");
  Check(m.n_same_top <= m.n, "same-top count exceeds token count");
  uint64_t total = 0;
  Check(m.TokenTotal(&total), "token counts exceed 2^64 - 1");
  if (m.n > 0) {
    Check(m.kld_min <= m.kld_max && m.dp_min <= m.dp_max,
          "accumulator extremes are inconsistent");
  }
}

void ReadExact(ByteReader r, Accumulator::Impl& s) {
  const uint64_t n = r.U64();
  Check(n == s.moments.n, "stored value count differs from token count");
  Check(r.Remaining() % 8 == 0 && r.Remaining() / 8 == n,
        "exact-values section has the wrong size");
  detail::ReadValues(r.Sub(n * 4), n, s.kld_values);
  detail::ReadValues(r.Sub(n * 4), n, s.dp_values);
}

// Checks the envelope and returns a reader over the sections.
// Reads an accumulator state: running short is TRUNCATED.
ByteReader StateReader(gsl::span<const uint8_t> bytes) {
  return ByteReader(bytes, KLDKIT_ERROR_TRUNCATED, "accumulator state");
}

ByteReader OpenEnvelope(gsl::span<const uint8_t> bytes, uint32_t* version_out) {
  if (bytes.size() < kHeaderBytes) {
    Throw(KLDKIT_ERROR_TRUNCATED, "accumulator state shorter than its header");
  }
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) {
    Throw(KLDKIT_ERROR_FORMAT, "not a kldkit accumulator state (bad magic)");
  }
  ByteReader header = StateReader(bytes.subspan(4, kHeaderBytes - 4));
  const uint32_t version_and_flags = header.U32();  // two u16, LE
  const uint32_t version = version_and_flags & 0xFFFF;
  const uint32_t flags = version_and_flags >> 16;
  const uint64_t body = header.U64();
  if (version == 0 || version > kVersion) {
    Throw(KLDKIT_ERROR_UNSUPPORTED,
          "accumulator state version " + std::to_string(version) +
              " is not supported (this library reads 1 to 3)");
  }
  *version_out = version;
  Check(flags == 0, "accumulator state has unknown header flags");
  const uint64_t available = bytes.size() - kHeaderBytes;
  if (body > available || available - body < kTrailerBytes) {
    Throw(KLDKIT_ERROR_TRUNCATED, "accumulator state is truncated");
  }
  Check(available - body == kTrailerBytes,
        "accumulator state has trailing bytes");
  const size_t end = kHeaderBytes + static_cast<size_t>(body);
  ByteReader trailer = StateReader(bytes.subspan(end, kTrailerBytes));
  if (trailer.U32() != detail::Crc32c(bytes.first(end))) {
    Throw(KLDKIT_ERROR_CHECKSUM, "accumulator state checksum mismatch");
  }
  return StateReader(bytes.subspan(kHeaderBytes, static_cast<size_t>(body)));
}

// Reads one section header; returns its type and a reader over its body.
uint8_t NextSection(ByteReader& r, ByteReader* body) {
  const uint8_t type = r.U8();
  const uint64_t length = r.U64();
  *body = r.Sub(length);
  return type;
}

void ExpectSection(ByteReader& r, uint8_t type, ByteReader* body) {
  if (NextSection(r, body) != type) {
    Throw(KLDKIT_ERROR_FORMAT, "accumulator state has an unexpected section");
  }
}

}  // namespace

std::vector<uint8_t> Accumulator::Serialize() const {
  const Impl& s = *impl_;
  ByteWriter w;
  for (const char c : kMagic) w.U8(static_cast<uint8_t>(c));
  w.U8(static_cast<uint8_t>(kVersion & 0xFF));
  w.U8(static_cast<uint8_t>(kVersion >> 8));
  w.U8(0);
  w.U8(0);
  w.U64(0);  // body length, patched below
  size_t at = BeginSection(w, kConfig);
  w.U32(static_cast<uint32_t>(s.options.percentiles));
  w.F64(s.options.sketch_relative_accuracy);
  w.F64(kSketchMinValue);
  w.F64(kSketchMaxValue);
  w.U32(s.options.measures);
  for (const uint32_t k : s.options.top_k.k) w.U32(k);
  EndSection(w, at);
  at = BeginSection(w, kMoments);
  WriteMoments(s.moments, w);
  EndSection(w, at);
  if (s.kld_sketch) {
    at = BeginSection(w, kKldSketch);
    detail::WriteSketch(*s.kld_sketch, w);
    EndSection(w, at);
    at = BeginSection(w, kDpSketch);
    detail::WriteSketch(*s.dp_sketch, w);
    EndSection(w, at);
  } else {
    at = BeginSection(w, kExactValues);
    w.U64(s.kld_values.size());
    for (const float v : s.kld_values) w.F32(v);
    for (const float v : s.dp_values) w.F32(v);
    EndSection(w, at);
  }
  for (size_t i = 0; i < s.measures.Count(); ++i) {
    at = BeginSection(w, kMeasure);
    s.measures.Encode(i, w);
    EndSection(w, at);
  }
  w.PatchU64(8, w.Size() - kHeaderBytes);
  const uint32_t crc = detail::Crc32c(w.Bytes());
  w.U32(crc);
  return std::move(w.Bytes());
}

Accumulator Accumulator::Deserialize(gsl::span<const uint8_t> bytes) {
  uint32_t version = 0;
  ByteReader sections = OpenEnvelope(bytes, &version);
  ByteReader body = StateReader({});
  ExpectSection(sections, kConfig, &body);
  Accumulator result(ReadConfig(body, version));
  Impl& s = *result.impl_;
  ExpectSection(sections, kMoments, &body);
  ReadMoments(body, version, s.moments);
  if (s.kld_sketch) {
    ExpectSection(sections, kKldSketch, &body);
    detail::ReadSketch(body, s.moments.n, *s.kld_sketch);
    ExpectSection(sections, kDpSketch, &body);
    detail::ReadSketch(body, s.moments.n, *s.dp_sketch);
  } else {
    ExpectSection(sections, kExactValues, &body);
    ReadExact(body, s);
  }
  for (size_t i = 0; i < s.measures.Count(); ++i) {
    ExpectSection(sections, kMeasure, &body);
    s.measures.Decode(i, s.moments.n, version, body);
  }
  Check(sections.Remaining() == 0, "accumulator state has unknown sections");
  return result;
}

void Accumulator::DecodeAndMerge(gsl::span<const uint8_t> bytes) {
  const Accumulator decoded = Deserialize(bytes);
  if (!detail::SameOptions(Options(), decoded.Options())) {
    Throw(KLDKIT_ERROR_INCOMPATIBLE,
          "decoded accumulator state has a different percentile mode, "
          "sketch accuracy or measures");
  }
  Merge(decoded);
}

}  // namespace kldkit
