#!/bin/bash
# The container suite (issue 17): a real engine, podman with runc, runs the fully static
# build the way users run it, with `podman run/logs/exec/stop/kill/healthcheck run`.
# Images are made here, with no registry: a FROM-scratch image of the staged binaries,
# a static busybox, the example tree and the trees in tests/containers/trees; the two
# examples/docker Dockerfiles, built on a Debian 12 base made with mmdebstrap (Debian)
# and on a static-busybox root standing in for Alpine; examples/kubernetes/pod.yaml's
# probes run as the exec commands they are.
#
# Usage: tests/containers/run.sh STATIC_BUILD_DIR
#   The binaries come from `meson install --destdir` of STATIC_BUILD_DIR: whatever it
#   installs into its bindir (four programs, or one with links) goes into the images.
#   Prints PASS/FAIL per scenario and a closing line "containers: N passed, N failed,
#   N skipped". Exit 0 when all passed, 1 when any failed, 77 when skipped (no engine
#   can run here); with CI=true a skip is a failure (exit 1).
# Environment: SVTREE_CONTAINERS_ONLY=REGEX runs only the scenarios whose name matches;
#   SVTREE_CONTAINERS_CACHE=DIR keeps the Debian base tarball between runs on one
#   machine (default /var/tmp/svtree-containers; a fresh machine builds it, ~2 min);
#   SVTREE_CONTAINERS_TRANSCRIPT=FILE writes the users' podman commands of the
#   scenarios and what they printed to FILE (the README's Containers section is one);
#   SVTREE_CONTAINERS_KEEP=1 leaves the containers, images and files for a post-mortem.
# Every podman call names --runtime runc (crun fails here: "cgroups in hybrid mode not
# supported") and every container gets raised ulimits (podman's defaults cannot be
# raised in these VMs). Every container and image made here is removed on exit.
set -uo pipefail
build=${1:?usage: $0 STATIC_BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/containers
only=${SVTREE_CONTAINERS_ONLY:-}
cache=${SVTREE_CONTAINERS_CACHE:-/var/tmp/svtree-containers}

passed=0 failed=0 skipped=0
closing() { echo "containers: $passed passed, $failed failed, $skipped skipped"; }
skip_suite() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL containers: the suite is required on CI and cannot run: $1"
    failed=$((failed + 1)); closing; exit 1
  fi
  echo "SKIP containers: $1"
  skipped=$((skipped + 1)); closing; exit 77
}

# --- can an engine run here? ------------------------------------------------------------
for tool in podman runc; do
  command -v "$tool" >/dev/null || skip_suite "no $tool (apt-get install podman runc mmdebstrap catatonit)"
