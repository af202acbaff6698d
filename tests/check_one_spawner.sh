#!/bin/sh
# SPDX-License-Identifier: MIT
# "One spawn path" (issue #10): every program svtree starts goes through lib's spawner
# (lib/src/spawner.cpp: fork + exec, allocation-free child, exec failure as an event).
# Fails when any other C or C++ file calls fork, vfork, clone, posix_spawn, an exec
# function, system or popen itself. Usage: check_one_spawner.sh SOURCE_ROOT
set -u
root=${1:?usage: check_one_spawner.sh SOURCE_ROOT}
cd "$root" || exit 1

# FILE  reason. The only files allowed to start a process themselves.
allowed='
lib/src/spawner.cpp              the spawner itself
tests/maincmd/sigconf.cpp        a test helper whose whole job is to exec its arguments with a signal state it set (tini'"'"'s sigconf)
tests/maincmd/maincmd_test.cpp   OnPty: a child that opens a pty as its controlling terminal (setsid, then open), which the spawner does not offer
bench/svscan_helper.c            a stand-alone C benchmark harness, built without lib, that starts each supervisor it times
'

# Calls, not mentions: a name followed by "(", in code with // comments stripped.
re='(^|[^A-Za-z0-9_.>])(fork|vfork|clone|clone3|posix_spawnp?|exec[lv][pe]*|fexecve|system|popen)[ 	]*[(]'

files=$(for dir in lib supervise svscan svctl svlog multicall tests bench; do
  [ -d "$dir" ] && find "$dir" \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) -print
done | sort)
[ -n "$files" ] || { echo "no source files under $root"; exit 1; }

failed=0
for file in $files; do  # our paths hold no blanks
  if printf '%s\n' "$allowed" | awk -v f="$file" '$1 == f { found = 1 } END { exit !found }'; then
    continue
  fi
  hits=$(awk -v re="$re" '{ line = $0; sub(/\/\/.*/, "", line); if (line ~ re) print FILENAME ":" FNR ": " $0 }' "$file")
  if [ -n "$hits" ]; then
    printf '%s\n' "$hits"
    failed=1
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "a process started outside lib's spawner: use svtree::spawn (svtree/spawner.hpp), or add the file to the allow-list in $0 with the reason"
  exit 1
fi
echo "one spawner: every process starts in lib/src/spawner.cpp"
