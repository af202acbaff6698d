#!/bin/bash
# SPDX-License-Identifier: MIT
# Where a cold start goes, per service: the same tree as bench/svscan_coldstart.sh (run =
# `#!/bin/sh` + `exec sleep 1000`, back-dated), svtree vs runit vs s6, each scanner as PID 1
# of a fresh PID namespace, started until every status record says up. Two passes each:
#  1. untraced: once all are up, every process of the namespace is read from /proc: page
#     faults (minflt, majflt of /proc/PID/stat) and CPU time (/proc/PID/schedstat, ns,
#     from its fork: a supervisor's share includes the scanner's child before the exec),
#     summed by program;
#  2. under `strace -f`: system calls by program, where a child counts to its parent's
#     program until it execs ("supervise (forked)" is supervise's child before it execs
#     run). The traced start is slower; only the counts are used.
# Both printed per service (totals / SERVICES), sampled 2 s after the last record says up
# (what a supervisor does right after publishing belongs to its start too).
#   bench/svscan_breakdown.sh [SERVICES] [WITH_LOG(0|1)]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
# (word splitting of the "MS PID" reply is intended)
. "$(dirname "$0")/svscan_lib.sh"
N=${1:-1000}
WITH_LOG=${2:-0}
SYSTEMS="svtree runit s6"
build
command -v strace >/dev/null || { echo "bench: strace is not installed" >&2; exit 1; }
sleep_run "$WORK/run"

# proc_sample UNSHARE_PID: "PROGRAM MINFLT MAJFLT CPU_NS" for every process of the namespace.
proc_sample() {
  init=$(pid_ns_init "$1")
  for pid in $init $(descendants "$init"); do
    [ -r "/proc/$pid/stat" ] || continue
    # comm may hold spaces; the fields after ") " are fixed: minflt is field 10, majflt 12.
    sed 's/^.*) //' "/proc/$pid/stat" | awk -v comm="$(cat "/proc/$pid/comm")" \
      -v cpu="$(awk '{ print $1 }' "/proc/$pid/schedstat")" \
      '{ print comm, $8, $10, cpu }'
  done 2>/dev/null || true
}

