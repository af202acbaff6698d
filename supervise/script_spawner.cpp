// SPDX-License-Identifier: MIT
// supervise's one spawn path, today over lib's fork_exec_process.
#include "script_spawner.hpp"

#include "svtree/fork_exec.hpp"
#include "svtree/spawn.hpp"

namespace svtree::supervise {

Result<pid_t> ForkExecSpawner::spawn(const ScriptRequest& request) {
  SpawnRequest spawn;
  spawn.path = request.program;
  spawn.argv = request.argv;
  spawn.env = request.env;
  spawn.new_session = request.new_session;
  spawn.new_process_group = request.new_process_group;
  // stdin, stdout and stderr pass through unchanged (svscan's log pipe, DESIGN.md §1).
  if (request.stdout_fd >= 0) spawn.fds.emplace_back(1, request.stdout_fd);
  if (request.notification_child_fd >= 0)
    spawn.fds.emplace_back(request.notification_child_fd, request.notification_parent_fd);
  return fork_exec_process(spawn,
                           "supervise: warning: unable to start " + request.program + " in " + dir_);
}

}  // namespace svtree::supervise
