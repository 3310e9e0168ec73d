#include "lib/metrics/sketch_codec.h"

#include <cmath>

#include "lib/common/error.h"

namespace kldkit {
namespace detail {

void CheckFormat(bool ok, const char* message) {
  if (!ok) Throw(KLDKIT_ERROR_FORMAT, message);
}

namespace {

void WriteStore(const DenseStore& store, ByteWriter& w) {
  if (store.IsEmpty()) {
    w.I32(0);
    w.U32(0);
    return;
  }
  w.I32(store.MinIndex());
  w.U32(static_cast<uint32_t>(store.MaxIndex() - store.MinIndex() + 1));
  for (int32_t i = store.MinIndex(); i <= store.MaxIndex(); ++i) {
    w.U64(store.CountAt(i));
  }
}

}  // namespace

void WriteSketch(const QuantileSketch& sketch, ByteWriter& w) {
  w.U64(sketch.ZeroCount());
  WriteStore(sketch.Positive(), w);
  WriteStore(sketch.Negative(), w);
}

void ReadValues(ByteReader r, uint64_t n, std::vector<float>& out) {
  CheckFormat(r.Remaining() / 4 >= n, "value count exceeds section size");
  out.resize(static_cast<size_t>(n));
  for (float& v : out) {
    v = r.F32();
    CheckFormat(std::isfinite(v), "stored value is not finite");
  }
}

namespace {

void ReadStore(ByteReader& r, bool negative, QuantileSketch& sketch) {
  const int32_t first = r.I32();
  const uint32_t n = r.U32();
  if (n == 0) return;
  const auto& mapping = sketch.Mapping();
  CheckFormat(first >= mapping.MinIndex() &&
            int64_t{first} + n - 1 <= int64_t{mapping.MaxIndex()},
        "sketch bucket index out of range");
  CheckFormat(r.Remaining() / 8 >= n, "sketch store exceeds its section");
  for (uint32_t i = 0; i < n; ++i) {
    sketch.AddRaw(negative, static_cast<int32_t>(first + int64_t{i}), r.U64());
  }
}

}  // namespace

void ReadSketch(ByteReader r, uint64_t n, QuantileSketch& sketch) {
  sketch.AddZeros(r.U64());
  ReadStore(r, false, sketch);
  ReadStore(r, true, sketch);
  CheckFormat(r.Remaining() == 0, "sketch section has trailing bytes");
  CheckFormat(sketch.Count() == n, "sketch count differs from token count");
}

}  // namespace detail
}  // namespace kldkit
