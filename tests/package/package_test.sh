#!/bin/sh
# Installs the build tree into a temporary prefix and builds the examples
# against it as users would: once with find_package(kldkit) (CMake), once
# with pkg-config; runs each program.
# Usage: package_test.sh <kldkit build dir> <kldkit source dir> <work dir>
set -eu
build=$1
src=$2
work=$3
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"

step() { echo "== $*"; }

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(dirname "$(find "$prefix" -name 'libkldkit.a' | head -n 1)")
for f in "$prefix/include/kldkit.h" "$prefix/include/kldkit_handles.hpp" \
         "$prefix/include/kldkit/kernels.hpp" "$prefix/include/kldkit/evaluate.hpp" \
         "$prefix/include/kldkit/error.hpp" "$libdir/libkldkit.a" \
         "$libdir/libkldkit.so" "$libdir/pkgconfig/kldkit.pc" \
         "$libdir/cmake/kldkit/kldkitConfig.cmake" \
         "$libdir/cmake/kldkit/kldkitConfigVersion.cmake"; do
  [ -e "$f" ] || { echo "missing after install: $f" >&2; exit 1; }
done
ls "$libdir"/libkldkit.so.0 > /dev/null
# Nothing private may be installed.
if find "$prefix/include" -name '*.h' ! -name kldkit.h | grep -q .; then
  echo "private headers installed:" >&2
  find "$prefix/include" -name '*.h' ! -name kldkit.h >&2
  exit 1
fi

step "find_package(kldkit): configure and build examples/"
cmake -S "$src/examples" -B "$work/find-package" \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
      > "$work/find-package.log"
cmake --build "$work/find-package" >> "$work/find-package.log"
"$work/find-package/quantize_compare" | tee "$work/out-c.txt"
grep -q '^llama.cpp *KLD' "$work/out-c.txt"
"$work/find-package/llamacpp_fork" base "$work/fork.logits"
"$work/find-package/llamacpp_fork" kld "$work/fork.logits" \
  | tee "$work/out-fork.txt"
grep -q '^Mean    KLD:' "$work/out-fork.txt"
"$work/find-package/log_softmax" | tee "$work/out-cpp.txt"
grep -q 'llama.cpp KLD' "$work/out-cpp.txt"
# The C program uses the shared library, under its SONAME.
readelf -d "$work/find-package/quantize_compare" | grep -q 'libkldkit.so.0'
# Another major version is refused (SameMajorVersion, like the SONAME).
if cmake -S "$src/examples" -B "$work/wrong-major" \
      -DCMAKE_PREFIX_PATH="$prefix" -DKLDKIT_EXAMPLES_VERSION=99.0 \
      > "$work/wrong-major.log" 2>&1; then
  echo "find_package(kldkit 99.0) accepted version 0.x" >&2
  exit 1
fi
grep -q 'version' "$work/wrong-major.log"  # failed for the version's sake

step "pkg-config: build and run"
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
pkg-config --exists --print-errors kldkit
cc -std=c99 -Wall -Wpedantic -Werror "$src/examples/quantize_compare.c" \
   $(pkg-config --cflags --libs kldkit) -lm -o "$work/pc-quantize_compare"
LD_LIBRARY_PATH=$libdir "$work/pc-quantize_compare" > "$work/pc-out-c.txt"
cmp "$work/out-c.txt" "$work/pc-out-c.txt"
cc -std=c99 -Wall -Wpedantic -Werror "$src/examples/llamacpp_fork.c" \
   $(pkg-config --cflags --libs kldkit) -lm -o "$work/pc-llamacpp_fork"
LD_LIBRARY_PATH=$libdir "$work/pc-llamacpp_fork" base "$work/pc-fork.logits"
cmp "$work/fork.logits" "$work/pc-fork.logits"
LD_LIBRARY_PATH=$libdir "$work/pc-llamacpp_fork" kld "$work/pc-fork.logits" \
  > "$work/pc-out-fork.txt"
cmp "$work/out-fork.txt" "$work/pc-out-fork.txt"
# The C++ API lives in the static library: take libkldkit.a, and the
# private dependencies from pkg-config --static.
c++ -std=c++17 "$src/examples/log_softmax.cc" $(pkg-config --cflags kldkit) \
    "$libdir/libkldkit.a" \
    $(pkg-config --static --libs kldkit | sed 's/-lkldkit\b//') \
    -o "$work/pc-log_softmax"
"$work/pc-log_softmax" > "$work/pc-out-cpp.txt"
cmp "$work/out-cpp.txt" "$work/pc-out-cpp.txt"
if readelf -d "$work/pc-log_softmax" | grep -q libkldkit; then
  echo "static C++ example depends on the shared library" >&2
  exit 1
fi
step "package test passed"
