#include "lib/metrics/sum_codec.h"

#include <cmath>
#include <string>

#include "lib/metrics/sketch_codec.h"

namespace kldkit {
namespace detail {

void WriteSum(const ExactSum& s, ByteWriter& w) {
  const std::vector<double> terms = s.Terms();
  w.U8(static_cast<uint8_t>(terms.size()));  // at most kLimbs
  for (const double t : terms) w.F64(t);
}

ExactSum ReadSum(ByteReader& r, uint32_t version, const char* what) {
  const size_t count = version >= kExactSumsVersion ? r.U8() : 2;
  CheckFormat(count <= ExactSum::kLimbs,
              (std::string(what) + " has too many terms").c_str());
  ExactSum s;
  for (size_t i = 0; i < count; ++i) {
    const double t = r.F64();
    CheckFormat(std::isfinite(t),
                (std::string(what) + " is not finite").c_str());
    s.Add(t);
  }
  return s;
}

}  // namespace detail
}  // namespace kldkit
