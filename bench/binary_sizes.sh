#!/bin/bash
# Size of svtree's fully static, stripped multi-call binary next to runit's and s6's (Debian's
# packages, dynamically linked: their shared libraries are listed with them, since a
# scratch image would have to carry those too).
# Usage: bench/binary_sizes.sh   (builds build-bench-static if needed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SVTREE_STATIC_BUILD:-$top/build-bench-static}
[ -d "$build" ] || meson setup "$build" "$top" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
ninja -C "$build" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

size_of() { stat -c %s "$1"; }
stripped_size() { cp "$1" "$tmp/x" && strip "$tmp/x" && size_of "$tmp/x"; }
libs_of() {
  ldd "$1" 2>/dev/null | awk '/=> \//{print $3}' | sort -u | tr '\n' ' '
}
libs_size() {
  local total=0 lib
  for lib in $(libs_of "$1"); do total=$((total + $(size_of "$(readlink -f "$lib")"))); done
  echo $total
}

printf '%-22s %10s %12s  %s\n' binary "stripped" "+shared libs" "linking"
# svtree is one multi-call binary; svscan, supervise, svctl and svlog are links to it.
exe="$build/multicall/svtree"
kind=$(file -b "$exe" | grep -o 'statically linked\|dynamically linked')
printf '%-22s %10s %12s  %s\n' "svtree (all four)" "$(stripped_size "$exe")" "-" "$kind"
for exe in /usr/bin/runsvdir /usr/bin/runsv /usr/bin/sv /usr/bin/svlogd \
           /usr/bin/s6-svscan /usr/bin/s6-supervise /usr/bin/s6-svc /usr/bin/s6-log; do
  [ -x "$exe" ] || continue
  printf '%-22s %10s %12s  %s\n' "$(basename "$exe")" "$(stripped_size "$exe")" \
    "$(libs_size "$exe")" "$(libs_of "$exe")"
done
