#!/bin/bash
# SPDX-License-Identifier: MIT
# `svctl status` against runit's `sv status` over the same N services (default 1000), each
# supervised by runit's runsv (SUPERVISOR=supervise for ours). Also times the SVDIR table
# and --json forms of svctl, which read the same files. Median of REPEAT runs.
# Usage: bench/svctl_status.sh [N] [REPEAT]
# shellcheck source=bench/svctl_lib.sh
. "$(dirname "$0")/svctl_lib.sh"
N=${1:-1000}
REPEAT=${2:-51}
SUPERVISOR=${SUPERVISOR:-runsv}
build

export SVDIR=$WORK/service
names=()
for i in $(seq 0 $((N - 1))); do
  make_service "$SVDIR/s$i"
  names+=("s$i")
done
for name in "${names[@]}"; do start_supervisor "$SUPERVISOR" "$SVDIR/$name"; done
for name in "${names[@]}"; do wait_up "$SVDIR/$name"; done

# run_timed FILE CMD...: one run, output to /dev/null; appends microseconds to FILE.
run_timed() {
  local file=$1 t0 t1
  shift
  t0=$(now_us)
  "$@" >/dev/null || true
  t1=$(now_us)
  echo $((t1 - t0)) >>"$file"
}

# Same bytes? (seconds may tick between the two runs)
if ! diff <(sv status "${names[@]}" | sed 's/) [0-9]*s/) Ns/') \
          <("$SVCTL" status "${names[@]}" | sed 's/) [0-9]*s/) Ns/') >/dev/null; then
  echo "bench: warning: sv and svctl printed different status lines" >&2
fi

# Interleaved, so that a change in machine load hits every contender alike.
for f in sv svctl table json; do : >"$WORK/$f"; done
for _ in $(seq "$REPEAT"); do
  run_timed "$WORK/sv" sv status "${names[@]}"
  run_timed "$WORK/svctl" "$SVCTL" status "${names[@]}"
  run_timed "$WORK/table" "$SVCTL" status
  run_timed "$WORK/json" "$SVCTL" status --json
done
sv_us=$(median "$WORK/sv")
svctl_us=$(median "$WORK/svctl")
table_us=$(median "$WORK/table")
json_us=$(median "$WORK/json")
echo "$N services under $SUPERVISOR, median of $REPEAT runs:"
printf '  %-32s %8.2f ms\n' "sv status NAME..." "$(echo "$sv_us / 1000" | bc -l)" \
  "svctl status NAME..." "$(echo "$svctl_us / 1000" | bc -l)" \
  "svctl status (table, all)" "$(echo "$table_us / 1000" | bc -l)" \
  "svctl status --json (all)" "$(echo "$json_us / 1000" | bc -l)"
printf '  ratio sv/svctl (same names, same format): %.2fx\n' "$(echo "$sv_us / $svctl_us" | bc -l)"
