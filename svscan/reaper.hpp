// SPDX-License-Identifier: MIT
// Reaper: PID 1 duties — orphans come to us, we know when no child is left, and we signal
// our own descendants and nothing else (DESIGN.md §5).
#pragma once

#include <sys/types.h>

#include <span>
#include <vector>

#include "svtree/result.hpp"

namespace svtree::svscan {

/// Makes orphans of our descendants our children: nothing to do as PID 1, else
/// PR_SET_CHILD_SUBREAPER. Returns whether we are PID 1 of our PID namespace.
Result<bool> become_reaper();

/// True while we have at least one child, exited or not (waitid WNOWAIT: reaps nothing).
[[nodiscard]] bool have_children();

/// Does /proc show our own PID namespace (/proc/self is our pid)?
[[nodiscard]] bool proc_is_ours();

/// Every live descendant of `root` read from /proc (empty when /proc is not ours), minus the subtrees rooted at the pids
/// in `spared`. Zombies are left out (they are reaped, not signalled).
std::vector<pid_t> list_descendants(pid_t root, std::span<const pid_t> spared);

/// Sends signo to every descendant of ours except the `spared` subtrees; as PID 1 with
/// nothing spared, one kill(-1). Returns how many processes were signalled (-1 = all).
int signal_descendants(bool pid1, int signo, std::span<const pid_t> spared);

}  // namespace svtree::svscan
