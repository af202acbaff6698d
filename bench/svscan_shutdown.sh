#!/bin/bash
# SPDX-License-Identifier: MIT
# Shutdown as PID 1: 100 services, each with a log/ logger, in a fresh PID namespace; SIGTERM
# to the scanner, then the time until the namespace is empty (its init has exited; the
# kernel only completes that once every process in it is gone). Counted afterwards: how many
# services got a TERM (their handler leaves a mark) and how many loggers drained the "bye"
# line each service prints in that handler.
#   bench/svscan_shutdown.sh [ROUNDS]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of "MS PID" replies and pid lists is intended)
. "$(dirname "$0")/svscan_lib.sh"
ROUNDS=${1:-5}
N=100
build
echo "shutdown of $N services (+$N loggers) as PID 1 after SIGTERM (median of $ROUNDS rounds)"
for system in svtree runit s6; do
  : > "$WORK/times"
  termed=0
  drained=0
  r=0
  while [ "$r" -lt "$ROUNDS" ]; do
    dir=$WORK/$system-down-$r
    make_tree "$dir/service" "$N" 1
    set -- $(start_system "$system" "$dir/service" "$dir/marks" "$dir/logs" $((2 * N)) || true)
    STARTED_PIDS="${STARTED_PIDS:-} $2"
    unshare_pid=$2
    init=$(pid_ns_init "$unshare_pid")
    ms=$("$HELPER" stop "$init" 15 "$init" 30000 || true)
    echo "$ms" >> "$WORK/times"
    stop_system "$unshare_pid"
    termed=$(find "$dir/marks" -name '*.term' | wc -l)
    drained=$(grep -l '^bye$' "$dir/logs"/* 2>/dev/null | wc -l)
    remove_tree "$dir"
    r=$((r + 1))
  done
  printf '  %-7s %8s ms to an empty namespace; last round: %3d/%d services got TERM, %3d/%d loggers drained the TERM handler'"'"'s line\n' \
    "$system" "$(median < "$WORK/times")" "$termed" "$N" "$drained" "$N"
done
