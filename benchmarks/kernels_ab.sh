#!/usr/bin/env bash
# A/B of kernels_bench between two builds, alternating runs (machine drift
# hits both alike): the median time per benchmark of REPS runs each, and
# new/old. Benchmarks the old build lacks are listed with the new time only.
#
#   benchmarks/kernels_ab.sh OLD_BUILD NEW_BUILD FILTER [REPS]   (7)
#
# e.g. the compare with the measures off, against the build before them:
#   benchmarks/kernels_ab.sh /tmp/old/build build \
#     'BM_CompareRowU16/hot/real_time/threads:1$|BM_CompareRowU16Spread/[0-9]+(/0)?/real'
# (a Spread benchmark's "/0" argument, measures off, is matched to the old
# name without it).
set -euo pipefail
old="$1/benchmarks/kernels_bench"
new="$2/benchmarks/kernels_bench"
filter="$3"
reps=${4:-7}
for b in "$old" "$new"; do
  [[ -x "$b" ]] || { echo "kernels_ab: $b not built" >&2; exit 2; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 0; i < reps; ++i)); do
  for side in new old; do
    bench=$new
    [[ $side == old ]] && bench=$old
    "$bench" --benchmark_filter="$filter" --benchmark_min_time=0.5 \
        2>/dev/null | awk -v s="$side" '/^BM/ {print s, $1, $2}' >> "$out"
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, name, t = line.split()
    name = name.replace("/real_time", "").replace("/threads:1", "")
    if side == "new" and name.startswith("BM_CompareRowU16Spread/") \
            and name.endswith("/0"):
        name = name[:-2]
    times[(side, name)].append(float(t))
for name in sorted({n for _, n in times}):
    new = statistics.median(times[("new", name)]) if ("new", name) in times else None
    old = statistics.median(times[("old", name)]) if ("old", name) in times else None
    if new is None:
        continue
    ratio = f"new/old {new / old:.3f}" if old else "(new only)"
    print(f"{name:45s} old {old or float('nan'):8.1f} new {new:8.1f} us  {ratio}")
PY
