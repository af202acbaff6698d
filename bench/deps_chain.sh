#!/bin/bash
# SPDX-License-Identifier: MIT
# What declared dependencies cost at start (issue 14), svtree alone, svscan as PID 1 of a
# fresh PID namespace, time from the fork until every status record says up (as in
# svscan_coldstart.sh):
#  1. a chain of N services (s_i/depends/s_{i-1}), each ready the moment it starts (no
#     notification-fd), against N independent ones: the chain's extra time is N-1
#     event-driven hand-overs (dnotify on the dependency's supervise/, no polling);
#  2. BIG services in 10 levels (each service of level k > 0 depends on one of level k-1:
#     a 10-deep chain), against BIG independent ones.
# Rounds alternate the variants so that load from elsewhere falls on both alike.
#   bench/deps_chain.sh [N] [ROUNDS] [BIG]    (defaults 10, 11, 1000)
# Prints the median and min-max (ms) of each variant and the differences of medians.
# shellcheck source=bench/svscan_lib.sh disable=SC2086
. "$(dirname "$0")/svscan_lib.sh"
N=${1:-10}
ROUNDS=${2:-11}
BIG=${3:-1000}
build
sleep_run "$WORK/run"

# chain DIR COUNT LEVELS: service i depends on service i - COUNT/LEVELS (same position,
# previous level); LEVELS = COUNT makes one chain.
chain() {
  per=$(($2 / $3))
  i=$per
  while [ "$i" -lt "$2" ]; do
    mkdir -p "$1/s$i/depends"
    : > "$1/s$i/depends/s$((i - per))"
    i=$((i + 1))
  done
  find "$1" -type d -exec touch -d '1 hour ago' {} +
}

# measure VARIANT COUNT LEVELS ROUND: one cold start; appends ms to $WORK/times-VARIANT.
measure() {
  dir=$WORK/$1-$4
  make_tree "$dir/service" "$2" 0 "$WORK/run"
  if [ "$3" -gt 1 ]; then chain "$dir/service" "$2" "$3"; fi
  sync
  out=$(start_up svtree "$dir/service" "$2" 0) || true
  set -- $out "$1"
  STARTED_PIDS="${STARTED_PIDS:-} ${2:-}"
  if [ "${1:-timeout}" = timeout ]; then
    echo "svtree: timeout (see $WORK/svtree.stderr)" >&2
    [ -n "${2:-}" ] && stop_system "$2"
    exit 1
  fi
  echo "$1" >> "$WORK/times-$3"
  echo "  $3: $1 ms" >&2
  stop_system "$2"
  remove_tree "$dir"
}

summary() {
  printf '%s (%s-%s)' "$(median < "$1")" "$(sort -n "$1" | head -n 1)" "$(sort -n "$1" | tail -n 1)"
}

r=0
while [ "$r" -lt "$ROUNDS" ]; do
  measure independent "$N" 1 "$r"
  measure chain "$N" "$N" "$r"
  r=$((r + 1))
done
echo "$N services until every record says up, $ROUNDS alternating rounds (ms): median (min-max)"
echo "  independent $(summary "$WORK/times-independent")"
echo "  chain       $(summary "$WORK/times-chain")"
echo "  chain - independent (medians): $(awk -v a="$(median < "$WORK/times-chain")" \
  -v b="$(median < "$WORK/times-independent")" 'BEGIN { printf "%.1f", a - b }') ms"

r=0
big_rounds=$(( (ROUNDS + 3) / 4 ))
while [ "$r" -lt "$big_rounds" ]; do
  measure big-independent "$BIG" 1 "big$r"
  measure big-levels "$BIG" 10 "big$r"
  r=$((r + 1))
done
echo "$BIG services, $big_rounds alternating rounds (ms): median (min-max)"
echo "  independent      $(summary "$WORK/times-big-independent")"
echo "  10-deep levels   $(summary "$WORK/times-big-levels")"
echo "  ratio (medians): $(ratio "$(median < "$WORK/times-big-levels")" "$(median < "$WORK/times-big-independent")")"
