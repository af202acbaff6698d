#!/bin/bash
# SPDX-License-Identifier: MIT
# svscan's labelled catch-all (issue 15), static release build:
# 1. throughput: 10 services without log/ each write LINES lines of 100 bytes as fast as
#    they can; svscan labels them ("sN: ...") and its writer child passes them to a reader
#    that checks every line is whole, labelled and in order, and times first to last byte.
# 2. memory: svscan's and its two writers' USS with 1 service without log/ and with N,
#    per labelled service = the difference / (N - 1). (Each service's supervise is the same
#    with or without the catch-all; the kernel's pipe, ~1 kB before anything is written,
#    is not in USS.)
#   bench/catch_all.sh [LINES] [N]      (defaults 1000000 per service, 1000)
set -euo pipefail
LINES=${1:-1000000}
N=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SVSCAN_BENCH_BUILD:-$ROOT/build-static}
WORK=$(mktemp -d /tmp/catch-all-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill -KILL -- "-$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
if [ ! -d "$BUILD" ]; then
  meson setup "$BUILD" "$ROOT" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
fi
ninja -C "$BUILD" multicall/svtree svscan/svscan supervise/supervise >/dev/null
HELPER=$WORK/catch_all_helper
cc -O2 -static -o "$HELPER" "$ROOT/bench/catch_all_helper.c"
export SVTREE_STATE_DIR=$WORK/state

uss_kb() {
  awk '/^Private_(Clean|Dirty|Hugetlb):/ { sum += $2 } END { print sum + 0 }' \
    "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}
children() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }

echo "throughput: 10 services x $LINES lines of 100 bytes, labelled by svscan"
tree=$WORK/tp
for i in $(seq 0 9); do
  mkdir -p "$tree/s$i"
  printf '#!/bin/sh\nexec %s write s%d %d\n' "$HELPER" "$i" "$LINES" > "$tree/s$i/run"
  chmod 755 "$tree/s$i/run"
done
mkfifo "$WORK/out"
"$BUILD/svscan/svscan" "$tree" > "$WORK/out" 2> "$WORK/tp.stderr" &
svscan=$!
PIDS="$PIDS $svscan"
ok=yes
"$HELPER" read 10 "$LINES" < "$WORK/out" > "$WORK/tp.out" || ok=no
# CPU of svscan and its stdout writer for the whole run (the first line of the file to
# the last), from /proc: ticks, so a figure that holds on a loaded machine too.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
svscan_ticks=$(ticks "$svscan")
writer_ticks=0
for c in $(children "$svscan"); do
  [ "$(cat "/proc/$c/comm")" = svscan-output ] && writer_ticks=$((writer_ticks + $(ticks "$c")))
done
kill -TERM "$svscan"
wait "$svscan" || true
read -r bytes seconds bad < "$WORK/tp.out"
hz=$(getconf CLK_TCK)
awk -v b="$bytes" -v s="$seconds" -v l="$LINES" -v bad="$bad" -v ok="$ok" \
    -v st="$svscan_ticks" -v wt="$writer_ticks" -v hz="$hz" 'BEGIN {
  printf "  %.0f MB out in %.3f s: %.0f MB/s (%.2f M lines/s); bad lines %d; all lines: %s\n",
    b / 1e6, s, b / 1e6 / s, 10 * l / s / 1e6, bad, ok
  printf "  CPU: svscan %.2f s, its stdout writer %.2f s: %.0f MB per svscan CPU-second\n",
    st / hz, wt / hz, (st > 0 ? b / 1e6 / (st / hz) : 0) }'
uptime

echo "memory: USS of svscan and its two writers, 1 vs $N services without log/"
measure() {
  local count=$1 dir=$WORK/mem-$1
  for i in $(seq 0 $((count - 1))); do
    mkdir -p "$dir/s$i"
    ln -s "$WORK/mem_run" "$dir/s$i/run"
  done
  "$BUILD/svscan/svscan" -c "$((N + 10))" "$dir" > /dev/null 2> "$WORK/mem-$count.stderr" &
  local svscan=$!
  PIDS="$PIDS $svscan"
  # Every service said its line (the catch-all read it) once each run started.
  until [ "$(find "$WORK/marks" -type f 2>/dev/null | wc -l)" -ge "$count" ]; do sleep 0.2; done
  sleep 1
  local total
  total=$(uss_kb "$svscan")
  for c in $(children "$svscan"); do
    [ "$(cat "/proc/$c/comm")" = svscan-output ] && total=$((total + $(uss_kb "$c")))
  done
  kill -TERM "$svscan"; wait "$svscan" || true
  rm -rf "$WORK/marks"
  echo "$total"
}
printf '#!/bin/sh\necho "a line from $$"\ntouch %s/marks/$$\nexec sleep 1000\n' "$WORK" > "$WORK/mem_run"
chmod 755 "$WORK/mem_run"
mkdir -p "$WORK/marks"
one=$(measure 1)
mkdir -p "$WORK/marks"
many=$(measure "$N")
awk -v a="$one" -v b="$many" -v n="$N" 'BEGIN {
  printf "  svscan + writers: %d kB with 1 service, %d kB with %d: %.2f kB per labelled service\n",
    a, b, n, (b - a) / (n - 1) }'
