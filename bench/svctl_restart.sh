#!/bin/bash
# SPDX-License-Identifier: MIT
# `svctl restart` (event-driven wait) against runit's `sv restart` (0.42 s polling) on the
# same service, under runit's runsv and under our supervise. Reports the median latency
# from command to "ok:", the ratio, and how often each reported the OLD pid as restarted.
# Usage: bench/svctl_restart.sh [ROUNDS]   (default 15; each round waits 1.1 s so that
# neither supervisor applies its 1 s restart throttle)
# shellcheck source=bench/svctl_lib.sh
. "$(dirname "$0")/svctl_lib.sh"
ROUNDS=${1:-15}
build

# measure TOOL DIR OUTFILE: one restart; appends microseconds; prints "stale" if the pid
# the tool reported is the one that was running before.
measure() {
  local tool=$1 dir=$2 before out t0 t1 reported
  sleep 1.1
  before=$(cat "$dir/supervise/pid")
  t0=$(now_us)
  if [ "$tool" = sv ]; then out=$(sv restart "$dir"); else out=$("$SVCTL" restart "$dir"); fi
  t1=$(now_us)
  echo $((t1 - t0)) >>"$3"
  reported=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
  if [ "$reported" = "$before" ]; then echo stale; fi
}

printf '%-10s %-6s %10s %8s %8s %s\n' supervisor tool median_ms min_ms rounds "old pid reported"
for supervisor in runsv supervise; do
  dir=$WORK/$supervisor/web
  make_service "$dir"
  start_supervisor "$supervisor" "$dir"
  wait_up "$dir"
  declare -A median_of=()
  for tool in sv svctl; do
    : >"$WORK/$supervisor.$tool"
    stale=0
    for _ in $(seq "$ROUNDS"); do
      if [ -n "$(measure "$tool" "$dir" "$WORK/$supervisor.$tool")" ]; then stale=$((stale + 1)); fi
    done
    m=$(median "$WORK/$supervisor.$tool")
    median_of[$tool]=$m
    least=$(sort -n "$WORK/$supervisor.$tool" | head -1)
    printf '%-10s %-6s %10.2f %8.2f %8d %d\n' "$supervisor" "$tool" "$(echo "$m / 1000" | bc -l)" \
      "$(echo "$least / 1000" | bc -l)" "$ROUNDS" "$stale"
  done
  printf '%-10s ratio sv/svctl (median latency): %.1fx\n' "$supervisor" \
    "$(echo "${median_of[sv]} / ${median_of[svctl]}" | bc -l)"
  stop_supervisors
done

# Back to back: the second restart comes within a second of the first, when sv's
# whole-second comparison cannot tell the old process from a new one.
echo
echo "back-to-back restarts (second one within 1 s of the first), $ROUNDS rounds under runsv:"
dir=$WORK/b2b/web
make_service "$dir"
start_supervisor runsv "$dir"
wait_up "$dir"
for tool in sv svctl; do
  stale=0
  for _ in $(seq "$ROUNDS"); do
    sleep 1.1
    "$SVCTL" -w 10 restart "$dir" >/dev/null
    before=$(cat "$dir/supervise/pid")
    if [ "$tool" = sv ]; then out=$(sv restart "$dir"); else out=$("$SVCTL" -w 10 restart "$dir"); fi
    reported=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
    if [ "$reported" = "$before" ]; then stale=$((stale + 1)); fi
  done
  printf '  %-6s reported the old pid as restarted: %d of %d\n' "$tool" "$stale" "$ROUNDS"
done
stop_supervisors
