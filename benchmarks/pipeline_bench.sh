#!/usr/bin/env bash
# Where end-to-end time goes, from one run (issue 21): the kernel alone
# (dense and sparse base rows against the model's log-sum-exp), the
# container decoded alone, and `kldkit compare` end to end for each source
# kind on 1 and 2 threads, with the ratios the issue sets targets for,
# and the read paths (files mapped or copied) against each other.
# With OLD_BUILD, each end-to-end case alternates old and new runs.
#
#   benchmarks/pipeline_bench.sh BUILD [OLD_BUILD|-] [ROWS] [REPS]  (1008, 5)
#
# Files: the demo's set of ROWS rows of 248,320 tokens in $TMPDIR (use
# /dev/shm: ~1.5 GB per 1,008 rows), removed at exit. Medians of REPS.
set -euo pipefail
build=$1
old=${2:--}
rows=${3:-1008}
reps=${4:-5}
kldkit="$build/tools/kldkit"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kldkit-pipeline-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# Median of a Google Benchmark: its real time in us, or its rows/s.
bench() {  # bench BINARY FILTER us|rows [ARGS...]
  local bin=$1 filter=$2 field=$3
  shift 3
  "$bin" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true --benchmark_format=json "$@" \
    2>/dev/null | /usr/bin/python3 -c '
import json, sys
field = sys.argv[1]
for b in json.load(sys.stdin)["benchmarks"]:
    if b.get("aggregate_name") == "median":
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
        print(round(b["real_time"] * scale, 1) if field == "us"
              else round(b["items_per_second"]))
        break' "$field"
}

echo "== kernel, one hot row of 248,320 (us, median of $reps)"
for s in 50 200; do
  lse=$(bench "$build/benchmarks/kernels_bench" "BM_LogSumExpSpread/$s/" us)
  dense=$(bench "$build/benchmarks/kernels_bench" "BM_CompareRowU16Spread/$s/0/" us)
  sparse=$(bench "$build/benchmarks/kernels_bench" "BM_CompareSparseSpread/$s/" us)
  echo "spread $(awk -v s=$s 'BEGIN {print s / 100}'): LSE $lse, dense $dense ($(ratio "$dense" "$lse")x LSE), sparse $sparse ($(ratio "$sparse" "$lse")x LSE)"
done
dense1=$(bench "$build/benchmarks/kernels_bench" 'BM_CompareRowU16/stream/real_time/threads:1$' rows)
r1=$(bench "$build/benchmarks/kernels_bench" 'BM_ReadRoofline/stream/real_time/threads:1$' us)
r2=$(bench "$build/benchmarks/kernels_bench" 'BM_ReadRoofline/stream/real_time/threads:2$' us)
# Google Benchmark's real time of a 2-thread run is per row read by either
# thread (wall time over both threads' rows), so r1 / r2 is the scaling.
scale=$(awk -v a="$r1" -v b="$r2" 'BEGIN {printf "%.2f", a / b}')
want=$(awk -v s="$scale" 'BEGIN {v = 0.9 * s; printf "%.2f", v < 1.6 ? v : 1.6}')
echo "dense compare streaming, 1 thread: $dense1 rows/s; read roofline 2T/1T $scale (scaling target $want)"

"$kldkit" demo --rows "$rows" --base-out "$tmp/base.kldz" \
  --quant-out "$tmp/q4.npy" --no-svg -q > /dev/null
"$kldkit" convert "$tmp/base.kldz" "$tmp/base.logits" -q
"$kldkit" convert "$tmp/q4.npy" "$tmp/q4.logits" --tokens "$tmp/base.logits" -q
rm -f "$tmp/base-kld.kldz"

echo "== container decode, $rows rows (rows/s, median of $reps)"
declare -A decode
for t in 1 2; do
  decode[$t]=$(bench "$build/benchmarks/decode_bench" "BM_SparseCursor/threads:$t/" rows --file "$tmp/base.kldz")
  dense=$(bench "$build/benchmarks/decode_bench" "BM_DenseCursor/threads:$t/" rows --file "$tmp/base.kldz")
  echo "threads $t: sparse ${decode[$t]}, dense $dense"
done

rate() {  # rows/s that compare reports
  "$@" 2>&1 > /dev/null | tail -1 | sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/'
}
echo "== kldkit compare end to end (rows/s, median of $reps)"
for pair in "base.kldz q4.npy" "base.logits q4.npy" "base.kldz q4.logits" \
            "base.logits q4.logits"; do
  set -- $pair
  declare -A got=()
  for t in 1 2; do
    args=(compare "$tmp/$1" "$tmp/$2" -t "$t")
    rate "$kldkit" "${args[@]}" > /dev/null  # page cache warm
    : > "$tmp/new"; : > "$tmp/old"
    for ((i = 0; i < reps; ++i)); do
      [[ $old == - ]] || rate "$old/tools/kldkit" "${args[@]}" >> "$tmp/old"
      rate "$kldkit" "${args[@]}" >> "$tmp/new"
    done
    got[$t]=$(median < "$tmp/new")
    line="$1 -> $2 -t $t: ${got[$t]}"
    if [[ $old != - ]]; then
      o=$(median < "$tmp/old")
      line+=" (old $o, $(ratio "${got[$t]}" "$o")x)"
    fi
    [[ $1 == base.kldz ]] && line+=", $(ratio "${got[$t]}" "${decode[$t]}")x sparse decode"
    [[ $1 == base.logits && $2 == q4.npy && $t == 1 ]] && line+=", $(ratio "${got[$t]}" "$dense1")x dense kernel"
    echo "$line"
  done
  echo "   2T/1T $(ratio "${got[2]}" "${got[1]}") (target $want)"
done

# Mapped or copied files (KLDKIT_READ; auto measures at open which is
# cheaper on this machine), the same build alternating.
echo "== read paths, -t 1 (rows/s, median of $reps; KLDKIT_READ=map / copy / auto)"
for pair in "base.kldz q4.npy" "base.logits q4.npy" "base.logits q4.logits"; do
  set -- $pair
  args=(compare "$tmp/$1" "$tmp/$2" -t 1)
  for how in map copy auto; do : > "$tmp/$how"; done
  for ((i = 0; i < reps; ++i)); do
    for how in map copy auto; do
      KLDKIT_READ=$how rate "$kldkit" "${args[@]}" >> "$tmp/$how"
    done
  done
  echo "$1 -> $2: $(median < "$tmp/map") / $(median < "$tmp/copy") / $(median < "$tmp/auto")"
done
