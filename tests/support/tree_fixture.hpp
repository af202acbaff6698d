// SPDX-License-Identifier: MIT
// A whole svtree (svscan + supervise + svlog) in a temp dir, and ways to find its parts.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace svtree::testing {

/// The pid of the live process whose argv is exactly argv and whose cwd is cwd; 0 if none.
pid_t find_process(const std::vector<std::string>& argv, const std::string& cwd);

/// Zombies anywhere below root, found by walking /proc's parent links.
std::vector<pid_t> zombies_below(pid_t root);

/// CPU time (user + system clock ticks) pid has used so far; -1 if unreadable.
long cpu_ticks(pid_t pid);

/// How many times pid has blocked so far (voluntary_ctxt_switches in /proc/PID/status):
/// each sleep in epoll_wait is one, so a waiting process that grows it by n has woken n
/// times. A way to watch a timer fire without timing it. -1 if unreadable.
long voluntary_switches(pid_t pid);

/// The pid written in a supervise/pid file (0 when empty or unreadable).
pid_t pid_from_file(const std::string& path);

/// The pid of service_dir's run once its supervise says it runs; 0 until then. supervise
/// writes supervise/stat before supervise/pid, so a "run" stat can sit beside a pid file
/// not written yet: waiting on stat alone and then reading pid reads 0 (and kill(0, 0)
/// always succeeds).
pid_t run_pid(const std::string& service_dir);

/// Non-empty lines of every file of an svlog directory, oldest first: rotated files
/// (@<tai64n>.s / .u, whose names sort by time), then current.
std::vector<std::string> logdir_lines(const std::string& logdir);

/// Sends `x` through control_fifo and waits for the supervise to exit: services run in a
/// session of their own, so killing supervise's process group would leave them running.
/// False if it did not exit in time.
bool stop_supervised(Process& supervise, const std::string& control_fifo);

/// svscan on TempDir/service, started by start() once the services are written.
class Tree {
 public:
  Tree();
  [[nodiscard]] std::string service_dir(const std::string& name) const {
    return root_ / ("service/" + name);
  }
  [[nodiscard]] std::string scan_dir() const { return root_ / "service"; }
  [[nodiscard]] const TempDir& root() const { return root_; }
  void start(const std::vector<std::string>& extra_args = {});
  /// SIGTERM to svscan; its exit code (nullopt if it did not exit in time).
  std::optional<int> stop();
  [[nodiscard]] Process& svscan() { return *svscan_; }

 private:
  TempDir root_;
  std::unique_ptr<Process> svscan_;
};

}  // namespace svtree::testing
