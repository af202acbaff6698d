#!/bin/bash
# SPDX-License-Identifier: MIT
# Idle cost: the three scanners run side by side, 10 services each, for SECONDS (default
# 60); wake-ups = context switches (voluntary + involuntary) of the scanner, and of all its
# supervisors together, over that window. Nothing happens meanwhile, so any wake-up is a
# timer or a poll.
#   bench/svscan_idle.sh [SECONDS]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of "MS PID" replies and pid lists is intended)
. "$(dirname "$0")/svscan_lib.sh"
SECS=${1:-60}
build
switches() {  # PID...: sum of context switches
  local total=0 pid v
  for pid in "$@"; do
    v=$(awk '/ctxt_switches/ { s += $2 } END { print s + 0 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + v))
  done
  echo "$total"
}
supervisors_of() {  # INIT: the scanner's direct children (supervise / runsv / s6-supervise)
  cat "/proc/$1/task/$1/children"
}
declare -A unshare_of init_of before_scan before_sup
for system in svtree runit s6; do
  dir=$WORK/$system-idle
  make_tree "$dir/service" 10 0
  set -- $(start_system "$system" "$dir/service" "$dir/marks" "$dir/logs" 10 || true)
  STARTED_PIDS="${STARTED_PIDS:-} $2"
  unshare_of[$system]=$2
  init_of[$system]=$(pid_ns_init "$2")
done
sleep 1  # let start-up settle: this is the quiet window's start, not a measurement
for system in svtree runit s6; do
  init=${init_of[$system]}
  before_scan[$system]=$(switches "$init")
  before_sup[$system]=$(switches $(supervisors_of "$init"))
done
sleep "$SECS"
echo "idle wake-ups over $SECS s with 10 services (context switches)"
for system in svtree runit s6; do
  init=${init_of[$system]}
  scan=$(( $(switches "$init") - ${before_scan[$system]} ))
  sup=$(( $(switches $(supervisors_of "$init")) - ${before_sup[$system]} ))
  printf '  %-7s scanner %4d   10 supervisors together %4d\n' "$system" "$scan" "$sup"
  stop_system "${unshare_of[$system]}"
done
