#!/bin/bash
# The "empty image" proof (issue 6): the fully static svtree (svscan, supervise, svctl, svlog),
# plus a static busybox for the run scripts, in a root directory that holds nothing else,
# as PID 1 of a fresh PID + mount namespace. Two services (one with an svlog logger) come
# up; SIGTERM shuts the tree down; svscan exits 0 and the logger kept every line.
# Usage: tests/scratch/scratch_test.sh STATIC_BUILD_DIR
set -euo pipefail
build=${1:?usage: $0 STATIC_BUILD_DIR}
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "SKIP scratch: no static busybox (apt-get install busybox-static)"; exit 0
fi
if ! unshare --pid --fork --mount true 2>/dev/null; then
  echo "SKIP scratch: unshare --pid --mount not permitted here"; exit 0
fi

root=$(mktemp -d /tmp/svtree-scratch.XXXXXX)
cleanup() { [ -n "${ns_pid:-}" ] && kill -KILL "$ns_pid" 2>/dev/null; rm -rf "$root"; }
trap cleanup EXIT
mkdir -p "$root"/{bin,proc,tmp,etc/service/ticker,etc/service/echo/log}
# One multi-call binary, linked under the four names as `meson install` does.
exe="$build/multicall/svtree"
if ! file "$exe" | grep -q 'statically linked'; then
  echo "FAIL scratch: $exe is not statically linked"; exit 1
fi
cp "$exe" "$root/bin/svtree"
for b in svscan supervise svctl svlog; do ln -s svtree "$root/bin/$b"; done
cp "$busybox" "$root/bin/busybox"
for applet in sh sleep echo cat env; do ln -s busybox "$root/bin/$applet"; done

cat > "$root/etc/service/ticker/run" <<'RUN'
#!/bin/sh
exec sleep 1000
RUN
cat > "$root/etc/service/echo/run" <<'RUN'
#!/bin/sh
trap 'echo "echo: got TERM"; exit 0' TERM
echo "echo: up"
while :; do sleep 1; done
RUN
cat > "$root/etc/service/echo/log/run" <<'RUN'
#!/bin/sh
exec svlog ./main
RUN
mkdir -p "$root/etc/service/echo/log/main"
chmod +x "$root"/etc/service/*/run "$root"/etc/service/*/log/run

# Nothing from the host is visible inside: / is $root, /proc is the namespace's own.
unshare --pid --fork --mount --root="$root" --mount-proc \
  env -i PATH=/bin /bin/svscan -g 3000 /etc/service >"$root/tmp/svscan.out" 2>&1 &
ns_pid=$!

deadline=$((SECONDS + 30))
until grep -qs '^run' "$root/etc/service/ticker/supervise/stat" &&
      grep -qs '^run' "$root/etc/service/echo/supervise/stat" &&
      grep -qs 'echo: up' "$root/etc/service/echo/log/main/current"; do
  if [ $SECONDS -ge $deadline ]; then
    echo "FAIL scratch: services did not come up"; cat "$root/tmp/svscan.out"; exit 1
  fi
  sleep 0.1
done

# svscan is the child of unshare (the namespace's PID 1); TERM it as `docker stop` would.
svscan_pid=$(pgrep -P "$ns_pid" -x svscan || true)
[ -n "$svscan_pid" ] || { echo "FAIL scratch: no svscan under unshare"; exit 1; }
kill -TERM "$svscan_pid"
status=0
wait "$ns_pid" || status=$?
ns_pid=
if [ "$status" -ne 0 ]; then
  echo "FAIL scratch: svscan exited $status"; cat "$root/tmp/svscan.out"; exit 1
fi
if ! grep -q 'echo: got TERM' "$root"/etc/service/echo/log/main/current; then
  echo "FAIL scratch: the TERM handler's line is not in the log"; exit 1
fi
echo "PASS scratch: static svtree ran as PID 1 in an empty root and shut down cleanly"