done
[ "$(id -u)" = 0 ] || skip_suite "needs root (rootless podman cannot raise the ulimits here)"
busybox=$(command -v busybox || true)
{ [ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked'; } ||
  skip_suite "no static busybox (apt-get install busybox-static)"
[ -d "$build" ] || skip_suite "no static build at $build"

pm() { podman --runtime runc "$@"; }
limits=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
tag=svtree-ct-$$
work=$(mktemp -d /tmp/svtree-containers.XXXXXX)
containers=() images=() mmdebstrap_pid=
cleanup() {
  local c i
  if [ -n "${SVTREE_CONTAINERS_KEEP:-}" ]; then
    echo "containers: kept (SVTREE_CONTAINERS_KEEP): ${containers[*]} ${images[*]} $work"; return
  fi
  # mmdebstrap runs in a session of its own: its process group goes with it.
  [ -n "$mmdebstrap_pid" ] && kill -- "-$mmdebstrap_pid" 2>/dev/null && wait "$mmdebstrap_pid" 2>/dev/null
  for c in "${containers[@]}"; do pm rm -f -t 0 "$c" >/dev/null 2>&1; done
  for i in "${images[@]}"; do pm rmi -f "$i" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The smallest image there is (a static busybox alone) must run, or no engine runs here.
mkdir -p "$work/probe"
cp "$busybox" "$work/probe/busybox"
tar -C "$work/probe" -cf "$work/probe.tar" busybox
images+=("localhost/$tag-probe")
if ! pm import -q "$work/probe.tar" "localhost/$tag-probe" >"$work/probe.out" 2>&1 ||
   ! pm run --rm "${limits[@]}" --network none "localhost/$tag-probe" /busybox true \
       >"$work/probe.out" 2>&1; then
  skip_suite "podman --runtime runc cannot run a container here: $(tail -1 "$work/probe.out")"
fi

# --- the staged install -----------------------------------------------------------------
stage=$work/stage
if ! meson install -C "$build" --destdir "$stage" --strip --quiet >"$work/install.out" 2>&1; then
  echo "FAIL containers: meson install -C $build failed:"; cat "$work/install.out"
  failed=1; closing; exit 1
fi
read -r prefix bindir < <(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["bindir"])')
bin=$prefix/$bindir
for prog in svscan supervise svctl svlog; do
  if ! file -L "$stage$bin/$prog" | grep -q 'statically linked'; then
    echo "FAIL containers: $stage$bin/$prog is missing or not statically linked (meson setup -Dstatic=true)"
    failed=1; closing; exit 1
  fi
done

# The example tree as git has it (no supervise/ or log files left by a demo run).
clean_copy_of_examples() { # DEST
  cp -a "$top/examples/service" "$1"
  find "$1" -name supervise -prune -exec rm -rf {} +
  find "$1" -path '*/log/main/*' ! -name config -exec rm -rf {} +
}

# --- the Debian base, made in the background while the first scenarios run ------------
debian_tar=$cache/debian-12-minbase.tar
mkdir -p "$cache"
[ -f "$debian_tar" ] || rm -rf "$debian_tar"
wanted() { [[ -z "$only" || "$1" =~ $only ]]; }
if [ ! -s "$debian_tar" ] && { wanted dockerfile-debian || wanted kubernetes-probes; }; then
  command -v mmdebstrap >/dev/null || skip_suite "no mmdebstrap (apt-get install mmdebstrap)"
  # The name ends in .tar: mmdebstrap picks its output format from it.
  setsid sh -c 'mmdebstrap --variant=minbase --mode=root --quiet bookworm "$1.new.tar" &&
      mv "$1.new.tar" "$1.tar"' sh "${debian_tar%.tar}" >"$work/mmdebstrap.out" 2>&1 &
  mmdebstrap_pid=$!
fi

# --- the FROM-scratch image ---------------------------------------------------------------
root=$work/scratch/root
mkdir -p "$root"/{bin,etc,tmp,run,srv/bin,proc,sys,dev}
chmod 1777 "$root/tmp"
cp -a "$stage/." "$root/"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
clean_copy_of_examples "$root/etc/service"
cp -a "$here/trees/." "$root/srv/"
# The read-only root keeps every record in the tmpfs on /run.
ln -s /run/r.supervise "$root/srv/readonly/r/supervise"
ln -s /run/r.log.supervise "$root/srv/readonly/r/log/supervise"
cat >"$root/srv/bin/supervise-pid" <<'EOF'
#!/bin/sh
# The pid of the supervise of service $1 (its argv is exactly "supervise NAME").
for d in /proc/[0-9]*; do
  [ "$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null)" = "supervise $1 " ] && echo "${d#/proc/}"
done
exit 0
EOF
chmod +x "$root/srv/bin/supervise-pid"
cat >"$work/scratch/Containerfile" <<EOF
FROM scratch
COPY root/ /
ENV PATH=$bin:/srv/bin:/bin
CMD ["svscan", "/etc/service"]
HEALTHCHECK --interval=10s --timeout=2s CMD ["svctl", "check"]
EOF
image=localhost/$tag-scratch
images+=("$image")
if ! pm build --format docker -q -t "$image" "$work/scratch" >"$work/build.out" 2>&1; then
  echo "FAIL containers: podman build of the scratch image failed:"; cat "$work/build.out"
  failed=1; closing; exit 1
fi

# --- helpers ------------------------------------------------------------------------------
why=
transcript=${SVTREE_CONTAINERS_TRANSCRIPT:-}
[ -z "$transcript" ] || : >"$transcript"
# record PODMAN-ARGS...: `pm` that also copies the command, as a user types it, and what it
# printed into the transcript.
record() {
  local out rc arg line="\$ podman --runtime runc"
  out=$(pm "$@" 2>&1); rc=$?
  [ -z "$out" ] || printf '%s\n' "$out"
  if [ -n "$transcript" ]; then
    for arg in "$@"; do
      if [[ "$arg" =~ ^[-A-Za-z0-9_./:=,@+]+$ ]]; then line+=" $arg"; else line+=" '$arg'"; fi
    done
    # Without systemd podman complains at every run and stop of a container with a health
    # check that it cannot add a timer (none is wanted: `healthcheck run` probes on demand).
    { echo "$line"; [ -z "$out" ] || printf '%s\n' "$out" | grep -v 'unable to get systemd connection'
      [ $rc = 0 ] || echo "(exit status $rc)"; } >>"$transcript"
  fi
  return $rc
}
# run_ctr NAME PODMAN-RUN-ARGS... : starts a detached container. Timed health checks need
# systemd, which does not run here: `podman healthcheck run` runs one probe on demand.
run_ctr() {
  local name=$tag-$1; shift
  containers+=("$name")
  record run -d --name "$name" "${limits[@]}" "$@" >"$work/run.out" 2>&1 ||
    { why="podman run failed: $(cat "$work/run.out")"; return 1; }
}
ctr() { echo "$tag-$1"; }
# wait_until SECONDS WHAT COMMAND... : polls COMMAND every 0.1 s until it succeeds.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >"$work/last.out" 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      why="not within ${limit}s: $what"
      [ -s "$work/last.out" ] && why+=" (last said: $(tail -3 "$work/last.out" | tr '\n' ' '))"
      return 1
    fi
    sleep 0.1
  done
}
logs() { pm logs "$(ctr "$1")" 2>&1; }
logs_have() { logs "$1" | grep -qF -- "$2"; }
not() { ! "$@"; }
running() { [ "$(pm inspect -f '{{.State.Running}}' "$(ctr "$1")" 2>/dev/null)" = true ]; }
# stop NAME [SECONDS]: `podman stop`; sets stop_ms to its wall time and stop_status.
stop() {
  local t0 t1
  t0=$(date +%s%N)
  record stop -t "${2:-10}" "$(ctr "$1")" >/dev/null 2>&1
  t1=$(date +%s%N)
  stop_ms=$(((t1 - t0) / 1000000))
  stop_status=$(record inspect -f '{{.State.ExitCode}}' "$(ctr "$1")" 2>/dev/null)
}
# The scenarios of one container run in order: example-* share the example tree's
# container, kill9-* the counter's.
status_all() { pm exec "$(ctr "$1")" svctl status; }
all_run() { # NAME SERVICE...: svctl status shows each SERVICE in state run
  local out s
  out=$(status_all "$1") || return 1
  shift
  for s in "$@"; do
    echo "$out" | awk -v s="$s" '$1 == s && $2 == "run" { found = 1 } END { exit !found }' || return 1
  done
}
# quick_stop NAME: the stop did not wait for the 7 s grace time: svscan exited when its
# last child had gone, never sending the grace-time KILL. The wall time (printed by
# the caller) includes podman's own work, seconds on a loaded machine: the bound is
# the grace time, and the log line is what proves it.
quick_stop() {
  [ "$stop_ms" -lt 7000 ] ||
    { why="podman stop took ${stop_ms} ms; the log's end: $(logs "$1" | tail -6 | tr '\n' '|')"; return 1; }
  wait_until 10 "svscan's closing line in the logs" logs_have "$1" "svscan: no child left" || return 1
  ! logs_have "$1" "grace time of" || { why="svscan sent the grace-time KILL: $(logs "$1" | grep 'grace time of')"; return 1; }
}
health() { pm healthcheck run "$(ctr "$1")"; }
health_shown() { record healthcheck run "$(ctr "$1")"; }
owner=
scenario() { # NAME FUNCTION [OWNING ISSUE]
  local name=$1 fn=$2
  owner=${3:-}
  wanted "$name" || return 0
  why=
  if "$fn"; then
    passed=$((passed + 1)); echo "PASS containers/$name"
  else
    failed=$((failed + 1)); echo "FAIL containers/$name: ${why:-(a step failed without saying why: a bug of this script)}"
    [ -n "$owner" ] && echo "     (a known bug owned by issue $owner)"
  fi
  return 0
}

# --- scenarios: the example tree in the scratch image -------------------------------------
t_example_up() {
  # The image's HEALTHCHECK allows a probe 2 s; podman's exec alone can take that on a
  # loaded machine. What is tested here is svctl check's answer, so 10 s.
  run_ctr example --health-timeout 10s "$image" || return 1
  wait_until 30 "report, web, web/log and worker all in state run" all_run example report web web/log worker &&
    record exec "$(ctr example)" svctl status >/dev/null
}
t_example_logs() {
  wait_until 20 "labelled lines from web (through svlog), report and worker in podman logs" \
    example_labelled
}
example_labelled() {
  logs example >"$work/logs.out"
  grep -q ' web: serving ./www' "$work/logs.out" && grep -q '^report: ' "$work/logs.out" &&
    grep -q '^worker: started' "$work/logs.out" && record logs "$(ctr example)" >/dev/null
}
t_example_json() {
  local json
  json=$(record exec "$(ctr example)" svctl status --json) || { why="svctl status --json failed"; return 1; }
  echo "$json" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
names = sorted(r["name"] for r in rows)
assert names == ["init", "report", "web", "worker"], names
web = [r for r in rows if r["name"] == "web"][0]
assert web["log"]["name"] == "web/log", web
assert all(r["supervised"] for r in rows), rows' 2>"$work/json.err" ||
    { why="unexpected JSON: $(tail -1 "$work/json.err")"; return 1; }
}
t_example_healthy() {
  # The example tree stays healthy, and stays so across a crash of its worker (told to
  # crash half-way with `svctl 1 worker`: it lived past min-uptime, so it is restarted at
  # once). Three probes through podman, then the probe's command every 0.1 s for 10 s
  # inside the container (podman's exec is too slow to look that often). A single probe may
  # land in the few milliseconds between the crash and the restart; what a user sees is
  # Docker's and podman's rule, unhealthy after 3 failed probes in a row (HEALTHCHECK
  # --retries, default 3), so that is what fails the scenario.
  local i
  for i in 1 2 3; do
    health_shown example >"$work/health.out" 2>&1 && break
    [ "$i" = 3 ] && { why="3 probes in a row said: $(tr '\n' ' ' <"$work/health.out")"; return 1; }
  done
  pm exec "$(ctr example)" sh -c '
    i=0 failed=0
    while [ $i -lt 100 ]; do
      if svctl check >/tmp/check.out 2>&1; then
        failed=0
      else
        failed=$((failed + 1))
        [ $failed -lt 3 ] || { echo "3 failed probes in a row, the last after $i:"; cat /tmp/check.out; exit 1; }
      fi
      [ $i = 50 ] && svctl 1 worker >/dev/null
      i=$((i + 1)); usleep 100000
    done' >"$work/health.out" 2>&1 ||
    { why="svctl check failed $(grep -v '^ok:' "$work/health.out" | tr '\n' ' ')"; return 1; }
}
web_down() { pm exec "$(ctr example)" svctl status web | grep -q '^down: web:'; }
t_example_unhealthy() {
  # web fails: its run is no longer executable and httpd dies, so web is down while it
  # is wanted up. The probe says so; it is healthy again once run is back.
  local c
  c=$(ctr example)
  record exec "$c" sh -c 'chmod -x /etc/service/web/run && kill -9 $(cat /etc/service/web/supervise/pid)' ||
    { why="could not break web"; return 1; }
  wait_until 10 "web down" web_down || return 1
  record exec "$c" svctl status web >/dev/null
  if health_shown example >"$work/health.out" 2>&1; then
    why="the probe passed with web down: $(cat "$work/health.out")"; return 1
  fi
  grep -q unhealthy "$work/health.out" || { why="probe output: $(cat "$work/health.out")"; return 1; }
  record exec "$c" chmod +x /etc/service/web/run
  wait_until 20 "healthy again once web/run is executable" health_shown example
}
t_example_stop() {
  stop example
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0"; return 1; }
  quick_stop example || return 1
  wait_until 10 "svscan's closing line in the logs" \
    logs_have example "svscan: no child left: exiting with status 0"
}

# --- scan mode: every TERM handler runs, and quickly -------------------------------------
# conmon may still be writing the container's log when `podman stop` returns: wait for it.
term_lines_in_logs() { # NAME SERVICE...
  local name=$1 s; shift
  for s in "$@"; do
    wait_until 10 "'$s: got TERM' in the logs" logs_have "$name" "$s: got TERM" || return 1
  done
}
three_up() { [ "$(logs term | grep -c '[abc]: up$')" = 3 ]; }
t_term() {
  run_ctr term --no-healthcheck -e SVDIR=/srv/term "$image" svscan /srv/term || return 1
  wait_until 30 "a, b, c, c/log in state run" all_run term a b c c/log || return 1
  wait_until 10 "a, b and c said 'up' (c through its logger)" three_up || return 1
  stop term
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0"; return 1; }
  quick_stop term || return 1
  term_lines_in_logs term a b c && record logs "$(ctr term)" >/dev/null
}

# --- main-command mode: the container's status is the main command's ---------------------
t_main_killed() {
  run_ctr main143 --no-healthcheck -e SVDIR=/srv/term "$image" svscan /srv/term -- sleep 1000 || return 1
  wait_until 30 "services up" all_run main143 a b c c/log || return 1
  stop main143
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 143 ] || { why="exit status $stop_status, not 143 (sleep killed by TERM)"; return 1; }
  term_lines_in_logs main143 a b c
}
t_main_traps() {
  run_ctr main3 --no-healthcheck -e SVDIR=/srv/term "$image" svscan /srv/term -- \
    sh -c 'trap "echo main: got TERM; exit 3" TERM; echo main: up; while :; do sleep 1000 & wait $!; done' ||
    return 1
  wait_until 30 "main said up" logs_have main3 "main: up" || return 1
  wait_until 30 "services up" all_run main3 a b c c/log || return 1
  stop main3
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 3 ] || { why="exit status $stop_status, not 3 (main trapped TERM and exited 3)"; return 1; }
  term_lines_in_logs main3 main a b c
}

