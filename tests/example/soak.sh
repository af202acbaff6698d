#!/bin/bash
# Soak test of the example tree (issue 13): runs examples/service under svscan for a while
# (3 minutes by default: the worker's old flapping showed after one to two) and probes it
# with `svctl check`, the HEALTHCHECK of the example images and the probe of
# examples/kubernetes/pod.yaml, every few seconds. Any failed probe fails the run: a
# container orchestrator restarts a container after 3 in a row, and a probe that can fail
# now and then will one day fail 3 times. Not a meson test: it takes minutes (.ci/run runs
# it once).
# Usage: tests/example/soak.sh BUILD_DIR [SECONDS]   (SVTREE_SOAK_INTERVAL: seconds, 3;
# SVTREE_SOAK_TREE: another tree to soak instead of examples/service)
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-180}
interval=${SVTREE_SOAK_INTERVAL:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
exe="$build/multicall/svtree"
[ -x "$exe" ] || { echo "FAIL soak: $exe is not built"; exit 1; }
command -v busybox >/dev/null || { echo "SKIP soak: the example's web server needs busybox"; exit 0; }

# The web service listens on 127.0.0.1:8080: in a network namespace of its own, two runs
# (or a developer's demo) on one machine cannot collide. The probes run inside it too.
if [ -z "${SVTREE_SOAK_INNER:-}" ]; then
  if unshare --net true 2>/dev/null; then
    SVTREE_SOAK_INNER=1 exec unshare --net "$0" "$@"
  fi
  echo "soak: unshare --net not permitted: using the host's 127.0.0.1:8080"
elif command -v ip >/dev/null; then
  ip link set lo up
else
  busybox ip link set lo up
fi

work=$(mktemp -d /tmp/svtree-soak.XXXXXX)
svscan_pid=
cleanup() {
  if [ -n "$svscan_pid" ] && kill -0 "$svscan_pid" 2>/dev/null; then
    kill -TERM "$svscan_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$svscan_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$svscan_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
for b in svscan supervise svctl svlog; do ln -s "$exe" "$work/bin/$b"; done
cp -R "${SVTREE_SOAK_TREE:-$top/examples/service}" "$work/service"
export PATH="$work/bin:$PATH" SVDIR="$work/service" SVTREE_SUPERVISE="$work/bin/supervise"

svscan "$work/service" >"$work/svscan.out" 2>&1 &
svscan_pid=$!

fail() {
  echo "FAIL soak: $*"
  echo "--- svctl status"; svctl status || true
  echo "--- svscan's output (last 40 lines)"; tail -40 "$work/svscan.out"
  exit 1
}

# Up: every service running and ready, the web server answering its ./check.
deadline=$((SECONDS + 30))
until svctl check >"$work/probe.out" 2>&1; do
  [ $SECONDS -lt $deadline ] || fail "the tree did not become healthy in 30 s: $(tr '\n' ' ' <"$work/probe.out")"
  kill -0 "$svscan_pid" 2>/dev/null || fail "svscan exited"
  sleep 0.2
done

probes=0
end=$((SECONDS + seconds))
while [ $SECONDS -lt $end ]; do
  probes=$((probes + 1))
  svctl check >"$work/probe.out" 2>&1 ||
    fail "probe $probes after $((seconds - (end - SECONDS))) s failed: $(grep -v '^ok:' "$work/probe.out" | tr '\n' ' ')"
  kill -0 "$svscan_pid" 2>/dev/null || fail "svscan exited"
  sleep "$interval"
done
echo "soak: $probes probes of svctl check over ${seconds} s, every ${interval} s: all passed"
svctl status
# The event lines show what happened meanwhile (a periodic report restarts every 30 s).
grep -c 'supervise: event=' "$work/svscan.out" | sed 's/^/soak: event lines: /'
grep 'supervise: event=' "$work/svscan.out" | tail -5 || true
