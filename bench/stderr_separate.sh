#!/bin/bash
# SPDX-License-Identifier: MIT
# The `stderr separate` path (issue 15) beside the stdout path it copies, in ONE run: a
# service writes N short lines (seq) either to stdout, through log/'s pipe to
# `svlog -tt ./main`, or to stderr with `stderr separate`, through svscan's second pipe to
# the `svlog -tt` svscan runs on log/err. Reported: seconds from svscan's start until all N
# lines are on disk (every file of the directory counted), best of ROUNDS, alternating.
#
# Usage: bench/stderr_separate.sh [LINES] [ROUNDS]    (default 1000000 3)
# BUILD (default ROOT/build) must hold a built multicall/svtree.
set -euo pipefail
LINES=${1:-1000000}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$(mktemp -d)
WORK=$(mktemp -d /dev/shm/stderr-bench.XXXXXX 2>/dev/null || mktemp -d)
for p in svscan supervise svlog; do ln -s "$BUILD/multicall/svtree" "$BIN/$p"; done
svscan_pid=
cleanup() {
  [ -n "$svscan_pid" ] && kill "$svscan_pid" 2>/dev/null && wait "$svscan_pid" 2>/dev/null
  rm -rf "$WORK" "$BIN"
}
trap cleanup EXIT

# make_tree DIR STREAM: one service `s` writing LINES lines to STREAM (out|err).
make_tree() {
  local s=$1/s
  mkdir -p "$s/log/main" "$s/log/err"
  local redirect=""
  if [ "$2" = err ]; then redirect=">&2"; echo separate > "$s/stderr"; fi
  printf '#!/bin/sh\n[ -e ../../done ] && exec sleep 3600\nseq 1 %s %s\n: > ../../done\nexec sleep 3600\n' \
    "$LINES" "$redirect" > "$s/run"
  printf '#!/bin/sh\nexec %s -tt ./main\n' "$BIN/svlog" > "$s/log/run"
  chmod +x "$s/run" "$s/log/run"
  # No rotation away: every line stays countable.
  printf 's10000000\nn0\n' > "$s/log/main/config"
  printf 's10000000\nn0\n' > "$s/log/err/config"
}

lines_in() { cat "$1"/current "$1"/@* 2>/dev/null | wc -l; }

# one_round STREAM: prints the seconds until LINES lines are on disk.
one_round() {
  local tree=$WORK/$1.$RANDOM dir
  mkdir -p "$tree/scan"
  make_tree "$tree/scan" "$1"
  dir=$tree/scan/s/log/main
  [ "$1" = err ] && dir=$tree/scan/s/log/err
  local start end
  start=$(date +%s%N)
  SVTREE_SUPERVISE=$BIN/supervise "$BIN/svscan" -q "$tree/scan" >/dev/null 2>&1 &
  svscan_pid=$!
  until [ "$(lines_in "$dir")" -ge "$LINES" ]; do sleep 0.05; done
  end=$(date +%s%N)
  kill "$svscan_pid"; wait "$svscan_pid" 2>/dev/null || true
  svscan_pid=
  rm -rf "$tree"
  echo "scale=3; ($end - $start) / 1000000000" | bc
}

best_out=999 best_err=999
for _ in $(seq "$ROUNDS"); do
  t=$(one_round out); best_out=$(echo "if ($t < $best_out) $t else $best_out" | bc)
  t=$(one_round err); best_err=$(echo "if ($t < $best_err) $t else $best_err" | bc)
done
echo "lines: $LINES, best of $ROUNDS (seconds from svscan's start to every line on disk)"
echo "stdout -> log/ -> svlog -tt ./main:          $best_out s"
echo "stderr separate -> svscan's svlog -tt log/err: $best_err s"