# --- a service ignoring TERM is killed at the grace time ----------------------------------
t_stubborn() {
  run_ctr stubborn --no-healthcheck -e SVDIR=/srv/stubborn "$image" svscan -g 2000 /srv/stubborn || return 1
  wait_until 30 "s and t in state run" all_run stubborn s t || return 1
  wait_until 10 "s said up" logs_have stubborn "s: up, ignoring TERM" || return 1
  stop stubborn 10
  echo "     podman stop took ${stop_ms} ms (grace time 2000 ms), exit status $stop_status"
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0 (a kill at the grace time does not change it)"; return 1; }
  [ "$stop_ms" -ge 2000 ] || { why="stopped after ${stop_ms} ms, before the grace time"; return 1; }
  # podman's own SIGKILL would come at 10 s and give 137; svscan's comes at 2 s and is
  # logged (below).
  term_lines_in_logs stubborn t || return 1
  logs stubborn | grep -i 'kill' | grep -q . || { why="svscan did not log its SIGKILL"; return 1; }
  echo "     $(logs stubborn | grep -i 'kill' | head -1)"
}

# --- kill -9 of a service, its logger and its supervise -----------------------------------
counter_pid() { pm exec "$(ctr counter)" cat "/srv/counter/$1/supervise/pid"; }
supervise_pid() { pm exec "$(ctr counter)" supervise-pid "$1"; }
# Every line n's logger wrote, oldest first: a restarted svlog renames the current file it
# finds to @TAI64N.u (DESIGN.md §4), and those names sort in time order.
counter_lines() {
  local f
  for f in "$work"/counter-log/@* "$work/counter-log/current"; do
    [ -f "$f" ] && cat "$f"
  done
  return 0
}
new_run_logs() { counter_lines | grep -q "^$1 "; }
# log_grows: the log gained a line since the last call.
log_size=0
log_grows() {
  local n
  n=$(counter_lines | wc -l)
  [ "$n" -gt "$log_size" ] && log_size=$n
}
changed() { # FUNCTION ARG OLD: FUNCTION ARG prints a pid other than OLD
  local p
  p=$("$1" "$2") && [ -n "$p" ] && [ "$p" != "$3" ]
}
kill9() { pm exec "$(ctr counter)" kill -9 "$1"; }
t_counter_up() {
  mkdir -p "$work/counter-log"
  run_ctr counter --no-healthcheck -e SVDIR=/srv/counter -v "$work/counter-log:/srv/counter/n/log/main" \
    "$image" svscan /srv/counter || return 1
  wait_until 30 "n and n/log in state run" all_run counter n n/log || return 1
  wait_until 10 "numbered lines in n/log/main/current" log_grows
}
t_kill_service() {
  local old new
  old=$(counter_pid n) && kill9 "$old" || { why="could not kill n"; return 1; }
  wait_until 20 "n restarted" changed counter_pid n "$old" || return 1
  new=$(counter_pid n)
  wait_until 10 "the new run ($new) logs" new_run_logs "$new"
}
t_kill_logger() {
  local old
  old=$(counter_pid n/log) && kill9 "$old" || { why="could not kill n's logger"; return 1; }
  wait_until 20 "logger restarted" changed counter_pid n/log "$old" || return 1
  wait_until 10 "the log grows again" log_grows
}
adopted_run() { logs counter | grep -F "event=adopt" | grep -qF "pid=$1"; }
t_kill_supervise() {
  # n's run has changed its cwd to /tmp: the new supervise must adopt it all the same.
  local sv run
  sv=$(supervise_pid n) && run=$(counter_pid n) && [ -n "$sv" ] && [ -n "$run" ] ||
    { why="no supervise n or no run pid"; return 1; }
  record exec "$(ctr counter)" svctl status n >/dev/null
  record exec "$(ctr counter)" kill -9 "$sv" || { why="could not kill supervise n"; return 1; }
  wait_until 20 "a new supervise n" changed supervise_pid n "$sv" || return 1
  wait_until 10 "svctl status n answers" pm exec "$(ctr counter)" svctl status n || return 1
  # The new supervise says it adopted the run (supervise(8), event=adopt) once its record
  # names it: a second copy it started instead would name its own pid.
  wait_until 10 "the new supervise n adopted run $run" adopted_run "$run" || return 1
  local now
  record exec "$(ctr counter)" svctl status n >/dev/null
  now=$(counter_pid n)
  [ "$now" = "$run" ] || { why="run pid $run replaced by $now: not adopted"; return 1; }
  wait_until 10 "the log grows again" log_grows
}
t_counter_lines() {
  # After the stop: two runs (the first killed, the second stopped by TERM), each run's
  # lines numbered 1.. without a gap or a repeat, the runs one after the other (a second
  # copy would interleave). The one gap allowed is at the logger's SIGKILL: what svlog had
  # read and not yet written (DESIGN.md §4).
  stop counter
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0"; return 1; }
  counter_lines >"$work/counter.lines"
  python3 - "$work/counter.lines" >"$work/lines.out" 2>&1 <<'EOF'
import sys
runs, order, gaps = {}, [], []
for line in open(sys.argv[1]):
    run, n = line.split()
    if run not in runs:
        if order and run in order:
            sys.exit(f"run {run} interleaves with another run: two copies ran at once")
        runs[run] = []
        order.append(run)
    elif order[-1] != run:
        sys.exit(f"run {run} logs again after run {order[-1]}: two copies ran at once")
    runs[run].append(n)
if len(order) != 2:
    sys.exit(f"{len(order)} runs logged ({' '.join(order)}), expected 2: a duplicate or no restart")
for run in order:
    ns = runs[run]
    last = ns[-1] == "TERM"
    nums = [int(x) for x in (ns[:-1] if last else ns)]
    if nums[0] != 1:
        sys.exit(f"run {run} starts at line {nums[0]}")
    for a, b in zip(nums, nums[1:]):
        if b == a:
            sys.exit(f"run {run}: line {a} twice")
        if b != a + 1:
            gaps.append(f"run {run}: lines {a + 1}..{b - 1} missing")
if runs[order[-1]][-1] != "TERM":
    sys.exit("the last run's TERM line is missing")
if len(gaps) > 1:
    sys.exit("; ".join(gaps))
print(f"{sum(len(v) for v in runs.values())} lines from 2 runs" +
      (f"; at the logger's kill: {gaps[0]}" if gaps else "; no line lost"))
EOF
  local rc=$?
  echo "     $(tail -1 "$work/lines.out")"
  [ $rc = 0 ] || { why=$(tail -1 "$work/lines.out"); return 1; }
}

