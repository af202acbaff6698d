// SPDX-License-Identifier: MIT
// Facts about other processes: wait statuses, pidfds, and "is this our orphaned service?".
#pragma once

#include <sys/types.h>

#include <string>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// How a wait status reads for humans and for runit's finish arguments.
struct ExitDescription {
  int finish_code;    // exit code, or -1 when killed by a signal (runit's first argument)
  int finish_status;  // low byte of the status: signal (+128 with core), 0 after exit
  int shell_status;   // exit code, or 128 + signal: what svscan and tini report
};
ExitDescription describe_wait_status(int wait_status);

/// pidfd_open(2): a descriptor that becomes readable when pid exits, even if pid is not
/// our child (adopted orphans). ENOSYS on kernels before 5.3.
Result<UniqueFd> open_pidfd(pid_t pid);

/// Signals pid unless it is 0 or negative (a guard: kill(0) or kill(-1) here would hit us
/// or everything). Returns false and sets errno on failure.
bool signal_process(pid_t pid, int signo);
/// Signals the process group of leader (a session leader's pgid is its pid).
bool signal_process_group(pid_t leader, int signo);

/// True when pid is alive, leads its own session and has dir as its working directory:
/// the fingerprint of a `run` left behind by a SIGKILLed supervisor (DESIGN.md §3).
bool is_orphaned_service(pid_t pid, const std::string& dir);

}  // namespace svtree
