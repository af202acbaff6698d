// SPDX-License-Identifier: MIT
// A service directory with a real supervise on it, for the integration and interop tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "svtree/status_record.hpp"

namespace svtree::testing {

/// The status record as it is on disk now (nullopt when missing or short).
std::optional<StatusRecord> read_status(const std::string& service_dir);

/// Writes bytes to DIR/supervise/control as sv does (O_WRONLY|O_NONBLOCK); false if no
/// supervisor holds it.
bool send_control(const std::string& service_dir, const std::string& bytes);

/// Path of our supervise, or empty (the test then fails: it is built with the tests).
std::string supervise_binary();

/// Full path of a program on PATH (Process does not search PATH), or "".
std::string program_path(const std::string& name);

/// SIGKILLs every process whose cwd is path or below it (a removed cwd reads
/// "PATH (deleted)", which still starts with path).
void kill_processes_under(const std::string& path);
/// One line per process whose cwd is under path: pid, name, state and wait channel (what a
/// failed test prints to show what was stuck where).
std::string processes_under(const std::string& path);

/// A service dir under a TempDir, plus helpers to start supervise on it.
class ServiceFixture {
 public:
  explicit ServiceFixture(const std::string& name = "svc");
  /// SIGKILLs every process whose cwd is inside the temp dir (runs live in their own
  /// sessions: killing supervise's process group does not reach them).
  ~ServiceFixture();
  ServiceFixture(const ServiceFixture&) = delete;
  ServiceFixture& operator=(const ServiceFixture&) = delete;
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string file(const std::string& name) const { return dir_ + "/" + name; }
  [[nodiscard]] const TempDir& temp() const { return temp_; }

  /// Writes DIR/run (a sh script body).
  void write_run(const std::string& body) const;
  /// Starts our supervise on dir() (stdout/stderr captured by Process).
  std::unique_ptr<Process> start(Process::Options options = {}) const;

  /// Waits until status satisfies pred.
  bool wait_status(const std::function<bool(const StatusRecord&)>& pred,
                   std::chrono::milliseconds timeout = 20s) const;
  /// Waits until run is up with a pid other than not_pid; returns it (0 on timeout).
  pid_t wait_running(pid_t not_pid = 0) const;
  bool wait_down() const;
  /// Waits until the status stamp is at least seconds old: run has lived past runit's 1 s
  /// throttle, so its death restarts it at once.
  bool wait_run_lived(int seconds) const;

 private:
  TempDir temp_;
  std::string dir_;
};

}  // namespace svtree::testing
