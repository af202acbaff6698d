// SPDX-License-Identifier: MIT
// A scan directory and a real svscan over it, for the svscan and pidns suites.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "svscan/reaper.hpp"

namespace svtree::svscan::testing {

using namespace svtree::testing;

/// TempDir layout: service/ (the scan directory), staging/ (where services are built
/// before one rename moves them in, so svscan never sees half a service), out/ (what the
/// run scripts report).
class ScanTree {
 public:
  ScanTree() {
    make_dirs(scan());
    make_dirs(staging());
    make_dirs(out());
  }
  ~ScanTree() { stop_everything(); }
  ScanTree(const ScanTree&) = delete;
  ScanTree& operator=(const ScanTree&) = delete;

  [[nodiscard]] std::string scan() const { return root_ / "service"; }
  [[nodiscard]] std::string staging() const { return root_ / "staging"; }
  [[nodiscard]] std::string out() const { return root_ / "out"; }
  [[nodiscard]] std::string out(const std::string& name) const { return out() + "/" + name; }

  /// Builds NAME (and NAME/log when log_body is not empty) in staging, then renames it in.
  void add_service(const std::string& name, const std::string& run_body,
                   const std::string& log_body = "", bool move_in = true) {
    const std::string dir = staging() + "/" + name;
    make_dirs(dir);
    write_script(dir + "/run", run_body);
    if (!log_body.empty()) {
      make_dirs(dir + "/log");
      write_script(dir + "/log/run", log_body);
    }
    if (move_in) move_in_service(name);
  }
  void move_in_service(const std::string& name) {
    ASSERT_EQ(::rename((staging() + "/" + name).c_str(), (scan() + "/" + name).c_str()), 0);
  }

  /// Starts svscan on scan() with args before the directory and after it.
  /// With in_pid_namespace, svscan runs as PID 1 under `unshare --pid --fork --mount-proc`.
  /// output_fd >= 0: svscan's stdout and stderr (issue 15's stalled-reader tests), else files.
  void start(const std::vector<std::string>& options = {},
             const std::vector<std::string>& after = {}, bool in_pid_namespace = false,
             const std::vector<std::string>& extra_env = {}, int output_fd = -1) {
    const std::string svscan = binary_from_env("SVTREE_SVSCAN");
    ASSERT_FALSE(svscan.empty()) << "SVTREE_SVSCAN is not set: run through meson test";
    in_pid_namespace_ = in_pid_namespace;
    std::vector<std::string> argv;
    if (in_pid_namespace) argv = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"};
    argv.push_back(svscan);
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(scan());
    argv.insert(argv.end(), after.begin(), after.end());
    // Through env(1), which replaces a variable we already have (Process only appends).
    if (!extra_env.empty()) {
      std::vector<std::string> with_env = {"/usr/bin/env"};
      with_env.insert(with_env.end(), extra_env.begin(), extra_env.end());
      argv.insert(argv.begin(), with_env.begin(), with_env.end());
    }
    Process::Options process_options;
    process_options.stdout_fd = output_fd;
    process_options.stderr_fd = output_fd;
    process_ = std::make_unique<Process>(argv, process_options);
  }

  /// The process the test started (unshare in a PID namespace, else svscan itself).
  Process& svscan() { return *process_; }
  /// svscan's pid as this test sees it: unshare's only child in a PID namespace.
  [[nodiscard]] pid_t svscan_pid() const {
    if (!process_) return 0;
    return in_pid_namespace_ ? first_child(process_->pid()) : process_->pid();
  }
  /// Signals svscan itself (unshare ignores SIGTERM while it waits).
  void signal_svscan(int signo) const {
    const pid_t pid = svscan_pid();
    if (pid > 0) ::kill(pid, signo);
  }
  [[nodiscard]] std::string log() const { return process_ ? process_->stderr_text() : ""; }

  /// The pid of the last supervise svscan started for dir ("a", "a/log"), from its log.
  [[nodiscard]] pid_t supervise_pid(const std::string& dir) const {
    const std::string text = log();
    const std::string needle = "supervising " + dir + " (supervise pid ";
    const size_t at = text.rfind(needle);
    if (at == std::string::npos) return 0;
    return static_cast<pid_t>(std::atoi(text.c_str() + at + needle.size()));
  }
  /// supervise_pid once a line for dir other than not_pid has shown up (0 after 20 s).
  /// svscan prints "supervising" as it starts supervise, but the line reaches its stderr
  /// through its writer child, which can be after the service's run has shown signs of life.
  [[nodiscard]] pid_t wait_supervise_pid(const std::string& dir, pid_t not_pid = 0) const {
    pid_t pid = 0;
    const bool seen = wait_until([&] {
      pid = supervise_pid(dir);
      return pid != 0 && pid != not_pid;
    });
    return seen ? pid : 0;
  }
  [[nodiscard]] size_t count_in_log(const std::string& needle) const {
    const std::string text = log();
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++count;
    return count;
  }
  /// count_in_log once needle has shown up (or 20 s passed): svscan's own lines reach its
  /// stderr through its writer child, a moment after the event that made them.
  [[nodiscard]] size_t count_in_log_once_seen(const std::string& needle) const {
    (void)wait_until([&] { return count_in_log(needle) > 0; });
    return count_in_log(needle);
  }

  /// Leaves no process behind, whatever the test did: TERM svscan and give the tree time
  /// to stop; then KILL every descendant that is left.
  void stop_everything() {
    if (!process_) return;
    if (process_->running()) {
      signal_svscan(SIGTERM);
      process_->wait(std::chrono::seconds(15));
    }
    // In a PID namespace, Process's SIGKILL of unshare's group reaches svscan, PID 1, and
    // the kernel empties the namespace; outside one, kill what svscan left.
    if (process_->running() && !in_pid_namespace_) {
      for (const pid_t pid : list_descendants(process_->pid(), {})) ::kill(pid, SIGKILL);
    }
    process_.reset();
  }

 private:
  TempDir root_;
  std::unique_ptr<Process> process_;
  bool in_pid_namespace_ = false;
};

inline bool pid_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

inline pid_t pid_from_file(const std::string& path) {
  return static_cast<pid_t>(std::atoi(read_file(path).c_str()));
}

inline size_t count_lines(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

/// A run that says it started (its pid, one line per start, in out(name.starts)) and
/// then stays up.
inline std::string counting_run(const ScanTree& tree, const std::string& name) {
  return "echo $$ >> " + tree.out(name + ".starts") + "\nexec sleep 1000\n";
}

/// How many times counting_run(tree, name) has started.
inline size_t starts(const ScanTree& tree, const std::string& name) {
  return count_lines(read_file(tree.out(name + ".starts")), "\n");
}

}  // namespace svtree::svscan::testing
