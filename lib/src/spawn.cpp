// SPDX-License-Identifier: MIT
// posix_spawn wrapper: glibc's implementation reports exec errors to the parent and uses
// CLONE_VFORK, so a spawn costs no copy of our address space.
#include "svtree/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "svtree/unique_fd.hpp"

extern char** environ;

namespace svtree {
namespace {

class SpawnAttributes {
 public:
  SpawnAttributes() { ::posix_spawnattr_init(&attr_); }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_{};
};

class SpawnFileActions {
 public:
  SpawnFileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};


}  // namespace

std::vector<char*> exec_string_array(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

bool fd_source_clashes(const std::vector<std::pair<int, int>>& fds, int source) {
  return std::any_of(fds.begin(), fds.end(),
                     [source](const std::pair<int, int>& m) { return m.first == source; });
}

Result<pid_t> spawn_process(const SpawnRequest& request) {
  SpawnAttributes attr;
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (request.new_session) flags |= POSIX_SPAWN_SETSID;
  else if (request.new_process_group) flags |= POSIX_SPAWN_SETPGROUP;
  ::posix_spawnattr_setflags(attr.get(), flags);
  sigset_t empty;
  ::sigemptyset(&empty);
  ::posix_spawnattr_setsigmask(attr.get(), &empty);
  // Every catchable signal back to SIG_DFL: libev and our handlers must not leak into run.
  sigset_t all;
  ::sigfillset(&all);
  ::sigdelset(&all, SIGKILL);
  ::sigdelset(&all, SIGSTOP);
  ::posix_spawnattr_setsigdefault(attr.get(), &all);
  if (request.new_process_group) ::posix_spawnattr_setpgroup(attr.get(), 0);

  SpawnFileActions actions;
  if (!request.cwd.empty())
    ::posix_spawn_file_actions_addchdir_np(actions.get(), request.cwd.c_str());

  std::vector<UniqueFd> spares;
  for (const auto& [child_fd, parent_fd] : request.fds) {
    int source = parent_fd;
    if (fd_source_clashes(request.fds, parent_fd)) {
      const int spare = ::fcntl(parent_fd, F_DUPFD_CLOEXEC, 64);
      if (spare < 0) return errno_error("duplicate descriptor for " + request.path);
      spares.emplace_back(spare);
      source = spare;
    }
    ::posix_spawn_file_actions_adddup2(actions.get(), source, child_fd);
  }

  auto argv = exec_string_array(request.argv);
  std::vector<char*> envp;
  if (request.env != nullptr) envp = exec_string_array(*request.env);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, request.path.c_str(), actions.get(), attr.get(), argv.data(),
                               request.env != nullptr ? envp.data() : environ);
  if (rc != 0) return SysError{rc, "spawn " + request.path};
  return pid;
}

}  // namespace svtree
