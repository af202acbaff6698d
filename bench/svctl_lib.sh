# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by bench/svctl_*.sh (sourced): builds the static svctl and supervise, makes
# service directories, starts and stops their supervisors, and does the arithmetic.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SVCTL_BENCH_BUILD:-$ROOT/build-static-svctl}
WORK=$(mktemp -d /tmp/svctl-bench.XXXXXX)
SUPERVISOR_PIDS=""
trap 'stop_supervisors; rm -rf "$WORK"' EXIT

build() {
  if [ ! -d "$BUILD" ]; then
    meson setup "$BUILD" "$ROOT" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
  fi
  # The program names are links to the multi-call binary, which they do not depend on.
  ninja -C "$BUILD" multicall/svtree svctl/svctl supervise/supervise >/dev/null
  # shellcheck disable=SC2034 # used by the scripts that source this file
  SVCTL=$BUILD/svctl/svctl
  SUPERVISE=$BUILD/supervise/supervise
  for p in sv runsv; do
    command -v "$p" >/dev/null || { echo "bench: runit's $p is not installed" >&2; exit 1; }
  done
}

# make_service DIR: a service whose run is one long sleep.
make_service() {
  mkdir -p "$1"
  printf '#!/bin/sh\nexec sleep 1000000\n' >"$1/run"
  chmod +x "$1/run"
}

# start_supervisor runsv|supervise DIR
start_supervisor() {
  if [ "$1" = runsv ]; then runsv "$2" >/dev/null 2>&1 &
  else "$SUPERVISE" "$2" >/dev/null 2>&1 &
  fi
  SUPERVISOR_PIDS="$SUPERVISOR_PIDS $!"
}

# wait_up DIR: until the supervisor wrote a pid.
wait_up() {
  while [ ! -s "$1/supervise/pid" ]; do sleep 0.01; done
}

stop_supervisors() {
  # SIGTERM means "x" to runsv and to our supervise: stop the service, then exit.
  for pid in $SUPERVISOR_PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $SUPERVISOR_PIDS; do wait "$pid" 2>/dev/null || true; done
  SUPERVISOR_PIDS=""
}

# now_us: microseconds, without a fork (bash 5's EPOCHREALTIME).
now_us() {
  local t=${EPOCHREALTIME/./}
  echo "$t"
}

# median FILE: median of the numbers in FILE, one a line.
median() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
