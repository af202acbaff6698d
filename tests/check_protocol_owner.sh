#!/bin/sh
# SPDX-License-Identifier: MIT
# "No protocol twin": supervise/'s bytes and FIFOs have one owner, lib's protocol module
# (lib/src/supervise_protocol.cpp). Each check below names a twin the programs once had;
# it fails when one comes back. Usage: check_protocol_owner.sh SOURCE_ROOT
set -u
root=${1:?usage: check_protocol_owner.sh SOURCE_ROOT}
cd "$root" || exit 1
programs="lib supervise svscan svctl svlog"
module=lib/src/supervise_protocol.cpp
failed=0

check() {  # check DESCRIPTION MATCHES
  if [ -n "$2" ]; then
    printf 'protocol twin: %s\n%s\n\n' "$1" "$2"
    failed=1
  fi
}

sources() { find $programs -name '*.cpp' -o -name '*.hpp' | grep -v "^$module\$"; }

# code FILE... : prints FILE:LINE: TEXT for lines whose code (comments stripped) matches $re.
code() {
  awk -v re="$re" '{ line = $0; sub(/\/\/.*/, "", line); if (line ~ re) print FILENAME ":" FNR ": " $0 }' "$@"
}

check "a path into supervise/ built outside the module (status, control, ok, lock, stat, pid)" \
  "$(re='"[^"]*supervise/(status|control|ok|lock|stat|pid)([.]new|[.]svtree)?"'; code $(sources))"
check "the status record decoded outside the module" \
  "$(re='StatusRecord::unpack'; code $(sources | grep -v '^lib/src/status_record.cpp$'))"
check "raw control strings in svctl (send Commands, encoded by lib's control table)" \
  "$(re='control[(]"|send_control[(]|"(tcu|tc)"'; code svctl/*.cpp svctl/*.hpp)"
check "a non-blocking write open (ok probe or control write) outside the module" \
  "$(re='O_WRONLY *[|] *O_NONBLOCK'; code svctl/*.cpp svscan/*.cpp supervise/*.cpp)"
check "the service directory reached through /proc/self/fd, or messages rewritten" \
  "$(re='/proc/self/fd|replace_all'; code supervise/*.cpp supervise/*.hpp)"
check "adoption by working directory (identity is pid + start time)" \
  "$(re='"/cwd"|is_orphaned_service'; code lib/src/*.cpp lib/include/svtree/*.hpp supervise/*.cpp)"
check "a control letter turned back into a string inside supervise (SIGTERM is an event)" \
  "$(re='on_control_bytes|on_command[(].x.[)]'; code supervise/*.cpp supervise/*.hpp)"

[ "$failed" -eq 0 ] && echo "protocol owner: one module, no twin"
exit "$failed"
