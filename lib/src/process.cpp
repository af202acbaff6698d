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

std::optional<uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text) return std::nullopt;
  return parse_proc_stat_start_time(*text);
}

}  // namespace svtree
