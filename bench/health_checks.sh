#!/bin/bash
# SPDX-License-Identifier: MIT
# What health checks cost: 100 services with check-interval 1000 under svscan, one tree
# per kind of check (check-tcp, check-http, ./check), beside a svtree tree without checks
# and runit's and s6's idle trees, all running at once for SECONDS (default 30) so that
# load from elsewhere falls on every tree alike. CPU of a tree = utime + stime + cutime +
# cstime (/proc/PID/stat fields 14-17: reaped ./check processes are in their supervise's
# cutime) of the scanner and every process below it, over that window, as % of one core.
# The services run `sleep`; the checks all probe one busybox httpd outside the trees, so
# a tree's figure is the checking alone, not the answering.
#   bench/health_checks.sh [SECONDS]
# shellcheck source=bench/svscan_lib.sh disable=SC2046,SC2086
. "$(dirname "$0")/svscan_lib.sh"
SECS=${1:-30}
COUNT=100
build
# The links svscan/svscan and supervise/supervise point at the multi-call binary.
ninja -C "$BUILD" multicall/svtree >/dev/null
command -v busybox >/dev/null || { echo "bench: busybox is not installed" >&2; exit 1; }
RUN=$WORK/run
sleep_run "$RUN"
CHECK=$WORK/check
printf '#!/bin/sh\nexit 0\n' > "$CHECK"
chmod 755 "$CHECK"

# The one server every check probes.
mkdir -p "$WORK/www"
echo ok > "$WORK/www/index.html"
PORT=$((20000 + RANDOM % 20000))
busybox httpd -f -p "127.0.0.1:$PORT" -h "$WORK/www" &
STARTED_PIDS="${STARTED_PIDS:-} $!"

# add_check DIR KIND: the check files of every service in DIR.
add_check() {
  for s in "$1"/s*; do
    case "$2" in
      none) continue ;;
      tcp) echo "127.0.0.1:$PORT" > "$s/check-tcp" ;;
      http) echo "http://127.0.0.1:$PORT/index.html" > "$s/check-http" ;;
      script) ln -s "$CHECK" "$s/check" ;;
    esac
    echo 1000 > "$s/check-interval"
  done
  find "$1" -type d -exec touch -d '1 hour ago' {} +
}

# ticks PID...: utime + stime + cutime + cstime of each PID, summed (clock ticks).
ticks() {
  local total=0 pid v
  for pid in "$@"; do
    # The command name may hold blanks: count fields after the last ')'.
    v=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

TREES="svtree:none svtree:tcp svtree:http svtree:script runit:none s6:none"
declare -A unshare_of members before
for tree in $TREES; do
  system=${tree%%:*}
  kind=${tree#*:}
  dir=$WORK/$system-$kind/service
  make_tree "$dir" "$COUNT" 0 "$RUN"
  [ "$system" = svtree ] && add_check "$dir" "$kind"
  set -- $(start_up "$system" "$dir" "$COUNT" 0)
  STARTED_PIDS="${STARTED_PIDS:-} $2"
  unshare_of[$tree]=$2
done
sleep 3  # past the first checks and start-up: the window measures the steady state
for tree in $TREES; do
  init=$(pid_ns_init "${unshare_of[$tree]}")
  members[$tree]="$init $(descendants "$init" | tr '\n' ' ')"
  before[$tree]=$(ticks ${members[$tree]})
done
sleep "$SECS"
hz=$(getconf CLK_TCK)
echo "CPU of each tree over $SECS s, $COUNT services, check-interval 1000 (% of one core)"
for tree in $TREES; do
  used=$(( $(ticks ${members[$tree]}) - ${before[$tree]} ))
  awk -v t="$tree" -v u="$used" -v hz="$hz" -v s="$SECS" \
    'BEGIN { printf "  %-14s %6.2f %%   (%d ticks)\n", t, 100 * u / hz / s, u }'
  stop_system "${unshare_of[$tree]}"
done
