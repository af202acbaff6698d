#!/bin/bash
# SPDX-License-Identifier: MIT
# Cold start: time from the start of the scanner to the status record of every one of N
# services (and, with log/, of every logger) saying up, as a client reads it (runit's byte
# 19 for runsvdir and svtree, s6's record for s6-svscan): svtree's svscan vs runit's
# runsvdir vs s6-svscan, each as PID 1 of a fresh PID namespace.
# Every suite gets the same tree: s0..sN-1, each run (and log/run) `#!/bin/sh` +
# `exec sleep 1000`, every directory back-dated an hour (a booting system's tree is old).
# Rounds alternate: round r runs every suite, without then with log/, so that load from
# elsewhere falls on all alike; compare the ratios of one run, not times across runs.
#   bench/svscan_coldstart.sh [SERVICES] [ROUNDS]
# With SVSCAN_BENCH_BASE=DIR (a static release build of an earlier commit), that build runs
# too, as svtree-base, in the same alternation: before/after from one run.
# Prints, per variant: each suite's median and min-max (ms), then the ratios of medians.
# shellcheck source=bench/svscan_lib.sh disable=SC2086
# (word splitting of the "MS PID" reply is intended)
. "$(dirname "$0")/svscan_lib.sh"
N=${1:-1000}
ROUNDS=${2:-3}
SYSTEMS="svtree runit s6"
[ -n "${SVSCAN_BENCH_BASE:-}" ] && SYSTEMS="svtree svtree-base runit s6"
build
sleep_run "$WORK/run"
echo "cold start of $N services until every status record says up ($ROUNDS alternating rounds, ms)"
echo "  $(date -u '+%d %b %Y %H:%M'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
  for with_log in 0 1; do
    for system in $SYSTEMS; do
      dir=$WORK/$system-$with_log-$r
      make_tree "$dir/service" "$N" "$with_log" "$WORK/run"
      sync
      out=$(start_up "$system" "$dir/service" "$N" "$with_log") || true
      set -- $out
      STARTED_PIDS="${STARTED_PIDS:-} ${2:-}"
      if [ "${1:-timeout}" = timeout ]; then
        echo "$system: timeout (see $WORK/$system.stderr)" >&2
        [ -n "${2:-}" ] && stop_system "$2"
        exit 1
      fi
      echo "$1" >> "$WORK/times-$system-$with_log"
      echo "  round $r, log/ $with_log: $system $1" >&2
      stop_system "$2"
      remove_tree "$dir"
    done
  done
  r=$((r + 1))
done
# summary FILE: "MEDIAN (MIN-MAX)".
summary() {
  printf '%s (%s-%s)' "$(median < "$1")" "$(sort -n "$1" | head -n 1)" "$(sort -n "$1" | tail -n 1)"
}
for with_log in 0 1; do
  label="without log/"
  [ "$with_log" = 1 ] && label="with log/ ($N pairs: $((2 * N)) records up)"
  echo "  $label:"
  for system in $SYSTEMS; do
    echo "    $system $(summary "$WORK/times-$system-$with_log")"
  done
  m_svtree=$(median < "$WORK/times-svtree-$with_log")
  m_runit=$(median < "$WORK/times-runit-$with_log")
  m_s6=$(median < "$WORK/times-s6-$with_log")
  echo "    svtree/runit $(ratio "$m_svtree" "$m_runit")  svtree/s6 $(ratio "$m_svtree" "$m_s6")"
  if [ -n "${SVSCAN_BENCH_BASE:-}" ]; then
    m_base=$(median < "$WORK/times-svtree-base-$with_log")
    echo "    svtree-base/runit $(ratio "$m_base" "$m_runit")  svtree/svtree-base $(ratio "$m_svtree" "$m_base")"
  fi
done
echo "  $(date -u '+%H:%M'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
