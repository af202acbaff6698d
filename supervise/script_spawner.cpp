// SPDX-License-Identifier: MIT
// supervise's one spawn path, over lib's spawner (the fork+exec every svtree program uses).
#include "script_spawner.hpp"

#include "svtree/spawner.hpp"

namespace svtree::supervise {

Result<pid_t> ForkExecSpawner::spawn(const ScriptRequest& request) {
  SpawnSpec spec;
  spec.path = request.program;
  spec.argv = request.argv;
  spec.env = request.env;
  // cwd_fd stays -1: supervise's cwd is the service directory (ServiceRunner::open).
  if (request.new_session)
    spec.group = SpawnSpec::Group::kNewSession;
  else if (request.new_process_group)
    spec.group = SpawnSpec::Group::kNewProcessGroup;
  // stdin, stdout and stderr pass through unchanged (svscan's log pipe, DESIGN.md §1).
  if (request.stdout_fd >= 0) spec.fds.emplace_back(1, request.stdout_fd);
  // The `stderr` knob (issue 15): fd 1 again, or svscan's stderr pipe.
  if (request.stderr_fd >= 0) spec.fds.emplace_back(2, request.stderr_fd);
  if (request.notification_child_fd >= 0)
    spec.fds.emplace_back(request.notification_child_fd, request.notification_parent_fd);
  if (request.credentials != nullptr) apply_credentials(*request.credentials, spec);
  // Empty mask, every signal SIG_DFL (SpawnSpec's default): nothing of libev's reaches run.
  // No report pipe: the pid is published at once, and a failed exec shows as runit's exit
  // 111 with one line on stderr (DESIGN.md §2), which is what the Supervisor expects.
  spec.exec_failure_prefix =
      "supervise: warning: unable to start " + request.program + " in " + dir_;
  spec.failure_exit_code = 111;
  spec.hold_exec = request.hold_exec;
  auto spawned = svtree::spawn(spec);
  if (!spawned) return spawned.error();
  if (request.hold_exec) exec_gate_ = std::move(spawned->gate);
  return spawned->pid;
}

}  // namespace svtree::supervise
