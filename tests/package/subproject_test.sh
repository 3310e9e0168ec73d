#!/bin/sh
# Builds tests/package/subproject (a consumer vendoring kldkit) both ways,
# add_subdirectory and FetchContent from a local path, with the build type
# left empty, and runs its programs.
# Usage: subproject_test.sh <kldkit source dir> <work dir>
set -eu
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
for way in add_subdirectory FetchContent; do
  echo "== $way"
  cmake -S "$src/tests/package/subproject" -B "$work/$way" \
        -DKLDKIT_SOURCE="$src" -DKLDKIT_WAY=$way -DCMAKE_BUILD_TYPE= \
        > "$work/$way.log" 2>&1 || { cat "$work/$way.log" >&2; exit 1; }
  cmake --build "$work/$way" -j2 >> "$work/$way.log" 2>&1 ||
    { tail -40 "$work/$way.log" >&2; exit 1; }
  "$work/$way/quantize_compare" | tee "$work/$way-c.txt"
  grep -q '^llama.cpp *KLD' "$work/$way-c.txt"
  "$work/$way/log_softmax" | tee "$work/$way-cpp.txt"
  grep -q 'llama.cpp KLD' "$work/$way-cpp.txt"
done
echo "== subproject test passed"
