#!/bin/sh
# The main job of the README: build svtree, install it into a staging root, and run svscan
# in the foreground on a copy of the bundled example tree. Ctrl-C shuts everything down.
# Works on a fresh Debian 12 machine: it installs what it needs (root, or sudo).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
stage=${SVTREE_DEMO_DIR:-/tmp/svtree-demo}

"$top/tools/ensure-debian-packages" meson ninja-build g++ libev-dev busybox-static

# Fully static binaries, as the container images use them; installed under $stage/root
# (never into /: daemontools owns /usr/bin/svscan and /usr/bin/supervise there).
[ -d "$top/build-demo" ] || meson setup "$top/build-demo" "$top" -Dstatic=true -Dtests=false \
  --prefix=/usr >/dev/null
ninja -C "$top/build-demo" >/dev/null
rm -rf "$stage"
meson install -C "$top/build-demo" --destdir "$stage/root" --quiet >/dev/null

cp -R "$top/examples/service" "$stage/service"
echo "demo: svscan $stage/service  (Ctrl-C stops it)"
echo "demo: from another terminal:  SVDIR=$stage/service $stage/root/usr/bin/svctl status"
PATH="$stage/root/usr/bin:$PATH"
export PATH
exec svscan "$stage/service"
