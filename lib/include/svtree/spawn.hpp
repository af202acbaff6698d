// SPDX-License-Identifier: MIT
// spawn_process: posix_spawn with a clean signal state, optional setsid, cwd and fd map.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "svtree/result.hpp"

namespace svtree {

struct SpawnRequest {
  std::string path;                    // executed as is (no PATH search)
  std::vector<std::string> argv;       // argv[0] included
  const std::vector<std::string>* env = nullptr;  // nullptr: inherit our environment
  std::string cwd;                     // empty: stay where we are
  bool new_session = false;            // setsid() in the child (service runs: DESIGN.md §2)
  bool new_process_group = false;      // setpgid(0,0) instead, when no session is wanted
  /// {child fd, parent fd}: the child gets a copy of parent fd at child fd; everything
  /// else we hold is close-on-exec and does not leak.
  std::vector<std::pair<int, int>> fds;
};

/// argv/envp for exec: pointers into strings, then nullptr. Valid while strings lives and
/// is not modified; built before fork, since the child of a vfork must not allocate.
std::vector<char*> exec_string_array(const std::vector<std::string>& strings);

/// True when parent fd `source` is also some mapping's child fd: a dup2 onto that target
/// would clobber it first, and dup2(fd, fd) would leave close-on-exec set, so such a
/// source must go through a spare copy (spawn_process and fork_exec_process both do).
bool fd_source_clashes(const std::vector<std::pair<int, int>>& fds, int source);

/// Starts the process and returns its pid. The child starts with an empty signal mask and
/// every signal at its default disposition, whatever libev did to ours. An exec failure
/// (ENOENT, EACCES, ENOEXEC…) is returned as the error and no child is left behind.
Result<pid_t> spawn_process(const SpawnRequest& request);

}  // namespace svtree
