#!/bin/bash
# SPDX-License-Identifier: MIT
# svlog throughput, side by side with svlogd, multilog and s6-log, in ONE run (ratios hold
# within a run; absolute figures drift between runs).
#
# 2 million ~100-byte lines go through a pipe (`cat FILE |`) into each logger, with stamps,
# 1 MB rotation and 10 old files kept, on tmpfs. For each: MB/s, ratio to s6-log and
# svlogd, CPU seconds per million lines, peak RSS, and a check that the kept files hold a
# contiguous, complete tail of the input ending with the last line (older lines were
# rotated away by n10, as configured); then one untimed run per logger keeping 1000
# files checks that every line arrived, in order.
#
# Usage: bench/svlog_throughput.sh [LINES]      (run from anywhere; builds a static svlog)
# Each logger runs SVLOG_BENCH_REPEAT times (default 3); the fastest run is reported.
# Needs: gcc (for a 30-line getrusage wrapper), svlogd (runit), multilog (daemontools),
# s6-log (s6). A missing peer is reported and skipped.
set -euo pipefail

LINES=${1:-2000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SVLOG_BENCH_BUILD:-$ROOT/build-static-svlog}

# The fully static build the README and Docker images use (DESIGN.md §7).
if [ ! -d "$BUILD" ]; then
  meson setup "$BUILD" "$ROOT" -Dstatic=true -Dtests=false -Dbuildtype=release >/dev/null
fi
# The program names are links to the multi-call binary, which they do not depend on.
ninja -C "$BUILD" multicall/svtree svlog/svlog >/dev/null
SVLOG=$BUILD/svlog/svlog

# tmpfs: /dev/shm when it is one, else a private one in our own mount namespace.
if [ -z "${SVLOG_BENCH_INNER:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" != tmpfs ]; then
  exec unshare --mount --propagation private env SVLOG_BENCH_INNER=1 "$0" "$@"
fi
if [ -n "${SVLOG_BENCH_INNER:-}" ]; then
  mount -t tmpfs -o size=2g tmpfs /mnt
  WORK=$(mktemp -d /mnt/svlog-bench.XXXXXX)
else
  WORK=$(mktemp -d /dev/shm/svlog-bench.XXXXXX)
fi
trap 'rm -rf "$WORK"' EXIT

# A tiny wrapper: runs a command, prints wall seconds, user+sys CPU seconds and peak RSS
# (KiB) of it and its children, from wait4's rusage.
cat > "$WORK/rusage.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char** argv) {
  (void)argc;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) { execvp(argv[1], argv + 1); _exit(127); }
  int status; struct rusage ru;
  wait4(pid, &status, 0, &ru);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  FILE* out = fopen(getenv("RUSAGE_OUT"), "w");
  fprintf(out, "%.4f %.4f %ld %d\n", wall, cpu, ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  fclose(out);
  return 0;
}
C
cc -O2 -o "$WORK/rusage" "$WORK/rusage.c"

# Input: LINES lines of exactly 100 bytes: "line NNNNNNNN " + filler + newline.
awk -v n="$LINES" 'BEGIN { pad = sprintf("%85s", ""); gsub(/ /, "x", pad);
  for (i = 0; i < n; i++) printf "line %08d %s\n", i, pad }' > "$WORK/input"
BYTES=$(stat -c %s "$WORK/input")

# The files (oldest first) then current must hold lines FIRST..LINES-1 in order, each once.
# With n10 (the timed runs) FIRST is wherever the kept tail starts; with everything kept
# (the untimed check run) it must be 0: every line present.
verify() {
  local dir=$1 want_all=$2
  ( cd "$dir" && for f in @*; do [ ! -e "$f" ] || echo "$f"; done | sort; echo current ) | (cd "$dir" && xargs cat) |
    awk -v n="$LINES" -v all="$want_all" '
      { for (f = 1; f <= NF; f++) if ($f == "line") { v = $(f + 1) + 0; break }
        if (NR == 1 && all && v != 0) { print "first line " v " != 0"; bad = 1; exit }
        if (NR > 1 && v != prev + 1) { print "gap after " prev; bad = 1; exit }
        prev = v; count++ }
      END { if (!bad && prev != n - 1) { print "last line " prev " != " n - 1; bad = 1 }
            if (!bad) printf "%s %d lines", all ? "all" : "tail of", count; exit bad }'
}

