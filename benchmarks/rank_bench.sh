#!/usr/bin/env bash
# kldkit rank over saved token files (issue 19's benchmark): 8 quants x
# 600,000 tokens, 1,000 paired bootstrap resamples of whole chunks, on
# --threads 2; seconds for sorting by mean KLD (a mean statistic) and by
# 99.9% KLD, median of REPS runs, plus the time to write the files. Targets:
# under 10 s (means) and 60 s (99.9%) on 2 cores.
#
#   benchmarks/rank_bench.sh [BUILD_DIR] [QUANTS] [TOKENS] [REPS]
#                            (build, 8, 600000, 3)
set -euo pipefail
build=${1:-build}
quants=${2:-8}
tokens=${3:-600000}
reps=${4:-3}
kldkit="$build/tools/kldkit" gen="$build/benchmarks/token_files"
for b in "$kldkit" "$gen"; do
  [[ -x "$b" ]] || { echo "rank_bench: $b not built" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kldkit-rank-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
t0=$(now)
"$gen" "$tmp" "$quants" "$tokens"
t1=$(now)
echo "rank_bench: $quants token files of $tokens tokens written in" \
  "$(awk -v a="$t1" -v b="$t0" 'BEGIN {printf "%.2f", a - b}') s" \
  "($(du -sh "$tmp" | cut -f1))"
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for sort in mean-kld p99.9-kld; do
  times=()
  for ((i = 0; i < reps; i++)); do
    s=$(now)
    "$kldkit" rank "$tmp"/q*.kldt --sort "$sort" --resamples 1000 \
      --threads 2 -q > "$tmp/out.txt"
    e=$(now)
    times+=("$(awk -v a="$e" -v b="$s" 'BEGIN {print a - b}')")
  done
  printf 'rank_bench: --sort %-9s %.2f s (median of %d)\n' "$sort" \
    "$(printf '%s\n' "${times[@]}" | median)" "$reps"
done
sed -n '1,12p' "$tmp/out.txt"
