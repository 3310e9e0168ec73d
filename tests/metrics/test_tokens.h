// Hand-made TokenResults for the metrics tests (no kernel needed).
#ifndef KLDKIT_TESTS_METRICS_TEST_TOKENS_H_
#define KLDKIT_TESTS_METRICS_TEST_TOKENS_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kldkit/kernels.hpp"

namespace kldkit {
namespace testing {

// A plausible valid token: nll in (0, 8), KLD heavy-tailed, p from nll.
inline TokenResult RandomToken(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  TokenResult r;
  r.nll_base = static_cast<float>(8.0 * u(rng));
  r.nll = r.nll_base + static_cast<float>(0.2 * (u(rng) - 0.5));
  if (r.nll < 0) r.nll = 0;
  r.kld = 1e-4 * std::pow(u(rng) + 1e-9, -1.5) - 1e-4 + 1e-7 * (u(rng) - 0.1);
  r.p = std::exp(-r.nll);
  r.p_base = std::exp(-r.nll_base);
  r.dp = r.p - r.p_base;
  r.top = static_cast<int32_t>(u(rng) * 100);
  r.top_base = u(rng) < 0.9 ? r.top : r.top + 1;
  r.flags = r.top == r.top_base ? kSameTop : 0u;
  return r;
}

inline std::vector<TokenResult> RandomTokens(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TokenResult> out(n);
  for (TokenResult& r : out) r = RandomToken(rng);
  return out;
}

// An invalid token as CompareRow reports one: NaN statistics, -1 tops.
inline TokenResult InvalidToken(uint32_t flags) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  TokenResult r;
  r.kld = std::numeric_limits<double>::quiet_NaN();
  r.nll = r.nll_base = r.p = r.p_base = r.dp = nan;
  r.flags = flags;
  return r;
}

}  // namespace testing
}  // namespace kldkit

#endif  // KLDKIT_TESTS_METRICS_TEST_TOKENS_H_
