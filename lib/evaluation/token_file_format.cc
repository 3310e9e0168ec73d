// The token file's row planes and trailer fields (docs/token-file.md).
#include "lib/evaluation/token_file_format.h"

#include <cmath>
#include <cstring>
#include <string>

#include "kldkit/error.hpp"

namespace kldkit {
namespace detail {

namespace {

template <typename T>
uint64_t Bits(T v) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "a 4- or 8-byte value");
  if constexpr (sizeof(T) == 4) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u;
  } else {
    uint64_t u;
    std::memcpy(&u, &v, 8);
    return u;
  }
}

template <typename T>
T FromBits(uint64_t u) {
  T v;
  if constexpr (sizeof(T) == 4) {
    const uint32_t w = static_cast<uint32_t>(u);
    std::memcpy(&v, &w, 4);
  } else {
    std::memcpy(&v, &u, 8);
  }
  return v;
}

// Values [first, first + n) of `column` with `stride` (measures: one
// column per value of a row).
template <typename T>
void AppendPlanes(const T* column, size_t stride, size_t first, size_t n,
                  std::vector<uint8_t>* out) {
  for (size_t b = 0; b < sizeof(T); ++b) {
    for (size_t i = first; i < first + n; ++i) {
      out->push_back(static_cast<uint8_t>(Bits(column[i * stride]) >> (8 * b)));
    }
  }
}

template <typename T>
const uint8_t* ReadPlanes(const uint8_t* in, size_t n, size_t stride,
                          T* column) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t u = 0;
    for (size_t b = 0; b < sizeof(T); ++b) {
      u |= uint64_t{in[b * n + i]} << (8 * b);
    }
    column[i * stride] = FromBits<T>(u);
  }
  return in + sizeof(T) * n;
}

}  // namespace

size_t TokenRowBytes(size_t measure_values) {
  return 8 + 5 * 4 + 4 + 8 * measure_values;
}

void AppendTokenPlanes(const TokenColumns& c, size_t measure_values,
                       size_t first, size_t n, std::vector<uint8_t>* out) {
  AppendPlanes(c.kld.data(), 1, first, n, out);
  for (const std::vector<float>* f : {&c.nll, &c.nll_base, &c.p, &c.p_base,
                                      &c.dp}) {
    AppendPlanes(f->data(), 1, first, n, out);
  }
  AppendPlanes(c.flags.data(), 1, first, n, out);
  for (size_t k = 0; k < measure_values; ++k) {
    AppendPlanes(c.measures.data() + k, measure_values, first, n, out);
  }
}

void ReadTokenPlanes(gsl::span<const uint8_t> planes, size_t measure_values,
                     size_t n, TokenColumns* c) {
  if (planes.size() != n * TokenRowBytes(measure_values)) {
    throw Error(KLDKIT_ERROR_FORMAT, "token block of the wrong size");
  }
  const size_t at = c->Rows();
  const auto grow = [&](auto& v, size_t per_row) {
    v.resize((at + n) * per_row);
    return v.data() + at * per_row;
  };
  const uint8_t* in = planes.data();
  in = ReadPlanes(in, n, 1, grow(c->kld, 1));
  for (std::vector<float>* f : {&c->nll, &c->nll_base, &c->p, &c->p_base,
                                &c->dp}) {
    in = ReadPlanes(in, n, 1, grow(*f, 1));
  }
  in = ReadPlanes(in, n, 1, grow(c->flags, 1));
  double* m = grow(c->measures, measure_values);
  for (size_t k = 0; k < measure_values; ++k) {
    in = ReadPlanes(in, n, measure_values, m + k);
  }
}

void WriteTokenInfo(const TokenFileInfo& info, ByteWriter* w) {
  w->U64(info.identity);
  w->U32(info.n_ctx);
  w->U32(info.n_chunk);
  w->U64(info.rows);
  w->U64(info.n_vocab);
  w->U32(static_cast<uint32_t>(info.mode));
  w->F64(info.base_floor);
  w->U32(info.chunks.begin);
  w->U32(info.chunks.end);
  w->U32(info.measures);
  for (const uint32_t k : info.top_k.k) w->U32(k);
  w->U64(info.model_bytes);
  w->F64(info.bits_per_weight);
  w->U64(info.model.size());
  for (const char ch : info.model) w->U8(static_cast<uint8_t>(ch));
}

TokenFileInfo ReadTokenInfo(ByteReader* r, const std::string& path) {
  const auto require = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(KLDKIT_ERROR_FORMAT, path + ": token file: " + what);
  };
  TokenFileInfo info;
  info.identity = r->U64();
  info.n_ctx = r->U32();
  info.n_chunk = r->U32();
  info.rows = r->U64();
  info.n_vocab = r->U64();
  const uint32_t mode = r->U32();
  require(mode <= static_cast<uint32_t>(CompareMode::kExact),
          "unknown compare mode " + std::to_string(mode));
  info.mode = static_cast<CompareMode>(mode);
  info.base_floor = r->F64();
  // What ScanFloor measured of the base rows: nats, 0 for float rows.
  require(std::isfinite(info.base_floor) && info.base_floor >= 0,
          "a base floor of " + std::to_string(info.base_floor) + " nats");
  info.chunks.begin = r->U32();
  info.chunks.end = r->U32();
  require(info.n_chunk > 0 && info.rows % info.n_chunk == 0 &&
              info.chunks.begin < info.chunks.end &&
              info.chunks.end <= info.n_chunk,
          "chunks " + ToString(info.chunks) + " of " +
              std::to_string(info.n_chunk) + " over " +
              std::to_string(info.rows) + " rows");
  info.measures = r->U32();
  for (uint32_t& k : info.top_k.k) k = r->U32();
  try {
    ValidateMeasures(info.measures, info.top_k);
  } catch (const Error& e) {
    require(false, e.what());
  }
  info.model_bytes = r->U64();
  info.bits_per_weight = r->F64();
  const uint64_t label = r->U64();
  require(label <= kTokenMaxLabel, "a model label of " +
                                       std::to_string(label) + " bytes");
  const uint8_t* text = r->Take(label);
  info.model.assign(reinterpret_cast<const char*>(text), label);
  return info;
}

}  // namespace detail
}  // namespace kldkit