declare -A MBS CPU
REPEAT=${SVLOG_BENCH_REPEAT:-3}
# run NAME CMD...: CMD reads stdin; "KEEP" in CMD (and the config's n line) is the number
# of old files: 10 for the REPEAT timed runs (the best is reported, others share the
# CPUs), 1000 for one untimed run that checks every line arrived.
run() {
  local name=$1; shift
  local best_wall="" best_cpu="" best_rss="" best_rc="" i keep tail_check="-" all_check="-"
  for ((i = 0; i <= REPEAT; i++)); do
    keep=10; [ "$i" = "$REPEAT" ] && keep=1000
    rm -rf "$WORK/log"; mkdir "$WORK/log"
    printf 's1000000\nn%s\n' "$keep" > "$WORK/log/config"
    # shellcheck disable=SC2002 # a pipe, as a logger reads, not a file
    cat "$WORK/input" | RUSAGE_OUT="$WORK/rusage.out" "$WORK/rusage" "${@//KEEP/$keep}"
    read -r wall cpu rss rc < "$WORK/rusage.out"
    if [ "$name" = "cat>file" ]; then :
    elif [ "$keep" = 1000 ]; then all_check=$(verify "$WORK/log" 1 || true); continue
    elif [ "$i" = 0 ]; then tail_check=$(verify "$WORK/log" 0 || true)
    fi
    [ "$keep" = 1000 ] && continue
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
      best_wall=$wall best_cpu=$cpu best_rss=$rss best_rc=$rc
    fi
  done
  MBS[$name]=$(awk -v b="$BYTES" -v w="$best_wall" 'BEGIN { printf "%.0f", b / w / 1e6 }')
  CPU[$name]=$(awk -v c="$best_cpu" -v n="$LINES" 'BEGIN { printf "%.3f", c / (n / 1e6) }')
  printf '%-11s %6s MB/s %7s CPU s/Mline %6s KiB RSS  exit %s  n10: %s; n1000: %s\n' \
    "$name" "${MBS[$name]}" "${CPU[$name]}" "$best_rss" "$best_rc" "$tail_check" "$all_check"
}
have() { command -v "$1" >/dev/null 2>&1; }

echo "input: $LINES lines, $BYTES bytes, on $(stat -f -c %T "$WORK"); $(nproc) CPUs; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "best of $REPEAT runs each; MB/s = input bytes / wall time from first byte to exit"
echo "svlog: $SVLOG ($(stat -L -c %s "$SVLOG") bytes, static)"
run "cat>file" sh -c "cat > '$WORK/log/current'"
run "svlog -tt" "$SVLOG" -tt "$WORK/log"
have svlogd && run "svlogd -tt" svlogd -tt "$WORK/log"
have multilog && run "multilog t" multilog t s1000000 nKEEP "$WORK/log"
have s6-log && run "s6-log t" s6-log t nKEEP s1000000 "$WORK/log"
run "svlog -t" "$SVLOG" -t "$WORK/log"
run "svlog" "$SVLOG" "$WORK/log"

echo
ratio() { awk -v a="${MBS[$1]:-0}" -v b="${MBS[$2]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
echo "svlog -tt / s6-log t   : $(ratio 'svlog -tt' 's6-log t')   (target >= 4x, issue 15)"
echo "svlog -tt / multilog t : $(ratio 'svlog -tt' 'multilog t')"
echo "svlog -tt / svlogd -tt : $(ratio 'svlog -tt' 'svlogd -tt')"
echo "svlog -tt / cat>file   : $(ratio 'svlog -tt' 'cat>file')"
