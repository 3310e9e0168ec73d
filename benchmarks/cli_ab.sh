#!/usr/bin/env bash
# A/B of `kldkit compare` end to end between two builds, alternating runs
# on the same files (machine drift hits both alike): rows/s per case, the
# median of REPS runs each, and new/old.
#
#   benchmarks/cli_ab.sh OLD_BUILD NEW_BUILD [ROWS] [REPS]   (252, 7)
#
# Cases: a .kldz and a llama.cpp base against a float .npy quant on 1 and 2
# threads, and the same with per-token output (--dump-tokens). The files
# come from NEW_BUILD's demo; ~0.4 GB per 252 rows in $TMPDIR (removed).
set -euo pipefail
old="$1/tools/kldkit"
new="$2/tools/kldkit"
rows=${3:-252}
reps=${4:-7}
for k in "$old" "$new"; do
  [[ -x "$k" ]] || { echo "cli_ab: $k not built" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kldkit-cli-ab-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$new" demo --rows "$rows" --base-out "$tmp/base.kldz" \
  --quant-out "$tmp/q4.npy" --no-svg -q > /dev/null
"$new" convert "$tmp/base.kldz" "$tmp/base.logits" -q
rm -f "$tmp/base-kld.kldz"
# The old build reads only what it knows: a lossless container.
"$old" convert "$tmp/base.logits" "$tmp/base.kldz" -q

rate() {  # rate KLDKIT ARGS...: rows/s that compare reports
  "$@" 2>&1 > /dev/null | tail -1 | sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/'
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

printf '%-40s %10s %10s %8s\n' "case (median of $reps, rows/s)" old new new/old
for base in base.kldz base.logits; do
  for threads in 1 2; do
    for extra in "" "--dump-tokens $tmp/tokens.csv"; do
      # shellcheck disable=SC2086
      args=(compare "$tmp/$base" "$tmp/q4.npy" -t "$threads" $extra)
      rate "$new" "${args[@]}" > /dev/null  # warm the page cache
      : > "$tmp/a"; : > "$tmp/b"
      for ((i = 0; i < reps; ++i)); do
        rate "$old" "${args[@]}" >> "$tmp/a"
        rate "$new" "${args[@]}" >> "$tmp/b"
      done
      a=$(median < "$tmp/a"); b=$(median < "$tmp/b")
      label="$base -> q4.npy -t $threads${extra:+ --dump-tokens}"
      printf '%-40s %10s %10s %8.3f\n' "$label" "$a" "$b" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')"
    done
  done
done
