#!/bin/sh
# The README's test command: installs what the suites need (Debian packages, with apt),
# builds in ./build, and runs every suite. Extra arguments go to `meson test`
# (e.g. --suite unit). A suite whose peer tools are missing, or whose namespaces are
# not permitted, is skipped with its reason printed. SVTREE_SETUP_OPTIONS is given to
# `meson setup` when ./build does not exist yet (.ci/run sets ./build up itself first, with
# -Dwerror=true --buildtype=debug, so that its ASan build can start beside the tests).
set -eu
cd "$(dirname "$0")/.."

tools/ensure-debian-packages meson ninja-build g++ pkg-config libev-dev libgtest-dev \
  runit daemontools s6 busybox-static util-linux procps file tini dumb-init

# shellcheck disable=SC2086  # the options are words
[ -d build ] || meson setup build ${SVTREE_SETUP_OPTIONS:-}
meson test -C build --print-errorlogs "$@"