# --- read-only root, /run a tmpfs, a non-root user ----------------------------------------
t_readonly() {
  run_ctr readonly --no-healthcheck --read-only --tmpfs /run:rw,U --user 1000:1000 -e SVDIR=/srv/readonly \
    "$image" svscan /srv/readonly || return 1
  wait_until 30 "r and r/log in state run as uid 1000" all_run readonly r r/log || return 1
  wait_until 10 "r says it runs as uid 1000 (through its logger)" logs_have readonly "r: up as uid 1000" ||
    return 1
  pm exec "$(ctr readonly)" svctl check >"$work/check.out" 2>&1 ||
    { why="svctl check: $(cat "$work/check.out")"; return 1; }
  stop readonly
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0: $(logs readonly | tail -3)"; return 1; }
  wait_until 10 "r's TERM line in the logs" logs_have readonly "r: got TERM as uid 1000"
}

# --- an init in front of svscan (podman run --init: catatonit) -----------------------------
t_init() {
  run_ctr init --no-healthcheck --init -e SVDIR=/srv/term "$image" svscan /srv/term || return 1
  wait_until 30 "a, b, c, c/log in state run" all_run init a b c c/log || return 1
  local comm
  comm=$(pm exec "$(ctr init)" cat /proc/1/comm)
  [ "$comm" != svscan ] || { why="svscan is PID 1: --init did not put an init in front"; return 1; }
  echo "     PID 1 is $comm; svscan is its child"
  stop init
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0"; return 1; }
  quick_stop init || return 1
  term_lines_in_logs init a b c
}

