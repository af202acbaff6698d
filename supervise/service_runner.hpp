// SPDX-License-Identifier: MIT
// ServiceRunner: the event sources of one supervised service (control FIFO, signals, child
// deaths, timers, readiness pipe, pidfd, directory changes, the health checker) feeding the
// Supervisor it owns. The real effects are ServiceEffects' (service_effects.hpp): after each
// event the runner takes what they asked of the event sources and applies it. Ownership is
// a tree: runner -> effects, supervisor (-> effects), watchers; no pointer back to the runner.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "health_checker.hpp"
#include "service_effects.hpp"
#include "supervisor.hpp"
#include "svtree/clock.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

class ServiceRunner final {
 public:
  /// Opens DIR, changes into it (run, finish and the knobs are then ./NAME, whatever DIR is
  /// renamed to) and opens DIR/supervise through the protocol module. Fails when another
  /// supervisor (ours or runsv) holds the lock, or supervise/ is not ours alone: the caller
  /// exits 111.
  static Result<std::unique_ptr<ServiceRunner>> open(const std::string& dir, Loop& loop);

  ServiceRunner(const ServiceRunner&) = delete;
  ServiceRunner& operator=(const ServiceRunner&) = delete;
  ~ServiceRunner();

  /// Starts the supervisor (adopting the recorded run if it is still the same process) and
  /// runs the loop until it asks to exit. Returns the exit code.
  int run();

 private:
  ServiceRunner(ServiceDir dir, SuperviseServer server, Loop& loop);

  /// Calls the supervisor (one event), then applies what its effects asked.
  template <typename Event>
  void dispatch(Event&& event) {
    event();
    apply(effects_.take_requests());
  }
  void apply(EffectRequests requests);
  void apply_check(EffectRequests::Check& check);
  void on_control_readable();
  void on_notification_readable();
  void on_directory_changed();
  void on_child(pid_t pid, int wait_status);
  void watch_directories();
  [[nodiscard]] bool dir_still_ours() const;
  [[nodiscard]] bool parent_moved() const;
  TimerWatch& timer(TimerKind kind);

  ServiceEffects effects_;  // first: the supervisor holds it, and it outlives the watchers
  Loop& loop_;
  SystemClock clock_;
  Supervisor supervisor_;
  int exit_code_ = 0;
  bool exited_ = false;

  IoWatch control_watch_;
  ChildWatch child_watch_;
  SignalWatch term_watch_;
  SignalWatch interrupt_watch_;  // Ctrl-C on a standalone supervise: as x, like SIGTERM
  SignalWatch directory_watch_;
  SignalWatch hangup_watch_;
  TimerWatch restart_timer_;
  TimerWatch kill_timer_;
  TimerWatch finish_timer_;
  TimerWatch control_timer_;  // a control/C script's time limit (timeout-finish)
  TimerWatch publish_retry_timer_;  // armed only while supervise/ cannot be written
  TimerWatch check_timer_;          // next health check (armed only with a check)
  TimerWatch check_timeout_timer_;  // the check in flight times out
  HealthChecker checker_;

  UniqueFd notification_;  // read end of run's readiness pipe
  IoWatch notification_watch_;
  UniqueFd pidfd_;  // an adopted run, which is not our child
  IoWatch pidfd_watch_;

  std::optional<DirNotify> parent_notify_;  // DIR removed or renamed
  bool started_ = false;  // events before the supervisor's start are dropped
  static constexpr double kPublishRetrySeconds = 1.0;
};

}  // namespace svtree::supervise
