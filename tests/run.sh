#!/bin/sh
# The README's test command: installs what the suites need (Debian packages, with apt),
# builds in ./build, and runs every suite. Extra arguments go to `meson test`
# (e.g. --suite unit). A suite whose peer tools are missing, or whose namespaces are
# not permitted, is skipped with its reason printed.
set -eu
cd "$(dirname "$0")/.."

tools/ensure-debian-packages meson ninja-build g++ pkg-config libev-dev libgtest-dev \
  runit daemontools s6 busybox-static util-linux procps file tini dumb-init

[ -d build ] || meson setup build
meson test -C build --print-errorlogs "$@"
