// SPDX-License-Identifier: MIT
// Other processes: pidfds, signals, and their identity (pid + start time).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"
#include "svtree/wait_status.hpp"

namespace svtree {


/// pidfd_open(2): a descriptor that becomes readable when pid exits, even if pid is not
/// our child (adopted orphans). ENOSYS on kernels before 5.3.
Result<UniqueFd> open_pidfd(pid_t pid);

/// Signals pid unless it is 0 or negative (a guard: kill(0) or kill(-1) here would hit us
/// or everything). Returns false and sets errno on failure.
bool signal_process(pid_t pid, int signo);
/// Signals the process group of leader (a session leader's pgid is its pid).
bool signal_process_group(pid_t leader, int signo);

/// pid's start time, read from /proc/PID/stat; nullopt when pid is gone or a zombie. With
/// the pid it names one process for the life of the system: the identity by which a
/// supervisor adopts a run left behind by its predecessor (DESIGN.md §3 Orphans).
std::optional<uint64_t> process_start_time(pid_t pid);

/// A live process (not a zombie) of session, other than the leader itself, found in /proc;
/// 0 when there is none (or /proc cannot be read). For the "did run daemonize?" hint.
pid_t find_process_in_session(pid_t session);

}  // namespace svtree
