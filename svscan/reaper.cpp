// SPDX-License-Identifier: MIT
// Reaper: subreaper setup, "any child left?", and descendant signalling through /proc.
#include "reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "svtree/io.hpp"

namespace svtree::svscan {

Result<bool> become_reaper() {
  if (::getpid() == 1) return true;
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    return errno_error("become a child subreaper (prctl PR_SET_CHILD_SUBREAPER)");
  return false;
}

bool have_children() {
  siginfo_t info{};
  for (;;) {
    const int rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0) return true;  // a child exists (exited or still running)
    if (errno == EINTR) continue;
    return errno != ECHILD;
  }
}

namespace {

struct ProcEntry {
  pid_t ppid;
  bool zombie;
};

// /proc/PID/stat: "pid (comm) S ppid ..."; comm may hold spaces and parentheses, so
// parse after the last ')'.
bool read_proc_entry(int proc_fd, const char* pid_name, ProcEntry& entry) {
  char path[300];
  std::snprintf(path, sizeof path, "%s/stat", pid_name);
  const int fd = ::openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[512];
  const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  const char* close_paren = std::strrchr(buffer, ')');
  if (close_paren == nullptr || close_paren[1] == '\0') return false;
  char state = '?';
  int ppid = 0;
  if (std::sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2) return false;
  entry.ppid = ppid;
  entry.zombie = state == 'Z' || state == 'X';
  return true;
}

}  // namespace

bool proc_is_ours() {
  char link[32] = {};
  const ssize_t n = ::readlink("/proc/self", link, sizeof link - 1);
  return n > 0 && std::atoi(link) == ::getpid();
}

std::vector<pid_t> list_descendants(pid_t root, std::span<const pid_t> spared) {
  std::vector<pid_t> result;
  // A /proc mounted for another PID namespace lists pids that mean other processes here:
  // signal nothing rather than the wrong ones.
  if (!proc_is_ours()) return result;
  const int proc_fd = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) return result;
  DIR* proc = ::fdopendir(proc_fd);
  if (proc == nullptr) {
    ::close(proc_fd);
    return result;
  }
  std::unordered_map<pid_t, ProcEntry> table;
  while (const dirent* d = ::readdir(proc)) {
    if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
    ProcEntry entry{};
    if (read_proc_entry(::dirfd(proc), d->d_name, entry))
      table.emplace(static_cast<pid_t>(std::atoi(d->d_name)), entry);
  }
  ::closedir(proc);
  // A pid descends from root when its ppid chain reaches root without crossing a spared
  // pid. Memoised: 1 = descendant, 0 = not.
  std::unordered_map<pid_t, char> verdict;
  std::vector<pid_t> chain;
  for (const auto& [pid, entry] : table) {
    chain.clear();
    pid_t at = pid;
    char answer = 0;
    for (;;) {
      if (at == root) {
        answer = 1;
        break;
      }
      if (at <= 1 || std::find(spared.begin(), spared.end(), at) != spared.end()) break;
      if (const auto v = verdict.find(at); v != verdict.end()) {
        answer = v->second;
        break;
      }
      const auto e = table.find(at);
      if (e == table.end()) break;
      chain.push_back(at);
      at = e->second.ppid;
    }
    for (const pid_t p : chain) verdict[p] = answer;
    if (answer == 1 && pid != root && !entry.zombie) result.push_back(pid);
  }
  return result;
}

int signal_descendants(bool pid1, int signo, std::span<const pid_t> spared) {
  if (pid1 && spared.empty()) {
    // PID 1 of its namespace: every other process in it is ours to stop (and kill(-1)
    // spares the caller).
    ::kill(-1, signo);
    return -1;
  }
  const std::vector<pid_t> pids = list_descendants(::getpid(), spared);
  for (const pid_t pid : pids) ::kill(pid, signo);
  return static_cast<int>(pids.size());
}

}  // namespace svtree::svscan
