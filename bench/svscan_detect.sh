#!/bin/bash
# SPDX-License-Identifier: MIT
# New-service detection: time from the rename that puts a service into the scan directory
# to its run being up, with 10 services already running. svtree: inotify; runsvdir: its
# 5-second poll; s6-svscan: only when told (`s6-svscanctl -a`), so it is measured twice:
# untriggered (expected: never within the timeout) and triggered right after the rename.
#   bench/svscan_detect.sh [TRIALS]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of "MS PID" replies and pid lists is intended)
. "$(dirname "$0")/svscan_lib.sh"
TRIALS=${1:-21}
build
echo "new-service detection latency, rename to run up (median, ms)"
measure() {  # SYSTEM TRIALS TIMEOUT_MS TRIGGER(0|1) [LABEL]
  local system=$1 trials=$2 timeout=$3 trigger=$4 label=${5:-$1} dir=$WORK/$1-detect-$4-${5:+alone}
  make_tree "$dir/service" 10 0
  set -- $(start_system "$system" "$dir/service" "$dir/marks" "$dir/logs" 10 || true)
  STARTED_PIDS="${STARTED_PIDS:-} $2"
  local unshare_pid=$2
  : > "$WORK/lat"
  local i=0 timeouts=0
  while [ "$i" -lt "$trials" ]; do
    mkdir -p "$dir/staging/n$i"
    ln -s "$HELPER" "$dir/staging/n$i/run"
    if [ "$trigger" = 1 ]; then
      # The trigger is part of what s6 needs: run it right behind the rename.
      ( sleep 0.001; s6-svscanctl -a "$dir/service" ) &
    fi
    us=$("$HELPER" detect "$dir/marks" "$dir/staging/n$i" "$dir/service/n$i" "$timeout" || true)
    wait
    if [ "$us" = timeout ]; then timeouts=$((timeouts + 1)); else echo "$us" >> "$WORK/lat"; fi
    i=$((i + 1))
  done
  stop_system "$unshare_pid"
  local med
  med=$(awk '{ print $1 / 1000 }' "$WORK/lat" | median)
  printf '  %-22s median %8s ms  (%d trials, %d timed out after %d ms)\n' \
    "$label$( [ "$trigger" = 1 ] && echo ' +svscanctl -a')" "$med" "$trials" "$timeouts" "$timeout"
}
measure svtree "$TRIALS" 10000 0
# svscan's own share: the same, with a stand-in supervise that is the service at once.
real_supervise=$SVTREE_SUPERVISE
export SVTREE_SUPERVISE=$HELPER
measure svtree "$TRIALS" 10000 0 "svscan alone"
export SVTREE_SUPERVISE=$real_supervise
measure runit 5 10000 0
measure s6 2 3000 0
measure s6 "$TRIALS" 10000 1
