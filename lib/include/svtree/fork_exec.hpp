// SPDX-License-Identifier: MIT
// fork_exec_process: start a program without waiting for its exec (runsv's fork + exec).
#pragma once

#include <sys/types.h>

#include <string>

#include "svtree/result.hpp"
#include "svtree/spawn.hpp"

namespace svtree {

/// Starts request like spawn_process (same cwd, session, fd map, clean signal state) but
/// returns as soon as the child exists, without waiting for its exec: the caller can record
/// the new pid while the kernel loads the program (spawn_process's vfork would block us for
/// the whole exec). The price: a failed exec cannot be returned. The child then writes
/// exec_failure_prefix + ": " + strerror + "\n" to its stderr and exits 111, which is what
/// runit does; callers that want a clear error check the file first (is_executable_file).
/// Errors returned: fork itself failing (EAGAIN, ENOMEM).
/// For single-threaded callers (supervise): the child uses ordinary libc calls after fork.
Result<pid_t> fork_exec_process(const SpawnRequest& request,
                                const std::string& exec_failure_prefix);

}  // namespace svtree
