// SPDX-License-Identifier: MIT
// fork + exec with the child's set-up done before exec; the parent never waits for it.
#include "svtree/fork_exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace svtree {
namespace {

[[noreturn]] void fail_in_child(const std::string& prefix, int error) {
  std::string line = prefix;
  line += ": ";
  line += std::strerror(error);
  line += '\n';
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(111);
}

}  // namespace

Result<pid_t> fork_exec_process(const SpawnRequest& request,
                                const std::string& exec_failure_prefix) {
  // Everything the child needs is built before fork.
  auto argv = exec_string_array(request.argv);
  std::vector<char*> envp;
  if (request.env != nullptr) envp = exec_string_array(*request.env);
  char** const environment = request.env != nullptr ? envp.data() : environ;

  // No handler of ours may run in the child between fork and the reset below.
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid != 0) {
    const int fork_errno = errno;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) return SysError{fork_errno, "fork for " + request.path};
    return pid;
  }

  // Child.
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  ::sigemptyset(&defaults.sa_mask);
  for (int signo = 1; signo < NSIG; ++signo) ::sigaction(signo, &defaults, nullptr);
  if (request.new_session)
    ::setsid();
  else if (request.new_process_group)
    ::setpgid(0, 0);
  if (!request.cwd.empty() && ::chdir(request.cwd.c_str()) != 0)
    fail_in_child(exec_failure_prefix, errno);
  // Clashing sources go through a spare copy first; dup2 then clears close-on-exec on
  // every target.
  std::vector<std::pair<int, int>> moves = request.fds;
  for (auto& move : moves) {
    if (fd_source_clashes(request.fds, move.second)) {
      move.second = ::fcntl(move.second, F_DUPFD, 64);
      if (move.second < 0) fail_in_child(exec_failure_prefix, errno);
    }
  }
  for (const auto& [child_fd, parent_fd] : moves) {
    if (::dup2(parent_fd, child_fd) < 0) fail_in_child(exec_failure_prefix, errno);
  }
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  ::execve(request.path.c_str(), argv.data(), environment);
  fail_in_child(exec_failure_prefix, errno);
}

}  // namespace svtree
