#!/bin/sh
# pip install of the Python package from a copy of the checkout, offline,
# into a fresh virtual environment (Debian's numpy through its system site
# packages); the Python tests against the installed package from outside
# any source tree; python3 -m kldkit; a clean uninstall.
# Usage: pip_test.sh <kldkit source dir> <work dir>
# Env:   KLDKIT_FIXTURES (optional: the tests' fixture files)
set -eu
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work/src" "$work/run"
step() { echo "== $*"; }

step "copy the checkout (no build folders)"
tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . |
  tar -C "$work/src" -xf -

step "venv and pip install --no-build-isolation --no-index"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
py=$work/venv/bin/python
env -u KLDKIT_LIBRARY -u PYTHONPATH KLDKIT_BUILD_JOBS=2 \
  "$py" -m pip install --no-build-isolation --no-index "$work/src/python" \
  > "$work/pip-install.log" 2>&1 || { tail -40 "$work/pip-install.log" >&2; exit 1; }

site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
step "the installed package loads its own library"
cd "$work/run"
env -u KLDKIT_LIBRARY -u PYTHONPATH "$py" - "$site" <<'PY'
import os, sys
import kldkit
site = sys.argv[1]
assert kldkit.__file__.startswith(site), kldkit.__file__
assert kldkit.library_path.startswith(site), kldkit.library_path
print("kldkit", kldkit.__version__, "from", os.path.dirname(kldkit.__file__))
PY
cli=$site/kldkit/bin/kldkit

step "python3 -m kldkit"
version=$(env -u KLDKIT_LIBRARY "$py" -m kldkit --version)
echo "$version"
echo "$version" | grep -q "$("$py" -c 'import kldkit; print(kldkit.__version__)')"
env -u KLDKIT_LIBRARY "$py" -m kldkit compare --help > /dev/null
env -u KLDKIT_LIBRARY "$py" -m kldkit rank --help > /dev/null
fixture=${KLDKIT_FIXTURES:-}/llamacpp
if [ -n "${KLDKIT_FIXTURES:-}" ] && [ -f "$fixture/v32k-c128x4-f16.logits" ]; then
  env -u KLDKIT_LIBRARY "$py" -m kldkit compare \
    "$fixture/v32k-c128x4-f16.logits" "$fixture/v32k-c128x4-q8_0.f32.npy" \
    > "$work/compare.txt"
  grep -q '^Mean    KLD:' "$work/compare.txt"
fi

step "the Python tests against the installed package"
cp -r "$src/python/tests" "$work/run/pytests"
cp -r "$src/python/examples" "$work/run/examples"
cd "$work/run/pytests"
env -u KLDKIT_LIBRARY -u PYTHONPATH KLDKIT_CLI="$cli" PYTHONDONTWRITEBYTECODE=1 \
  "$py" -m unittest test_kldkit test_measures > "$work/unittest.log" 2>&1 ||
  { tail -40 "$work/unittest.log" >&2; exit 1; }
tail -3 "$work/unittest.log"

step "pip uninstall"
cd "$work"
"$py" -m pip uninstall -y kldkit > "$work/pip-uninstall.log"
if [ -e "$site/kldkit" ] || ls "$site" | grep -qi '^kldkit'; then
  echo "pip uninstall left files in $site:" >&2
  ls "$site" | grep -i kldkit >&2
  exit 1
fi
if "$py" -c 'import kldkit' 2>/dev/null; then
  echo "kldkit still imports after uninstall" >&2
  exit 1
fi
step "pip test passed"
