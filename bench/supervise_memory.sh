#!/bin/bash
# SPDX-License-Identifier: MIT
# Private memory (USS = Private_Clean + Private_Dirty, /proc/PID/smaps_rollup) per
# supervisor, median over N supervisors each running a service: svtree's static supervise
# vs runit's runsv vs s6-supervise, in one run.
#   bench/supervise_memory.sh [N]
# shellcheck source=bench/supervise_lib.sh
. "$(dirname "$0")/supervise_lib.sh"
N=${1:-50}
build
mark=200000
declare -A uss count
for system in svtree runit s6; do
  mark=$((mark + 1))
  make_services "$WORK/$system" "$N" "$mark"
  group=$(start_group "$system" "$WORK/$system")
  STARTED_PIDS="$STARTED_PIDS $group"
  wait_services "$mark" "$N"
  sleep 1  # let every supervisor settle after its first status writes
  for pid in $(supervisors_of "$group"); do uss_kb "$pid"; done > "$WORK/$system.uss"
  count[$system]=$(wc -l < "$WORK/$system.uss")
  uss[$system]=$(median < "$WORK/$system.uss")
  kill -KILL "$group"
done
echo "USS per supervisor, median of $N supervisors each running a service (kB):"
echo "  svtree supervise (static) ${uss[svtree]} (${count[svtree]})  runsv ${uss[runit]} (${count[runit]})  s6-supervise ${uss[s6]} (${count[s6]})"
echo "  svtree/runsv $(ratio "${uss[svtree]}" "${uss[runit]}")  svtree/s6-supervise $(ratio "${uss[svtree]}" "${uss[s6]}")"