# --- an essential service's exit ends the container with its status ----------------------
t_essential() {
  run_ctr essential --no-healthcheck -e SVDIR=/srv/essential "$image" svscan /srv/essential || return 1
  wait_until 30 "the container exits after app exits 7" not running essential || return 1
  local status
  status=$(record inspect -f '{{.State.ExitCode}}' "$(ctr essential)")
  [ "$status" = 7 ] || { why="exit status $status, not 7: $(logs essential | tail -3 | tr '\n' ' ')"; return 1; }
  wait_until 10 "app's last line in the logs" logs_have essential "app: exiting 7" &&
    term_lines_in_logs essential other
}

# --- the two Dockerfiles, and the Pod's probes ---------------------------------------------
context=$work/context
make_context() {
  [ -d "$context" ] && return 0
  mkdir -p "$context/stage/usr/bin" "$context/examples"
  cp -a "$stage$bin/." "$context/stage/usr/bin/"
  # The Dockerfiles install into /usr/bin whatever the build's bindir was: a link to an
  # absolute path in that bindir (a multi-call binary's names) must point beside itself.
  local link target
  for link in "$context"/stage/usr/bin/*; do
    [ -L "$link" ] || continue
    target=$(readlink "$link")
    [[ "$target" == "$bin"/* ]] && ln -sfn "${target#"$bin"/}" "$link"
  done
  clean_copy_of_examples "$context/examples/service"
  cp "$top/.dockerignore" "$context/"
}
# dockerfile_image NAME FILE BASE: podman build of examples/docker/FILE on BASE.
dockerfile_image() {
  make_context
  images+=("localhost/$tag-$1")
  record build --format docker -q --pull=never "${limits[@]}" --build-arg "BASE=$3" \
    -f "$top/examples/docker/$2" -t "localhost/$tag-$1" "$context" >"$work/build-$1.out" 2>&1 ||
    { why="podman build -f examples/docker/$2 failed: $(tail -3 "$work/build-$1.out")"; return 1; }
}
# A Dockerfile's image: its ENTRYPOINT brings the example tree up, its HEALTHCHECK passes,
# stop exits 0.
dockerfile_runs() { # NAME [PODMAN-RUN-OPTION...]
  run_ctr "$1" "${@:2}" "localhost/$tag-$1" || return 1
  wait_until 30 "report, web, web/log and worker all in state run" all_run "$1" report web web/log worker || return 1
  wait_until 20 "web serves (its check passes)" pm exec "$(ctr "$1")" svctl check web || return 1
  record exec "$(ctr "$1")" svctl status >/dev/null
  # The probe is the whole tree's: wait for a passing one (the example worker's restarts
  # can make one fail: example-healthy is the test of that, issue 13).
  wait_until 20 "the HEALTHCHECK passes" health_shown "$1"
}
# runs_as NAME SERVICE UID: SERVICE's run has that uid, from /proc (the `user` knob,
# issue 16: the Dockerfiles run services as non-root with a user file each).
runs_as() {
  # The pid as svctl reads it: supervise/ may be in svscan's state directory (read-only).
  pm exec "$(ctr "$1")" sh -c 'pid=$(svctl status "$1" | sed -n "s/^run: [^:]*: (pid \([0-9]*\)).*/\1/p") &&
    [ -n "$pid" ] && grep -q "^Uid:[[:space:]]*$2[[:space:]]" "/proc/$pid/status"' sh "$2" "$3"
}
dockerfile_stops() {
  running "$1" || { why="the container is not running"; return 1; }
  stop "$1"
  echo "     podman stop took ${stop_ms} ms, exit status $stop_status"
  [ "$stop_status" = 0 ] || { why="exit status $stop_status, not 0"; return 1; }
}
t_alpine() {
  # The stand-in for alpine:3.20: a root of a static busybox and its applets, /etc and
  # /tmp. It shows the Dockerfile's stage works on a busybox userland with no glibc.
  local sroot=$work/alpine-standin
  mkdir -p "$sroot"/{bin,etc,tmp,run,root}
  chmod 1777 "$sroot/tmp"
  cp "$busybox" "$sroot/bin/busybox"
  for applet in $("$busybox" --list); do [ -e "$sroot/bin/$applet" ] || ln -s busybox "$sroot/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$sroot/etc/passwd"
  printf 'root:x:0:\n' >"$sroot/etc/group"
  tar -C "$sroot" -cf "$work/alpine-standin.tar" .
  images+=("localhost/$tag-alpine-standin:3.20")
  record import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$work/alpine-standin.tar" "localhost/$tag-alpine-standin:3.20" >/dev/null ||
    { why="podman import of the stand-in failed"; return 1; }
  dockerfile_image alpine Dockerfile.alpine "localhost/$tag-alpine-standin:3.20" || return 1
  # Read-only with a tmpfs /run and nothing prepared per service (issue 16): every
  # supervise/ goes to svscan's state directory in /run, web's log to /run/log/web.
  dockerfile_runs alpine --read-only --tmpfs /run || return 1
  wait_until 10 "report runs as uid 65534 (its user file)" runs_as alpine report 65534 || return 1
  dockerfile_stops alpine
}
t_debian() {
  if [ -n "$mmdebstrap_pid" ]; then
    wait "$mmdebstrap_pid"; echo "     mmdebstrap: exit status $?"; mmdebstrap_pid=
  fi
  [ -s "$debian_tar" ] || { why="mmdebstrap failed: $(tail -3 "$work/mmdebstrap.out" 2>/dev/null)"; return 1; }
  images+=("localhost/$tag-debian:12-slim")
  record import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$debian_tar" "localhost/$tag-debian:12-slim" >/dev/null ||
    { why="podman import of the Debian base failed"; return 1; }
  dockerfile_image debian Dockerfile.debian "localhost/$tag-debian:12-slim" || return 1
  dockerfile_runs debian || return 1
  wait_until 10 "web runs as www-data (uid 33), its user file" runs_as debian web 33 || return 1
  wait_until 10 "report runs as nobody (uid 65534), its user file" runs_as debian report 65534
}
t_pod_probes() {
  # examples/kubernetes/pod.yaml: each exec probe's command, run in the container made
  # from Dockerfile.debian as the kubelet runs it, passes within its timeoutSeconds; the
  # grace period leaves svscan's 7 s grace time room.
  running debian || { why="the Debian container is not running"; return 1; }
  python3 - "$top/examples/kubernetes/pod.yaml" >"$work/probes" 2>"$work/probes.err" <<'EOF' ||
import shlex, sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
assert pod["spec"]["terminationGracePeriodSeconds"] > 7, "grace period not above svscan's 7 s"
for c in pod["spec"]["containers"]:
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(kind)
        if probe:
            print(kind, probe.get("timeoutSeconds", 1), shlex.join(probe["exec"]["command"]))
EOF
    { why="pod.yaml: $(tail -1 "$work/probes.err")"; return 1; }
  [ -s "$work/probes" ] || { why="no exec probe in pod.yaml"; return 1; }
  local kind timeout cmd
  while read -r kind timeout cmd; do
    eval "set -- $cmd"
    # The timeout bounds the command in the container (coreutils' timeout, in the image),
    # not podman's own start-up, which a loaded CI machine can make slow.
    if ! record exec "$(ctr debian)" timeout "$timeout" "$@" >"$work/probe.out" 2>&1; then
      why="$kind ($cmd) failed or took over ${timeout}s: $(cat "$work/probe.out")"; return 1
    fi
    echo "     $kind: $cmd -> exit 0"
  done <"$work/probes"
}
t_debian_stop() { dockerfile_stops debian; }

