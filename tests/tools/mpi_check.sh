#!/usr/bin/env bash
# kldkit-mpi against kldkit: with 1, 2 and 3 ranks, compare (per-chunk
# lines on) prints byte-identical text and JSON for exact and sketch
# percentiles, rank's JSON too; a rank given a damaged block fails the job
# with a non-zero status naming its rank and chunks, printing no report.
# Usage: mpi_check.sh KLDKIT KLDKIT_MPI BASE MODEL [MODEL2]
# (BASE is converted to a .kldz of small blocks for the damaged case.)
set -euo pipefail
kldkit=$1 mpi=$2 base=$3 model=$4 model2=${5:-$4}
for f in "$base" "$model" "$model2"; do
  [ -f "$f" ] || { echo "skipped: $f is absent (fixtures: KLDKIT_FIXTURES)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_mpi() {  # run_mpi N ARGS...: stdout to stdout
  local n=$1
  shift
  mpirun --oversubscribe --allow-run-as-root -n "$n" "$mpi" "$@"
}
fail=0
check() {  # check NAME ARGS...: one process vs 1, 2, 3 ranks
  local name=$1
  shift
  "$kldkit" "$@" -q >"$work/one" || { echo "FAIL $name: kldkit failed"; fail=1; return; }
  for n in 1 2 3; do
    if ! run_mpi "$n" "$@" -q >"$work/mpi$n" 2>"$work/err$n"; then
      echo "FAIL $name: $n ranks exited non-zero"; cat "$work/err$n"; fail=1
    elif ! cmp -s "$work/one" "$work/mpi$n"; then
      echo "FAIL $name: $n ranks differ"; diff "$work/one" "$work/mpi$n" | head; fail=1
    else
      echo "ok   $name: $n ranks"
    fi
  done
}
for p in exact sketch; do
  check "compare text $p" compare "$base" "$model" --chunks --percentiles "$p"
  check "compare json $p" compare "$base" "$model" --chunks --json \
    --percentiles "$p" --measures all
done
# kldkit-mpi gives no paired intervals (tokens stay on the ranks).
check "rank json" rank "$base" "$model" "$model2" --json --resamples 0

# A damaged block in the last chunk: the job fails and names the rank.
"$kldkit" convert "$base" "$work/base.kldz" -q
size=$(stat -c %s "$work/base.kldz")
printf '\xff' | dd of="$work/base.kldz" bs=1 seek=$((size * 9 / 10)) \
  conv=notrunc status=none
if run_mpi 3 compare "$work/base.kldz" "$model" -q >"$work/out" 2>"$work/err"; then
  echo "FAIL damaged block: the job succeeded"; fail=1
elif [ -s "$work/out" ] || ! grep -q "rank 2 of 3: chunks" "$work/err"; then
  echo "FAIL damaged block: printed a result or named no rank"; cat "$work/err"; fail=1
else
  echo "ok   damaged block: $(grep -o 'rank 2 of 3: chunks [0-9:]*' "$work/err" | head -1)"
fi
exit $fail
