// SPDX-License-Identifier: MIT
// ScriptSpawner: the one way supervise starts a program of the service directory (run,
// finish, check, control/C). One interface, one implementation over lib's
// spawner (svtree/spawner.hpp), the fork+exec path every svtree program shares.
#pragma once

#include <sys/types.h>

#include <sys/resource.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "svtree/result.hpp"
#include "svtree/service_identity.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

struct ScriptRequest {
  std::string program;                            // "./run", "./control/t": relative to DIR
  std::vector<std::string> argv;                  // argv[0] included
  const std::vector<std::string>* env = nullptr;  // nullptr: inherit ours
  bool new_session = false;                       // run and finish: setsid (DESIGN.md §2)
  bool new_process_group = false;                 // ./check: killed with its group at timeout
  int stdout_fd = -1;                             // >= 0: the child's stdout (else ours)
  int stderr_fd = -1;                             // >= 0: the child's stderr (else ours)
  int notification_child_fd = -1;                 // notification-fd N in the child…
  int notification_parent_fd = -1;                // …a copy of this descriptor of ours
  const ProcessCredentials* credentials = nullptr;  // nullptr: supervise's own (control/C)
  /// run: the child execs only once take_exec_gate()'s fd is released, after the event's
  /// publish has recorded its pid (see SpawnSpec::hold_exec).
  bool hold_exec = false;
};

class ScriptSpawner {
 public:
  virtual ~ScriptSpawner() = default;
  /// Starts request with cwd = supervise's own cwd (the service directory), an empty signal
  /// mask and default dispositions; returns its pid as soon as it exists. Errors: the
  /// process could not be created. An exec failure shows as the child's exit 111.
  virtual Result<pid_t> spawn(const ScriptRequest& request) = 0;
  /// The gate of the last spawn with hold_exec, once; invalid when there is none.
  virtual UniqueFd take_exec_gate() = 0;
};

/// lib's spawn(): fork + exec without waiting for the exec, so the new pid is published
/// while the kernel loads the program (as runsv does). The child allocates nothing.
class ForkExecSpawner final : public ScriptSpawner {
 public:
  explicit ForkExecSpawner(std::string dir) : dir_(std::move(dir)) {}
  Result<pid_t> spawn(const ScriptRequest& request) override;
  UniqueFd take_exec_gate() override { return std::move(exec_gate_); }

 private:
  std::string dir_;  // for the child's message when exec fails
  UniqueFd exec_gate_;
};

}  // namespace svtree::supervise