echo "containers: podman $(podman --version | awk '{print $3}'), runc $(runc --version | awk 'NR == 1 {print $3}'); binaries from $build ($bin)"
scenario example-tree-up t_example_up
scenario example-logs-labelled t_example_logs
scenario example-status-json t_example_json
scenario example-healthy t_example_healthy "#13 (health flapping of examples/service/worker)"
scenario example-unhealthy-when-web-fails t_example_unhealthy
scenario example-stop t_example_stop
scenario stop-runs-every-term-handler t_term
scenario main-command-killed-by-term t_main_killed "#11 (main-command mode)"
scenario main-command-traps-term t_main_traps "#11 (main-command mode)"
scenario term-ignored-killed-at-grace t_stubborn
scenario kill9-tree-up t_counter_up
scenario kill9-service t_kill_service
scenario kill9-logger t_kill_logger
scenario kill9-supervise-cwd-changed t_kill_supervise "#10 (adoption of a run that changed its cwd)"
scenario kill9-no-line-lost-no-duplicate t_counter_lines "#10 (adoption of a run that changed its cwd)"
scenario read-only-user-1000 t_readonly
scenario init-in-front t_init
scenario essential-exit-code t_essential
scenario dockerfile-alpine t_alpine
scenario dockerfile-debian t_debian
scenario kubernetes-probes t_pod_probes "#13 (health flapping of examples/service/worker), if a probe said 'fail: worker'"
scenario dockerfile-debian-stop t_debian_stop
closing
[ "$failed" = 0 ]
