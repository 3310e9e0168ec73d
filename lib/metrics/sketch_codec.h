// Encoding helpers shared by the accumulator's sections
// (docs/accumulator-encoding.md): stored float values and quantile
// sketches. Readers throw FORMAT on bytes no encoder writes.
#ifndef KLDKIT_LIB_METRICS_SKETCH_CODEC_H_
#define KLDKIT_LIB_METRICS_SKETCH_CODEC_H_

#include <cstdint>
#include <vector>

#include "lib/common/bytes.h"
#include "lib/metrics/quantile_sketch.h"

namespace kldkit {
namespace detail {

// Throws FORMAT with `message` unless ok.
void CheckFormat(bool ok, const char* message);

void WriteSketch(const QuantileSketch& sketch, ByteWriter& w);
// Reads a sketch that must hold n values into `sketch` (empty).
void ReadSketch(ByteReader r, uint64_t n, QuantileSketch& sketch);
// Reads n finite floats.
void ReadValues(ByteReader r, uint64_t n, std::vector<float>& out);

}  // namespace detail
}  // namespace kldkit

#endif  // KLDKIT_LIB_METRICS_SKETCH_CODEC_H_
