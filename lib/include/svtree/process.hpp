// SPDX-License-Identifier: MIT
// Facts about other processes: wait statuses, pidfds, and "is this our orphaned service?".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

/// The start time in /proc/PID/stat's text (field 22, clock ticks after boot), nullopt when
/// the text cannot be parsed or the process is a zombie (state Z or X). Pure.
std::optional<uint64_t> parse_proc_stat_start_time(std::string_view stat);
/// pid's start time, read from /proc/PID/stat; nullopt when pid is gone or a zombie. With
/// the pid it names one process for the life of the system: the identity by which a
/// supervisor adopts a run left behind by its predecessor (DESIGN.md §3 Orphans).
std::optional<uint64_t> process_start_time(pid_t pid);

}  // namespace svtree
