// SPDX-License-Identifier: MIT
// HealthChecker: the event source behind the Supervisor's check cells. One check at a time,
// non-blocking on supervise's loop: a TCP connect, an HTTP/1.0 GET, or the exit of ./check
// (which ServiceEffects starts through its one ScriptSpawner). The verdict comes back through
// a callback, always from the loop, never from inside start_*.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <string>

#include "svtree/event_loop.hpp"
#include "svtree/health_check.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

class HealthChecker {
 public:
  /// passed, or not with a reason ("connect 127.0.0.1:80: Connection refused").
  using Verdict = std::function<void(bool passed, const std::string& reason)>;
  HealthChecker(Loop& loop, Verdict verdict);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Passes when a connection to target is accepted.
  void start_tcp(const TcpTarget& target);
  /// Passes when target answers GET with a 2xx or 3xx status line.
  void start_http(const HttpTarget& target);
  /// ./check runs as pid (its own process group): passes when it exits 0.
  void start_script(pid_t pid);
  /// A spawn of ./check that failed: the verdict is this failure, on the next iteration.
  void fail_soon(const std::string& reason);
  /// Returns true when pid was the check's (and gives the verdict).
  bool on_child(pid_t pid, int wait_status);
  /// Abandons the check in flight: closes the socket, SIGKILLs ./check and its group.
  void stop();
  [[nodiscard]] bool busy() const;

 private:
  void connect_to(const TcpTarget& target);
  void on_socket(int revents);
  void finish(bool passed, std::string reason);
  void defer(bool passed, std::string reason);

  Verdict verdict_;
  UniqueFd socket_;
  IoWatch socket_watch_;
  TimerWatch deferred_;  // a verdict known at once, given from the loop
  bool deferred_passed_ = false;
  std::string deferred_reason_;
  bool http_ = false;
  std::string shown_;       // HOST:PORT, for reasons
  std::string url_;         // HTTP: http://HOST:PORT/PATH, for reasons
  std::string request_;     // HTTP: what is left to send
  std::string received_;    // HTTP: the start of the answer
  bool connected_ = false;
  pid_t script_pid_ = 0;
};

}  // namespace svtree::supervise
