// SPDX-License-Identifier: MIT
// Wait-status decoding, pidfds, signals and a process's identity (pid + start time).
#include "svtree/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
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
  // One read: /proc/PID/stat is one line (under 1 kB), produced whole by a read this
  // large. read_small_file's fstat and its second read, for end of file, were two more
  // system calls at every start of a run (issue #18).
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return std::nullopt;
  char buffer[4096];
  const auto n = read_some(fd.get(), buffer);
  if (!n || *n == 0 || *n == sizeof buffer) return std::nullopt;
  return parse_proc_stat_start_time(std::string_view(buffer, *n));
}

pid_t find_process_in_session(pid_t session) {
  if (session <= 0) return 0;
  const std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), &::closedir);
  if (!proc) return 0;
  while (const dirent* entry = ::readdir(proc.get())) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0 || pid == session) continue;
    auto text = read_small_file("/proc/" + std::string(entry->d_name) + "/stat", 4096);
    if (!text) continue;
    if (parse_proc_stat_session(*text) == session) return static_cast<pid_t>(pid);
  }
  return 0;
}

}  // namespace svtree