# strace_counts TRACE: "PROGRAM SYSCALL COUNT" from a `strace -f -o TRACE` file.
strace_counts() {
  awk '
    function base(p) { sub(/.*\//, "", p); return p }
    function label(pid) { return (pid in prog) ? prog[pid] : "@" pid }
    {
      pid = $1; rest = $0; sub(/^[0-9]+ +/, "", rest)
      if (NR == 1) prog[pid] = "strace-start"
      # The return value; a pid returned inside the namespace is followed by the host pid
      # (--pidns-translation), the one strace prefixes lines with.
      ret = ""
      if (match(rest, / = -?[0-9]+[^=]*$/)) { r = substr(rest, RSTART + 3); ret = r + 0 }
      if (match(rest, /\/\* [0-9]+ in strace.s PID NS \*\//)) ret = substr(rest, RSTART + 3) + 0
      if (rest ~ /^<\.\.\. [a-z_0-9]+ resumed>/) {
        name = rest; sub(/^<\.\.\. /, "", name); sub(/ resumed>.*/, "", name)
        if (name ~ /^(clone|clone3|fork|vfork)$/ && ret > 0) born[ret] = label(pid)
        if (name == "execve" && ret == 0 && (pid in pending)) prog[pid] = pending[pid]
        next
      }
      if (rest !~ /^[a-z_0-9]+\(/) next
      name = rest; sub(/\(.*/, "", name)
      count[label(pid) SUBSEP name]++
      if (name == "execve") {
        path = rest; sub(/^execve\("/, "", path); sub(/".*/, "", path)
        if (rest ~ /<unfinished \.\.\.>/) pending[pid] = base(path)
        else if (ret == 0) prog[pid] = base(path)
      }
      if (name ~ /^(clone|clone3|fork|vfork)$/ && rest !~ /<unfinished/ && ret > 0)
        born[ret] = label(pid)
    }
    # "@PID" (a child before its exec) becomes "PARENT_PROGRAM (forked)".
    function resolve(l,   p, depth) {
      for (depth = 0; l ~ /^@/ && depth < 20; depth++) {
        p = substr(l, 2)
        if (!(p in born)) return "unknown"
        l = born[p]
        if (l !~ /^@/) return l " (forked)"
      }
      return l
    }
    END {
      for (k in count) {
        split(k, a, SUBSEP)
        total[resolve(a[1]) SUBSEP a[2]] += count[k]
      }
      for (k in total) { split(k, a, SUBSEP); print a[1] "\t" a[2] "\t" total[k] }
    }' "$1"
}

# start_traced SYSTEM DIR TRACE: as start_up, the whole tree under strace -f.
start_traced() {
  # shellcheck disable=SC2046
  PATH=$BOOT_PATH "$HELPER" up "$(status_format "$1")" "$2" "$N" "$WITH_LOG" 600000 \
    strace -f -qq --pidns-translation -o "$3" unshare --pid --fork --mount-proc --kill-child \
    $(scanner_cmd "$1" "$2") 2>>"$WORK/$1.stderr"
}

label="without log/"
[ "$WITH_LOG" = 1 ] && label="with log/"
for system in $SYSTEMS; do
  dir=$WORK/$system
  make_tree "$dir/service" "$N" "$WITH_LOG" "$WORK/run"
  sync
  set -- $(start_up "$system" "$dir/service" "$N" "$WITH_LOG" || true)
  STARTED_PIDS="${STARTED_PIDS:-} ${2:-}"
  [ "${1:-timeout}" != timeout ] || { echo "$system: timeout" >&2; exit 1; }
  echo "== $system, $N services $label: up in $1 ms (untraced); per service:"
  # What a supervisor does just after publishing "up" belongs to its start too.
  sleep 2
  proc_sample "$2" | awk -v n="$N" '
    { procs[$1]++; minflt[$1] += $2; majflt[$1] += $3; cpu[$1] += $4 }
    END { for (p in procs)
            printf "  %-14s processes %6.2f  minflt %8.1f  majflt %5.2f  cpu %7.3f ms\n",
                   p, procs[p] / n, minflt[p] / n, majflt[p] / n, cpu[p] / n / 1e6 }' | sort
  stop_system "$2"
  remove_tree "$dir"

  make_tree "$dir/service" "$N" "$WITH_LOG" "$WORK/run"
  sync
  set -- $(start_traced "$system" "$dir/service" "$WORK/trace-$system" || true)
  STARTED_PIDS="${STARTED_PIDS:-} ${2:-}"
  [ "${1:-timeout}" != timeout ] || { echo "$system: timeout under strace" >&2; exit 1; }
  tracer=$2
  sleep 2
  unshare_pid=$(awk '{ print $1 }' "/proc/$tracer/task/$tracer/children")
  stop_system "$unshare_pid"
  while kill -0 "$tracer" 2>/dev/null; do sleep 0.1; done
  remove_tree "$dir"
  echo "  system calls per service, by program (traced start), most frequent first:"
  strace_counts "$WORK/trace-$system" | awk -F '\t' -v n="$N" '
    { calls[$1] += $3; line[$1] = line[$1] sprintf(" %s %.2f", $2, $3 / n) ; per[$1, $2] = $3 }
    END { for (p in calls) printf "  %-22s %8.2f  |%s\n", p, calls[p] / n, line[p] }' |
    sort -k2,2 | while IFS='|' read -r head list; do
      # The syscalls of one program, most frequent first.
      echo "$head"
      echo "$list" | awk '{ for (i = 1; i < NF; i += 2) print $(i + 1), $i }' | sort -rn |
        awk '{ printf "%s=%s ", $2, $1 } END { print "" }' | fold -s -w 96 | sed 's/^/      /'
    done
  rm -f "$WORK/trace-$system"
done
