#!/bin/sh
# SPDX-License-Identifier: MIT
# "One signal ledger" (issue #18): a spawned child resets only the dispositions lib's
# spawner knows this process changed (svtree/spawner.hpp, note_signal_disposition), so a
# handler installed behind its back could run in a child before exec, and a SIG_IGN could
# reach a service. Fails when a C++ file of the programs sets a disposition (sigaction with
# a new action, signal) without calling note_signal_disposition in the same file.
# Usage: check_signal_ledger.sh SOURCE_ROOT
set -u
root=${1:?usage: check_signal_ledger.sh SOURCE_ROOT}
cd "$root" || exit 1

# FILE  reason. Files allowed to set dispositions without the ledger.
allowed='
lib/src/spawner.cpp   the forked child itself, which applies the ledger before exec
'

# A sigaction whose second argument is not nullptr, or a signal() call; // comments stripped.
re='(^|[^A-Za-z0-9_])(sigaction[ 	]*[(][^,]*,[ 	]*[^n ]|signal[ 	]*[(])'

files=$(for dir in lib supervise svscan svctl svlog multicall; do
  [ -d "$dir" ] && find "$dir" \( -name '*.cpp' -o -name '*.hpp' \) -print
done | sort)
[ -n "$files" ] || { echo "no source files under $root"; exit 1; }

failed=0
for file in $files; do  # our paths hold no blanks
  if printf '%s\n' "$allowed" | awk -v f="$file" '$1 == f { found = 1 } END { exit !found }'; then
    continue
  fi
  hits=$(awk -v re="$re" '{ line = $0; sub(/\/\/.*/, "", line); if (line ~ re) print FILENAME ":" FNR ": " $0 }' "$file")
  if [ -n "$hits" ] && ! grep -q 'note_signal_disposition(' "$file"; then
    printf '%s\n' "$hits"
    failed=1
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "a signal disposition set without svtree::note_signal_disposition (svtree/spawner.hpp): call it right after, or children may start with a wrong disposition"
  exit 1
fi
echo "signal ledger: every disposition svtree sets is noted for the spawner"
