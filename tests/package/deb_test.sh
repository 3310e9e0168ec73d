#!/bin/sh
# cpack -G DEB: three packages with the stated contents and Depends,
# unpacked with dpkg-deb -x into a throw-away root; the C example built
# with pkg-config against the unpacked -dev package and run.
# Usage: deb_test.sh <kldkit build dir> <kldkit source dir> <work dir> <version>
set -eu
build=$1
src=$2
work=$3
version=$4
major=${version%%.*}
rm -rf "$work"
mkdir -p "$work/root"
step() { echo "== $*"; }

step "cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work") \
  > "$work/cpack.log" 2>&1 || { tail -40 "$work/cpack.log" >&2; exit 1; }
arch=$(dpkg --print-architecture)
lib_deb=$work/libkldkit${major}_${version}_$arch.deb
dev_deb=$work/libkldkit-dev_${version}_$arch.deb
cli_deb=$work/kldkit_${version}_$arch.deb
for f in "$lib_deb" "$dev_deb" "$cli_deb"; do
  [ -f "$f" ] || { echo "missing package $f; made:" >&2; ls "$work" >&2; exit 1; }
done

depends() { dpkg-deb -f "$1" Depends; }
# has_dep DEB NAME: NAME (with any version clause) is in DEB's Depends.
has_dep() {
  depends "$1" | tr ',' '\n' | sed 's/^ *//' | grep -q "^$2\( \|$\)" ||
    { echo "$(basename "$1"): Depends lacks $2: $(depends "$1")" >&2; exit 1; }
}
step "Depends"
for d in "$lib_deb" "$dev_deb" "$cli_deb"; do
  echo "$(basename "$d"): $(depends "$d")"
done
for dep in libc6 libstdc++6 libzstd1 libhwy1; do has_dep "$lib_deb" $dep; done
for dep in libc6 libstdc++6 libzstd1; do has_dep "$cli_deb" $dep; done
depends "$dev_deb" | grep -q "libkldkit${major} (= $version)" ||
  { echo "-dev does not pin libkldkit${major} (= $version)" >&2; exit 1; }
for dep in libhwy-dev libzstd-dev libmsgsl-dev; do has_dep "$dev_deb" $dep; done

step "contents"
for d in "$lib_deb" "$dev_deb" "$cli_deb"; do dpkg-deb -x "$d" "$work/root"; done
usr=$work/root/usr
libdir=$(dirname "$(find "$usr" -name "libkldkit.so.$major" | head -n 1)")
for f in "$usr/bin/kldkit" "$usr/include/kldkit.h" "$libdir/libkldkit.a" \
         "$libdir/libkldkit.so" "$libdir/pkgconfig/kldkit.pc" \
         "$libdir/cmake/kldkit/kldkitConfig.cmake"; do
  [ -e "$f" ] || { echo "missing after unpacking: $f" >&2; exit 1; }
done
# The runtime package holds the library only; headers belong to -dev.
if dpkg-deb -c "$lib_deb" | awk '{print $6}' | grep -q 'include/\|\.a$\|pkgconfig'; then
  echo "libkldkit${major} holds development files" >&2
  exit 1
fi
dpkg-deb -c "$dev_deb" | awk '{print $6}' | grep -q "libkldkit\.so\.$major" &&
  { echo "-dev holds the shared library itself" >&2; exit 1; }
grep -q '^prefix=/usr$' "$libdir/pkgconfig/kldkit.pc"

step "the C example against the unpacked -dev package (pkg-config)"
PKG_CONFIG_SYSROOT_DIR=$work/root PKG_CONFIG_PATH=$libdir/pkgconfig \
  pkg-config --cflags --libs kldkit > "$work/pc-flags"
cc -std=c99 -Wall -Wpedantic -Werror "$src/examples/quantize_compare.c" \
   $(cat "$work/pc-flags") -lm -o "$work/quantize_compare"
LD_LIBRARY_PATH=$libdir "$work/quantize_compare" | tee "$work/out.txt"
grep -q '^llama.cpp *KLD' "$work/out.txt"
LD_LIBRARY_PATH=$libdir "$usr/bin/kldkit" --version
step "deb test passed"
