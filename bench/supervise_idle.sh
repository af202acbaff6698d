#!/bin/bash
# SPDX-License-Identifier: MIT
# Idle cost: system calls made by a supervisor whose service runs quietly, counted with
# strace over SECONDS (default 60), svtree vs runsv vs s6-supervise in the same window.
# Zero is the target: no periodic wake-up.
#   bench/supervise_idle.sh [SECONDS]
# shellcheck source=bench/supervise_lib.sh
. "$(dirname "$0")/supervise_lib.sh"
SECONDS_IDLE=${1:-60}
build
mark=400000
tracers=()
for system in svtree runit s6; do
  mark=$((mark + 1))
  make_services "$WORK/$system" 1 "$mark"
  group=$(start_group "$system" "$WORK/$system")
  STARTED_PIDS="$STARTED_PIDS $group"
  wait_services "$mark" 1
  sleep 1
  pid=$(supervisors_of "$group")
  timeout "$SECONDS_IDLE" strace -p "$pid" -o "$WORK/$system.strace" 2>/dev/null &
  tracers+=("$!")
done
wait "${tracers[@]}" || true
echo "system calls in $SECONDS_IDLE s of idle (completed calls seen by strace):"
for system in svtree runit s6; do
  calls=$(grep -c ' = ' "$WORK/$system.strace" || true)
  echo "  $system: $calls"
done
