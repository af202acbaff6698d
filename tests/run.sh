#!/bin/sh
# The README's test command: installs what the suites need (Debian packages, with apt),
# builds in ./build, and runs every suite. Extra arguments go to `meson test`
# (e.g. --suite unit). A suite whose peer tools are missing, or whose namespaces are
# not permitted, is skipped with its reason printed.
set -eu
cd "$(dirname "$0")/.."

need=""
for pkg in meson ninja-build g++ pkg-config libev-dev libgtest-dev runit daemontools s6 \
           busybox-static util-linux procps file; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need="$need $pkg"
done
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "tests: installing$need"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

[ -d build ] || meson setup build
meson test -C build --print-errorlogs "$@"
