#!/bin/bash
# Builds the libFuzzer targets with ASan+UBSan and runs each for a bounded time, after
# replaying its regression corpus. Fails on the first crash, leak or sanitizer report.
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 30)
# SVTREE_SETUP_OPTIONS is given to `meson setup` when build-fuzz does not exist yet.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-30}
build="$top/build-fuzz"
if ! command -v clang++ >/dev/null; then echo "SKIP fuzz: clang++ not installed"; exit 0; fi
[ -d "$build" ] || CXX=clang++ meson setup "$build" "$top" -Dfuzz=true -Dtests=false \
  -Db_sanitize=address,undefined -Db_lundef=false ${SVTREE_SETUP_OPTIONS:-} >/dev/null
# Only the fuzz targets: they are all that this build is for.
targets=$(grep -o "\['fuzz_[a-z_]*'" "$top/tests/fuzz/meson.build" | tr -d "['" | sed 's|^|tests/fuzz/|')
if ! ninja -C "$build" $targets >"$build/fuzz-build.log" 2>&1; then
  echo "FAIL fuzz: the fuzz targets do not build:"; grep -E -A5 'error' "$build/fuzz-build.log" | head -40
  exit 1
fi
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for target in $targets; do
  exe="$build/$target"
  name=$(basename "$exe")
  corpus="$top/tests/fuzz/corpus/$name"
  work=$(mktemp -d)
  if [ -d "$corpus" ] && ls "$corpus"/* >/dev/null 2>&1; then
    "$exe" -runs=0 "$corpus"/* >/dev/null 2>&1 || { echo "FAIL fuzz: $name regression input"; "$exe" "$corpus"/*; exit 1; }
  fi
  echo "fuzz: $name for ${seconds}s"
  dirs=("$work")
  [ -d "$corpus" ] && dirs+=("$corpus")
  if ! "$exe" -max_total_time="$seconds" -print_final_stats=1 "${dirs[@]}" >"$work.log" 2>&1; then
    echo "FAIL fuzz: $name found a crash; reproducer and log:"; tail -40 "$work.log"; exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$work.log" | sed "s/^/fuzz: $name /"
  rm -rf "$work" "$work.log"
done
echo "PASS fuzz: every target ran ${seconds}s without a finding"
