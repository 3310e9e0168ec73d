#!/bin/sh
# Fails unless every dynamic symbol the shared library defines is kldkit_*
# (the version node KLDKIT_<abi> aside) and its SONAME is
# libkldkit.so.<major>. Usage: exported_symbols.sh <libkldkit.so> <major>
set -eu
lib=$1
major=$2
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//')
bad=$(printf '%s\n' "$syms" | grep -v -E '^(kldkit_[a-z0-9_]+|KLDKIT_[0-9]+)$' || true)
if [ -n "$bad" ]; then
  echo "symbols exported outside the kldkit_ prefix:" >&2
  printf '%s\n' "$bad" >&2
  exit 1
fi
count=$(printf '%s\n' "$syms" | grep -c '^kldkit_' || true)
if [ "$count" -lt 1 ]; then
  echo "no kldkit_ symbol exported from $lib" >&2
  exit 1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
if [ "$soname" != "libkldkit.so.$major" ]; then
  echo "SONAME is '$soname', expected libkldkit.so.$major" >&2
  exit 1
fi
echo "$count kldkit_ symbols exported, SONAME $soname"
