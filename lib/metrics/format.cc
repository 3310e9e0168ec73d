#include "lib/metrics/format.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace kldkit {
namespace detail {

void Append(std::string& out, const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n > 0) out.append(buffer, static_cast<size_t>(n) < sizeof(buffer)
                                    ? static_cast<size_t>(n)
                                    : sizeof(buffer) - 1);
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

std::string JsonPercentKey(float fraction) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%.1f", 100.0 * fraction);
  return buffer;
}

std::string JsonPercentiles(const double* values, const float* fractions,
                            int count) {
  std::string out = "{";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "\"" + JsonPercentKey(fractions[i]) + "\": " + JsonNumber(values[i]);
  }
  return out + "}";
}

}  // namespace detail
}  // namespace kldkit
