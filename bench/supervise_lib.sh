# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by bench/supervise_*.sh (sourced, not run): builds the static supervise and the
# helper, makes service directories, and starts svtree's supervise, runit's runsv and
# s6-supervise side by side, each group inside its own PID namespace so one kill cleans up.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SUPERVISE_BENCH_BUILD:-$ROOT/build-static}
WORK=$(mktemp -d /tmp/supervise-bench.XXXXXX)
HELPER=$WORK/supervise_helper
STARTED_PIDS=""
trap 'cleanup_all' EXIT

cleanup_all() {
  for pid in $STARTED_PIDS; do kill -KILL "$pid" 2>/dev/null || true; done
  sleep 0.3
  rm -rf "$WORK"
}

build() {
  if [ ! -d "$BUILD" ]; then
    meson setup "$BUILD" "$ROOT" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
  fi
  # The program names are links to the multi-call binary, which they do not depend on.
  ninja -C "$BUILD" multicall/svtree supervise/supervise >/dev/null
  cc -O2 -o "$HELPER" "$ROOT/bench/supervise_helper.c"
  for p in runsv s6-supervise unshare strace; do
    command -v "$p" >/dev/null || { echo "bench: $p is not installed" >&2; exit 1; }
  done
}

# supervisor_cmd SYSTEM: the supervisor program of each system.
supervisor_cmd() {
  case "$1" in
    svtree) echo "$BUILD/supervise/supervise" ;;
    # An earlier static release build, for before/after in one run (SUPERVISE_BENCH_BASE).
    svtree-base) echo "$SUPERVISE_BENCH_BASE/supervise/supervise" ;;
    runit) echo "runsv" ;;
    s6) echo "s6-supervise" ;;
  esac
}

# status_format SYSTEM: the status record layout the helper reads.
status_format() { [ "$1" = s6 ] && echo s6 || echo runit; }

# make_services DIR COUNT MARK: COUNT service dirs DIR/sN whose run execs `sleep MARK`
# (a distinct MARK per system lets us count each system's services).
make_services() {
  i=0
  while [ "$i" -lt "$2" ]; do
    mkdir -p "$1/s$i"
    printf '#!/bin/sh\nexec sleep %s\n' "$3" > "$1/s$i/run"
    chmod +x "$1/s$i/run"
    i=$((i + 1))
  done
}

# start_group SYSTEM DIR: starts one supervisor per service dir of DIR inside a new PID
# namespace; prints the pid of unshare (kill it and the namespace dies).
start_group() {
  cmd=$(supervisor_cmd "$1")
  unshare --pid --fork --kill-child sh -c \
    "for d in $2/*/; do $cmd \"\${d%/}\" & done; wait" </dev/null >/dev/null 2>>"$WORK/$1.stderr" &
  echo $!
}

# wait_services MARK COUNT: waits (up to 60 s) until COUNT `sleep MARK` processes run.
wait_services() {
  t=0
  while [ "$(pgrep -c -x -f "sleep $1" || true)" -lt "$2" ]; do
    sleep 0.1
    t=$((t + 1))
    [ "$t" -lt 600 ] || { echo "bench: services of mark $1 did not start" >&2; exit 1; }
  done
}

# supervisors_of UNSHARE_PID: host pids of the supervisors in that namespace (the children
# of its shell).
supervisors_of() {
  shell=$(awk '{print $1}' "/proc/$1/task/$1/children")
  cat "/proc/$shell/task/$shell/children"
}

# uss_kb PID: private memory of PID in kB (Private_Clean + Private_Dirty).
uss_kb() {
  awk '/^Private_(Clean|Dirty):/ { sum += $2 } END { print sum + 0 }' "/proc/$1/smaps_rollup"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
