# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared by bench/svscan_*.sh (sourced, not run): builds the static svtree binaries and the
# benchmark helper, builds scan directories, starts svtree / runit / s6 side by side, each
# as PID 1 of its own PID namespace so that one SIGKILL cleans everything up.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SVSCAN_BENCH_BUILD:-$ROOT/build-static}
WORK=$(mktemp -d /tmp/svscan-bench.XXXXXX)
HELPER=$WORK/svscan_helper
trap 'cleanup_all' EXIT

cleanup_all() {
  for pid in ${STARTED_PIDS:-}; do kill -KILL "$pid" 2>/dev/null || true; done
  sleep 0.2
  rm -rf "$WORK"
}

build() {
  if [ ! -d "$BUILD" ]; then
    meson setup "$BUILD" "$ROOT" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
  fi
  # The program names are links to the multi-call binary, which they do not depend on.
  ninja -C "$BUILD" multicall/svtree svscan/svscan supervise/supervise >/dev/null
  cc -O2 -static -o "$HELPER" "$ROOT/bench/svscan_helper.c"
  export SVTREE_SUPERVISE="$BUILD/supervise/supervise"
  for p in runsvdir runsv s6-svscan s6-supervise unshare; do
    command -v "$p" >/dev/null || { echo "bench: $p is not installed" >&2; exit 1; }
  done
}

# make_tree DIR COUNT WITH_LOG(0|1) [RUN]: COUNT services named s0.., their run (and
# log/run) = RUN (default: the helper, which marks itself up). Every directory is then
# back-dated an hour, as on a booting system whose tree is old: runsvdir waits a second
# before it trusts a scan dir modified in the current second, and a tree made just before
# the scanner starts would charge runit that second.
make_tree() {
  run=${4:-$HELPER}
  mkdir -p "$1"
  i=0
  while [ "$i" -lt "$2" ]; do
    mkdir -p "$1/s$i"
    ln -s "$run" "$1/s$i/run"
    if [ "$3" = 1 ]; then
      mkdir -p "$1/s$i/log"
      ln -s "$run" "$1/s$i/log/run"
    fi
    i=$((i + 1))
  done
  find "$1" -type d -exec touch -d '1 hour ago' {} +
}

# sleep_run FILE: the run every suite's services share: `#!/bin/sh` + `exec sleep 1000`.
sleep_run() {
  printf '#!/bin/sh\nexec sleep 1000\n' > "$1"
  chmod 755 "$1"
}

# status_format SYSTEM: the status record layout the helper's `up` reads.
status_format() { if [ "$1" = s6 ]; then echo s6; else echo runit; fi; }

# scanner_cmd SYSTEM DIR: the command line of each scanner.
scanner_cmd() {
  case "$1" in
    svtree) echo "$BUILD/svscan/svscan $2" ;;
    # An earlier build for before/after in one run ($SVSCAN_BENCH_BASE: a static release
    # build dir); its svscan is told where its own supervise is.
    svtree-base) echo "env SVTREE_SUPERVISE=$SVSCAN_BENCH_BASE/supervise/supervise $SVSCAN_BENCH_BASE/svscan/svscan $2" ;;
    runit) echo "runsvdir -P $2" ;;
    s6) echo "s6-svscan -c 4000 $2" ;;
  esac
}

# start_system SYSTEM DIR MARKS LOGS WANTED: starts the scanner as PID 1 of a new PID
# namespace; prints "MS UNSHARE_PID" once WANTED marks exist (ms since exec).
start_system() {
  export SVSCAN_BENCH_MARKS="$3" SVSCAN_BENCH_LOGS="$4"
  mkdir -p "$3" "$4"
  # shellcheck disable=SC2046
  "$HELPER" start "$3" "$5" 120000 unshare --pid --fork --mount-proc --kill-child \
    $(scanner_cmd "$1" "$2") 2>>"$WORK/$1.stderr"
}

# start_up SYSTEM DIR COUNT WITH_LOG: starts the scanner as PID 1 of a new PID namespace;
# prints "MS UNSHARE_PID" once the status record of each of the COUNT services (and of
# each logger, with WITH_LOG 1) says up (ms since the fork of unshare).
# The scanner and so every service get a booting system's short PATH, not the caller's
# (dash's `exec sleep` tries each PATH entry in turn).
BOOT_PATH=/usr/sbin:/usr/bin:/sbin:/bin
start_up() {
  # shellcheck disable=SC2046
  PATH=$BOOT_PATH "$HELPER" up "$(status_format "$1")" "$2" "$3" "$4" 120000 \
    unshare --pid --fork --mount-proc --kill-child $(scanner_cmd "$1" "$2") 2>>"$WORK/$1.stderr"
}

# pid_ns_init UNSHARE_PID: the scanner (unshare's child, PID 1 inside).
pid_ns_init() { awk '{print $1}' "/proc/$1/task/$1/children"; }

# descendants PID: every process below PID (host pids).
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2; pids[NR] = $1 }
    END { for (i = 1; i <= NR; i++) { p = pids[i]; q = parent[p];
            while (q > 1) { if (q == root) { print p; break } q = parent[q] } } }'
}

# uss_kb PID: private (unshared) memory of PID in kB.
uss_kb() {
  awk '/^Private_(Clean|Dirty|Hugetlb):/ { sum += $2 } END { print sum + 0 }' \
    "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

# stop_system UNSHARE_PID: SIGKILL the namespace's init, wait until the namespace is empty
# (init's exit completes only then) and unshare is gone.
stop_system() {
  init=$(pid_ns_init "$1" 2>/dev/null || true)
  if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null || true; fi
  kill -KILL "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null || { [ -n "$init" ] && kill -0 "$init" 2>/dev/null; }; do
    sleep 0.05
  done
}

remove_tree() { rm -rf "$1" 2>/dev/null || { sleep 0.5; rm -rf "$1"; }; }

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
