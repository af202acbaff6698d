// SPDX-License-Identifier: MIT
// Wait statuses and /proc/PID/stat as text: pure decoding, no system call.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace svtree {

/// How a wait status reads for humans and for runit's finish arguments.
struct ExitDescription {
  int finish_code;    // exit code, or -1 when killed by a signal (runit's first argument)
  int finish_status;  // low byte of the status: signal (+128 with core), 0 after exit
  int shell_status;   // exit code, or 128 + signal: what svscan and tini report
};
ExitDescription describe_wait_status(int wait_status);

/// The start time in /proc/PID/stat's text (field 22, clock ticks after boot), nullopt when
/// the text cannot be parsed or the process is a zombie (state Z or X).
std::optional<uint64_t> parse_proc_stat_start_time(std::string_view stat);
/// The session id in /proc/PID/stat's text (field 6), nullopt when the text cannot be
/// parsed or the process is a zombie.
std::optional<pid_t> parse_proc_stat_session(std::string_view stat);

}  // namespace svtree
