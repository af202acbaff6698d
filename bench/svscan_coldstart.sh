#!/bin/bash
# SPDX-License-Identifier: MIT
# Cold start: time from exec of the scanner to every one of 1000 services in `run` (and,
# with log/, every logger up too), svtree's svscan vs runit's runsvdir vs s6-svscan, in one
# run, each as PID 1 of a fresh PID namespace, the same static helper as every run.
#   bench/svscan_coldstart.sh [SERVICES] [ROUNDS]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of "MS PID" replies and pid lists is intended)
. "$(dirname "$0")/svscan_lib.sh"
N=${1:-1000}
ROUNDS=${2:-3}
build
echo "cold start of $N services to all run (median of $ROUNDS rounds, ms)"
declare -A t
for with_log in 0 1; do
  wanted=$N
  [ "$with_log" = 1 ] && wanted=$((2 * N))
  for system in svtree runit s6; do
    : > "$WORK/times"
    r=0
    while [ "$r" -lt "$ROUNDS" ]; do
      dir=$WORK/$system-$with_log-$r
      make_tree "$dir/service" "$N" "$with_log"
      sync
      out=$(start_system "$system" "$dir/service" "$dir/marks" "$dir/logs" "$wanted") || true
      set -- $out
      STARTED_PIDS="${STARTED_PIDS:-} $2"
      [ "$1" = timeout ] && { echo "$system: timeout" >&2; stop_system "$2"; exit 1; }
      echo "$1" >> "$WORK/times"
      stop_system "$2"
      remove_tree "$dir"
      r=$((r + 1))
    done
    t[$system]=$(median < "$WORK/times")
  done
  label="without log/"
  [ "$with_log" = 1 ] && label="with log/ ($N pairs: $((2 * N)) runs up)"
  echo "  $label: svtree ${t[svtree]}  runit ${t[runit]}  s6 ${t[s6]}   svtree/runit $(ratio "${t[svtree]}" "${t[runit]}")  svtree/s6 $(ratio "${t[svtree]}" "${t[s6]}")"
done
