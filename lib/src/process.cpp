// SPDX-License-Identifier: MIT
// Wait-status decoding, pidfds and the orphan fingerprint.
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

bool is_orphaned_service(pid_t pid, const std::string& dir) {
  if (pid <= 1 || ::kill(pid, 0) != 0) return false;
  if (::getsid(pid) != pid) return false;
  // A zombie still answers kill(0); its /proc/PID/cwd link is gone, which the next
  // check turns into "no".
  const std::string link = "/proc/" + std::to_string(pid) + "/cwd";
  struct stat theirs {};
  struct stat ours {};
  if (::stat(link.c_str(), &theirs) != 0 || ::stat(dir.c_str(), &ours) != 0) return false;
  return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

}  // namespace svtree
