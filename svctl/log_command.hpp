// SPDX-License-Identifier: MIT
// svctl log NAME [-f] [-n N] [--stderr] (issue 15): the last lines of a service's log
// directory with their stamps in local time, and following it across rotations.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svtree::svctl {

struct LogRequest {
  std::string name;
  bool follow = false;          // -f: keep printing lines as they are appended
  size_t lines = 10;            // -n N
  bool stderr_stream = false;   // --stderr: NAME/log/err (the `stderr separate` knob)
};

/// Parses the arguments after "log". nullopt and error set on a usage error.
std::optional<LogRequest> parse_log_request(const std::vector<std::string>& args,
                                            std::string& error);

/// The line with its leading stamp in local time ("YYYY-MM-DD HH:MM:SS.fraction"): a
/// TAI64N label (svlog -t), -tt's UTC "YYYY-MM-DD_HH:MM:SS.xxxxx" or -ttt's ISO 8601
/// "YYYY-MM-DDTHH:MM:SS.xxxxx"; any other line is returned unchanged. Pure but for the
/// time zone (localtime_r).
std::string localize_stamp(std::string_view line);

/// The last n lines of a sequence of files' texts, oldest file first; a text that does not
/// end in a newline has its last line counted whole.
std::vector<std::string> last_lines(const std::vector<std::string>& texts, size_t n);

/// The log directories a logger process holds open, from its descriptors' targets
/// (/proc/PID/fd/*): every directory of a "DIR/lock" (svlog, svlogd and s6-log hold it),
/// in descriptor order, so the first is its first target. The kernel's record of where the
/// logger writes, whatever log/run says and however it says it.
std::vector<std::string> logger_directories(pid_t pid);

/// Runs `svctl log` for svdir; returns the exit code (0, 1 for a failure, 100 usage).
int run_log_command(const std::vector<std::string>& args, const std::string& svdir);

}  // namespace svtree::svctl
