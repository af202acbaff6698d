// SPDX-License-Identifier: MIT
// Wait-status decoding, pidfds, signals and a process's identity (pid + start time).
#include "svtree/process.hpp"

#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "svtree/io.hpp"

namespace svtree {

ExitDescription describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    return {code, 0, code};
  }
  if (WIFSIGNALED(wait_status)) {
    const int signo = WTERMSIG(wait_status);
    return {-1, wait_status & 0xff, 128 + signo};
  }
  return {-1, 0, 128};
}

Result<UniqueFd> open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    // pidfd_open sets close-on-exec by itself.
    return UniqueFd(static_cast<int>(fd));
  }
  return errno_error("open pidfd of " + std::to_string(pid));
#else
  errno = ENOSYS;
  return errno_error("open pidfd of " + std::to_string(pid));
#endif
}

bool signal_process(pid_t pid, int signo) {
  if (pid <= 0) {
    errno = ESRCH;
    return false;
  }
  return ::kill(pid, signo) == 0;
}

bool signal_process_group(pid_t leader, int signo) {
  if (leader <= 1) {
    errno = ESRCH;
    return false;
  }
  return ::kill(-leader, signo) == 0;
}

std::optional<uint64_t> parse_proc_stat_start_time(std::string_view stat) {
  // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses, so fields are counted
  // after the last ')'. STATE is field 3, starttime field 22.
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  int field = 2;
  uint64_t value = 0;
  bool in_field = false;
  bool have_digits = false;
  for (size_t i = 0; i <= rest.size(); ++i) {
    const char c = i < rest.size() ? rest[i] : ' ';
    if (c == ' ' || c == '\n') {
      if (in_field && field == 22) return have_digits ? std::optional<uint64_t>(value) : std::nullopt;
      in_field = false;
      continue;
    }
    if (!in_field) {
      in_field = true;
      ++field;
      if (field == 3 && (c == 'Z' || c == 'X')) return std::nullopt;
    }
    if (field == 22) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint64_t>(c - '0');
      have_digits = true;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text) return std::nullopt;
  return parse_proc_stat_start_time(*text);
}

}  // namespace svtree
