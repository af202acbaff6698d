// SPDX-License-Identifier: MIT
// Scanner's side of the `stderr separate` knob (issue 15): the knob read at pairing time,
// supervise started with the stderr pipe handed over, and the svlog that drains that pipe.
#include <string>
#include <vector>

#include "instances.hpp"
#include "scanner.hpp"
#include "svtree/diag.hpp"
#include "svtree/envdir.hpp"
#include "svtree/escape.hpp"
#include "svtree/io.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/stderr_pipe.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::svscan {

bool Scanner::wants_separate_stderr(const std::string& dir) {
  // supervise reads the same file at each start of run and says what is wrong with it;
  // a bad value here just means no pipe (stderr inherited, the knob's default).
  std::vector<std::string> warnings;
  return load_stderr_mode(ServicePaths(dir), warnings) == ServiceKnobs::StderrMode::kSeparate;
}

Result<pid_t> Scanner::start_supervise_with_stderr(const std::string& dir, int stdin_fd,
                                                   int stdout_fd, int stderr_fd) {
  SpawnSpec spec;
  spec.path = options_.supervise;
  spec.argv = {"supervise", dir};
  spec.group = SpawnSpec::Group::kNewSession;
  if (stdin_fd >= 0) spec.fds.emplace_back(0, stdin_fd);
  if (stdout_fd >= 0) spec.fds.emplace_back(1, stdout_fd);
  // Never supervise's own fd 2 (DESIGN.md §2): its warnings stay on our stderr, and a full
  // stderr pipe can block run, never its supervisor.
  spec.fds.emplace_back(kStderrChildFd, stderr_fd);
  // An instance's supervise gets its name (issue 16), with or without this pipe.
  std::vector<std::string> env = supervise_environment(dir).value_or(current_environment());
  env.push_back(stderr_fd_assignment(kStderrChildFd));
  spec.env = &env;
  add_diag_fd(spec, &env);
  spec.exec_failure_prefix = "svscan: fatal: unable to start supervise for " + escape_name(dir);
  spec.failure_exit_code = diag::kExitSystem;
  auto spawned = spawn(spec);
  if (!spawned) return spawned.error();
  return spawned->pid;
}

std::string Scanner::stderr_log_dir(const std::string& dir) {
  // An instance's directory is its template's, shared by its siblings: its stderr goes
  // beside its supervise/ in the state directory, whose log/ svlog does not make.
  return supervise_location::stderr_log_dir("", dir, state_ ? state_->dir() : std::string());
}

Result<pid_t> Scanner::start_stderr_logger(const std::string& dir, int stdin_fd) {
  SpawnSpec spec;
  // svlog is this very binary (multicall/), chosen by argv[0]; -tt: UTC stamps, readable
  // without tai64nlocal (svctl log turns them into local time).
  spec.path = "/proc/self/exe";
  const std::string err_dir = stderr_log_dir(dir);
  if (err_dir != dir + "/log/err")
    if (auto made = make_directories(err_dir.substr(0, err_dir.rfind('/'))); !made)
      return made.error();
  spec.argv = {"svlog", "-tt", err_dir};
  // Its own session, as a supervise: a terminal's Ctrl-C reaches svscan alone.
  spec.group = SpawnSpec::Group::kNewSession;
  spec.fds.emplace_back(0, stdin_fd);
  spec.exec_failure_prefix =
      "svscan: warning: unable to start the stderr logger for " + escape_name(dir);
  spec.failure_exit_code = diag::kExitSystem;
  auto spawned = spawn(spec);
  if (!spawned) return spawned.error();
  return spawned->pid;
}

}  // namespace svtree::svscan
