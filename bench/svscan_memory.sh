#!/bin/bash
# SPDX-License-Identifier: MIT
# Memory with 1000 services (static svtree): the scanner's USS, and the whole supervision
# tree's USS per service (scanner + every supervisor, the services themselves excluded: they
# are the same helper under every system), without and with log/.
#   bench/svscan_memory.sh [SERVICES]
# SVSCAN_BENCH_BASE=DIR (a static release build of an earlier tree) measures that svscan too,
# in the same run, for before/after; SVSCAN_MEMORY_SYSTEMS="svtree ..." picks the systems.
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of "MS PID" replies and pid lists is intended)
. "$(dirname "$0")/svscan_lib.sh"
N=${1:-1000}
build
echo "memory with $N services (USS, kB; per service = (scanner + supervisors) / $N)"

# smaps_breakdown PID NAME: where the scanner's private memory is (issue #17): the binary's
# text, its read-only-after-relocation and writable data (.data, .bss), the heap (brk),
# anonymous mappings (large mallocs, libev's arrays), the stack; Private_Clean + Dirty, kB.
smaps_breakdown() {
  awk -v name="$2" '
    /^[0-9a-f]+-[0-9a-f]+ / {
      perms = $2; path = $6
      if (path == "[heap]") kind = "heap"
      else if (path == "[stack]") kind = "stack"
      else if (path ~ /^\[/) kind = "kernel " path
      else if (path == "") kind = "anonymous"
      else if (perms ~ /x/) kind = "text"
      else if (perms ~ /w/) kind = "data+bss"
      else kind = "read-only data (relro, rodata)"
      next
    }
    /^Private_(Clean|Dirty):/ { priv[kind] += $2 }
    END { for (k in priv) if (priv[k] > 0) printf "      %s %-32s %6d kB\n", name, k, priv[k] }' \
    "/proc/$1/smaps" | sort
}
for with_log in 0 1; do
  wanted=$N
  [ "$with_log" = 1 ] && wanted=$((2 * N))
  for system in ${SVSCAN_MEMORY_SYSTEMS:-svtree ${SVSCAN_BENCH_BASE:+svtree-base} runit s6}; do
    dir=$WORK/$system-mem-$with_log
    make_tree "$dir/service" "$N" "$with_log"
    set -- $(start_system "$system" "$dir/service" "$dir/marks" "$dir/logs" "$wanted" || true)
    STARTED_PIDS="${STARTED_PIDS:-} $2"
    unshare_pid=$2
    init=$(pid_ns_init "$unshare_pid")
    # Let the last status writes land, and svscan give back its output queue's room (a second
    # after it drained), before reading smaps; the same wait for each system.
    sleep 3
    scanner=$(uss_kb "$init")
    case $system in svtree*) smaps_breakdown "$init" "$system" ;; esac
    total=$scanner
    for pid in $(descendants "$init"); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = run ] && continue
      total=$((total + $(uss_kb "$pid")))
    done
    printf '  %-13s %-7s scanner %6d kB   tree %8d kB   per service %6.1f kB\n' \
      "$( [ "$with_log" = 1 ] && echo 'with log/' || echo 'without log/')" "$system" \
      "$scanner" "$total" "$(awk -v t="$total" -v n="$N" 'BEGIN { print t / n }')"
    stop_system "$unshare_pid"
    remove_tree "$dir"
  done
done
