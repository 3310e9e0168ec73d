#!/usr/bin/env bash
# End-to-end throughput of `kldkit compare` on a 248,320-vocabulary base:
# rows/s with the base read from a .kldz container vs the raw llama.cpp
# file, at 1 and 2 threads, for a float .npy quant (llama.cpp's live case)
# and a stored llama.cpp quant (two saved files), next to the kernel-only
# rate of kernels_bench (BM_CompareRowU16, same row kinds, no I/O).
#
#   benchmarks/cli_bench.sh [BUILD_DIR] [ROWS]     (default: build, 252)
#
# Then the time to decode the .kldz base (verify; export to a llama.cpp
# file) on 1 and 2 threads, the fastest of three runs each.
#
# Needs ~0.4 GB of disk per 252 rows in a temporary folder (removed). Every
# run is done twice and the second (page cache warm) is reported: the
# numbers are CPU rates, not disk rates.
set -euo pipefail
build=${1:-build}
rows=${2:-252}
kldkit="$build/tools/kldkit"
[[ -x "$kldkit" ]] || { echo "cli_bench: $kldkit not built" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kldkit-cli-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$kldkit" demo --rows "$rows" --base-out "$tmp/base.kldz" \
  --quant-out "$tmp/q4.npy" --no-svg -q > /dev/null
"$kldkit" convert "$tmp/base.kldz" "$tmp/base.logits" -q
"$kldkit" convert "$tmp/base.kldz" "$tmp/quant.logits" -q  # a stored quant

# Prints the rows/s of `kldkit compare BASE QUANT -t T` (second run).
rate() {
  local out
  "$kldkit" compare "$1" "$2" -t "$3" > /dev/null 2>&1
  out=$("$kldkit" compare "$1" "$2" -t "$3" 2>&1 > /dev/null | tail -1)
  sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/' <<< "$out"
}

printf 'kldkit compare, %s rows, n_vocab 248320, rows/s (higher is better)\n' \
  "$rows"
printf '%-34s %10s %10s\n' "base -> quant" "1 thread" "2 threads"
for quant in q4.npy quant.logits; do
  for base in base.kldz base.logits; do
    printf '%-34s %10s %10s\n' "$base -> $quant" \
      "$(rate "$tmp/$base" "$tmp/$quant" 1)" "$(rate "$tmp/$base" "$tmp/$quant" 2)"
  done
done

# Seconds of the fastest of three runs of a command (page cache warm).
best_of_3() {
  local best="" t0 t
  for _ in 1 2 3; do
    t0=$EPOCHREALTIME
    "$@" > /dev/null 2>&1
    t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z "$best" ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then
      best=$t
    fi
  done
  echo "$best"
}

echo
printf 'decoding the .kldz base (%s MB as a llama.cpp file), seconds\n' \
  "$(( $(stat -c %s "$tmp/base.logits") / 1000000 ))"
printf '%-34s %10s %10s\n' "command" "1 thread" "2 threads"
printf '%-34s %10s %10s\n' "verify base.kldz" \
  "$(best_of_3 "$kldkit" verify "$tmp/base.kldz" -t 1)" \
  "$(best_of_3 "$kldkit" verify "$tmp/base.kldz" -t 2)"
printf '%-34s %10s %10s\n' "convert base.kldz x.logits" \
  "$(best_of_3 "$kldkit" convert "$tmp/base.kldz" "$tmp/x.logits" -t 1 -q)" \
  "$(best_of_3 "$kldkit" convert "$tmp/base.kldz" "$tmp/x.logits" -t 2 -q)"

bench="$build/benchmarks/kernels_bench"
if [[ -x "$bench" ]]; then
  echo
  echo "kernel only (kernels_bench BM_CompareRowU16/stream: llama.cpp base row"
  echo "vs float model row from DRAM, no I/O, no accumulation):"
  "$bench" --benchmark_filter='BM_CompareRowU16/stream' \
    --benchmark_min_time=0.5 2>/dev/null | grep -E '^BM_' |
    awk '{ for (i = 1; i <= NF; ++i) if ($i ~ /^us$/) t = $(i - 1);
           printf "  %-45s %8.0f rows/s per benchmark thread\n", $1, 1e6 / t }'
fi
