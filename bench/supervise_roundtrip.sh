#!/bin/bash
# SPDX-License-Identifier: MIT
# Control round trip: write `k` to supervise/control (what `svc -k` does) until
# supervise/status says up with a new pid, as a client reads it (runit's byte 19 == 1 for
# runsv and svtree; s6's pid with no finish running: s6-supervise forks ./finish, even a
# missing one, and publishes its pid first); median over ROUNDS, svtree vs runsv vs
# s6-supervise. Every run is `#!/bin/sh` + `exec sleep MARK`.
# Rounds alternate between the three so that load from elsewhere hits them alike. Each
# round first lets the service live 1.2 s (all three throttle quicker restarts).
#   bench/supervise_roundtrip.sh [ROUNDS]
# With SUPERVISE_BENCH_BASE=DIR (a static release build of an earlier commit), that
# supervise runs too, as svtree-base, in the same alternation.
# shellcheck source=bench/supervise_lib.sh
. "$(dirname "$0")/supervise_lib.sh"
ROUNDS=${1:-15}
SYSTEMS="svtree runit s6"
[ -n "${SUPERVISE_BENCH_BASE:-}" ] && SYSTEMS="svtree svtree-base runit s6"
build
mark=300000
for system in $SYSTEMS; do
  mark=$((mark + 1))
  make_services "$WORK/$system" 1 "$mark"
  group=$(start_group "$system" "$WORK/$system")
  STARTED_PIDS="$STARTED_PIDS $group"
  wait_services "$mark" 1
done
r=0
while [ "$r" -lt "$ROUNDS" ]; do
  for system in $SYSTEMS; do
    "$HELPER" roundtrip "$(status_format "$system")" "$WORK/$system/s0" 1 |
      awk '/^us/ { print $2 }' >> "$WORK/$system.rt"
  done
  r=$((r + 1))
done
declare -A rt
for system in $SYSTEMS; do rt[$system]=$(median < "$WORK/$system.rt"); done
echo "control round trip k -> new pid in status, median (min-max) of $ROUNDS alternating rounds (us):"
for system in $SYSTEMS; do
  echo "  $system ${rt[$system]} ($(sort -n "$WORK/$system.rt" | head -n 1)-$(sort -n "$WORK/$system.rt" | tail -n 1))"
done
echo "  svtree/runsv $(ratio "${rt[svtree]}" "${rt[runit]}")  svtree/s6 $(ratio "${rt[svtree]}" "${rt[s6]}")"
[ -n "${SUPERVISE_BENCH_BASE:-}" ] &&
  echo "  svtree-base/runsv $(ratio "${rt[svtree-base]}" "${rt[runit]}")  svtree/svtree-base $(ratio "${rt[svtree]}" "${rt[svtree-base]}")"
echo "  $(date -u '+%d %b %Y %H:%M'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
