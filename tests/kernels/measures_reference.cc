#include "tests/kernels/measures_reference.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kldkit/row.hpp"
#include "tests/kernels/reference.h"

namespace kldkit {
namespace testing {
namespace {

// Token ids, best first: higher value, then lower id.
std::vector<size_t> Order(const std::vector<long double>& value) {
  std::vector<size_t> ids(value.size());
  std::iota(ids.begin(), ids.end(), size_t{0});
  std::stable_sort(ids.begin(), ids.end(), [&](size_t a, size_t b) {
    return value[a] > value[b];
  });
  return ids;
}

int64_t Rank(const std::vector<size_t>& order, int32_t target) {
  return std::find(order.begin(), order.end(), static_cast<size_t>(target)) -
         order.begin();
}

long double XLogXOverY(long double x, long double y) {
  if (x == 0) return 0;
  return y == 0 ? INFINITY : x * std::log(x / y);
}

}  // namespace

RefSide RefLlamaSide(const uint16_t* row, size_t n) {
  RefSide s;
  s.stored = true;
  s.lp = RefDequantize(row, n);
  const bool all = ReadLlamaRowHeader(row).scale == 0.0f;
  for (size_t i = 0; i < n; ++i) {
    s.known.push_back(all || row[4 + i] > 0);
    s.value.push_back(row[4 + i]);
  }
  return s;
}

RefSide RefFloatSide(const float* logits, size_t n) {
  RefSide s;
  s.lp = RefLogSoftmax(logits, n);
  s.known.assign(n, true);
  s.value.assign(logits, logits + n);
  return s;
}

void RefLump(const RefSide& b, const RefSide& q, RefLumped* pb,
             RefLumped* pq) {
  const size_t n = b.lp.size();
  std::vector<bool> in_a(n);
  size_t n_out = 0;
  for (size_t i = 0; i < n; ++i) {
    in_a[i] = b.known[i] && q.known[i];
    n_out += !in_a[i];
  }
  struct Mass {
    long double s = 0, out = 0, out_known = 0, c = 1, l = 0;
  };
  const auto masses = [&](const RefSide& side) {
    Mass m;
    for (size_t i = 0; i < n; ++i) {
      const long double e = std::exp(side.lp[i]);
      if (in_a[i]) {
        m.s += e;
      } else {
        m.out += e;
        if (side.known[i]) m.out_known += e;
      }
    }
    if (n_out == 0) {
      m.c = m.s;
    } else if (!side.stored) {
      m.c = m.s + m.out;
      m.l = m.out / m.c;
    } else if (m.s < 1) {
      m.l = 1 - m.s;
    } else {
      m.c = m.s;
    }
    return m;
  };
  Mass mb = masses(b), mq = masses(q);
  // An L of 0 facing a positive one: the known mass outside A, or else
  // the same L as the other side (p_L / (s + p_L) = other's L).
  const auto fallback = [](Mass& m, const Mass& other) {
    const long double mass =
        m.out_known > 0 ? m.out_known : other.l * m.s / (1 - other.l);
    if (mass > 0) {
      m.c = m.s + mass;
      m.l = mass / m.c;
    }
  };
  if (n_out > 0 && mb.l == 0 && mq.l > 0) fallback(mb, mq);
  if (n_out > 0 && mq.l == 0 && mb.l > 0) fallback(mq, mb);
  const auto fill = [&](const RefSide& side, const Mass& m, RefLumped* out) {
    out->p.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      if (in_a[i]) out->p[i] = std::exp(side.lp[i]) / m.c;
    }
    out->l = m.l;
    out->c = m.c;
  };
  fill(b, mb, pb);
  fill(q, mq, pq);
}

RefMeasures RefDivergences(const std::vector<long double>& p,
                           const std::vector<long double>& q) {
  RefMeasures r;
  for (size_t i = 0; i < p.size(); ++i) {
    const long double m = (p[i] + q[i]) / 2;
    r.kl += XLogXOverY(p[i], q[i]);
    r.rkl += XLogXOverY(q[i], p[i]);
    r.jsd += (XLogXOverY(p[i], m) + XLogXOverY(q[i], m)) / 2;
    r.tvd += std::fabs(p[i] - q[i]) / 2;
    r.entropy_base -= p[i] > 0 ? p[i] * std::log(p[i]) : 0;
    r.entropy_model -= q[i] > 0 ? q[i] * std::log(q[i]) : 0;
  }
  return r;
}

RefMeasures RefMeasurePair(const RefSide& b, const RefSide& q, int32_t target,
                           const std::vector<int>& ks) {
  RefLumped pb, pq;
  RefLump(b, q, &pb, &pq);
  pb.p.push_back(pb.l);
  pq.p.push_back(pq.l);
  RefMeasures r = RefDivergences(pb.p, pq.p);
  const std::vector<size_t> ob = Order(b.value), oq = Order(q.value);
  r.rank_base = Rank(ob, target);
  r.rank_model = Rank(oq, target);
  r.p_top_base = std::exp(b.lp[ob[0]]) / pb.c;
  const size_t n = b.lp.size();
  for (const int k : ks) {
    const size_t kk = std::min(static_cast<size_t>(k), n);
    size_t common = 0;
    for (size_t i = 0; i < kk; ++i) {
      common += std::count(oq.begin(), oq.begin() + kk, ob[i]);
    }
    r.overlap.push_back(static_cast<long double>(common) / kk);
  }
  return r;
}

}  // namespace testing
}  // namespace kldkit
