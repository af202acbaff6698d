// SPDX-License-Identifier: MIT
// ServiceRunner: the event sources of one supervised service (control FIFO, signals, child
// deaths, timers, readiness pipe, pidfd, directory changes) feeding the Supervisor it owns,
// and the real effects the Supervisor asks for, through the protocol server half
// (SuperviseServer) and the one ScriptSpawner.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dependencies.hpp"
#include "health_checker.hpp"
#include "script_spawner.hpp"
#include "supervisor.hpp"
#include "svtree/clock.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/result.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

class ServiceRunner final : public Effects {
 public:
  /// Opens DIR, changes into it (run, finish and the knobs are then ./NAME, whatever DIR is
  /// renamed to) and opens DIR/supervise through the protocol module. Fails when another
  /// supervisor (ours or runsv) holds the lock, or supervise/ is not ours alone: the caller
  /// exits 111.
  static Result<std::unique_ptr<ServiceRunner>> open(const std::string& dir, Loop& loop);

  ServiceRunner(const ServiceRunner&) = delete;
  ServiceRunner& operator=(const ServiceRunner&) = delete;
  ~ServiceRunner() override;

  /// Starts the supervisor (adopting the recorded run if it is still the same process) and
  /// runs the loop until it asks to exit. Returns the exit code.
  int run();

  // Effects
  ServiceKnobs load_knobs() override;
  Result<pid_t> start_run(const ServiceKnobs& knobs) override;
  std::string run_start_hint(int code) override;
  Result<pid_t> start_finish(int code, int status) override;
  Result<pid_t> start_control_script(Command command) override;
  uint64_t process_start_time(pid_t pid) override;
  pid_t process_in_session(pid_t session) override;
  void release_run() override;
  void send_signal(pid_t pid, int signo) override;
  void send_group_signal(pid_t leader, int signo) override;
  void arm_timer(TimerKind kind, int64_t delay_ms) override;
  void cancel_timer(TimerKind kind) override;
  void watch_for_run(bool on) override;
  void publish(const StatusRecord& record, bool want_exit) override;
  void warn(std::string_view text) override;
  void event(std::string_view line) override;
  void start_check(const ServiceKnobs& knobs) override;
  void stop_check() override;
  void exit(int code) override;
  Result<pid_t> start_stop() override;
  bool dependencies_ready() override;
  void watch_dependencies(bool on) override;

 private:
  ServiceRunner(ServiceDir dir, SuperviseServer server, Loop& loop);

  std::optional<Adoption> find_orphan();
  const std::vector<std::string>* service_environment();
  Result<pid_t> spawn_script(ScriptRequest request);
  /// Warns (once per cause) when others could change program or the directory holding it.
  void warn_if_writable_by_others(const std::string& program);
  void retry_publish();
  void on_control_readable();
  void on_notification_readable();
  void on_directory_changed();
  void on_child(pid_t pid, int wait_status);
  void watch_directories();
  [[nodiscard]] bool dir_still_ours() const;
  [[nodiscard]] bool parent_moved() const;
  TimerWatch& timer(TimerKind kind);
  void warn_once_per_change(std::string& last, const std::vector<std::string>& lines);

  ProcessIdentity parent_;  // who started us (svscan): stamped on every record
  ServiceDir dir_;      // DIR: its name for messages, its descriptor; also our cwd
  ServicePaths paths_;  // ./NAME, shown as DIR/NAME
  SuperviseServer server_;
  Loop& loop_;
  ForkExecSpawner spawner_;
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
  UniqueFd dev_null_;  // ./check's stdout, as svctl gives it: a check every second is no log

  UniqueFd notification_;  // read end of run's readiness pipe
  IoWatch notification_watch_;
  UniqueFd pidfd_;  // an adopted run, which is not our child
  IoWatch pidfd_watch_;

  std::optional<DirNotify> parent_notify_;  // DIR removed or renamed
  std::optional<DirNotify> dir_notify_;     // run appears (only while it is missing)
  bool watching_for_run_ = false;
  Dependencies dependencies_;  // depends/, watched while a start is held (issue 14)
  bool started_ = false;  // events before the supervisor's start are dropped

  std::vector<std::string> environment_;
  std::string last_knob_warnings_;
  std::string last_writable_warning_;  // said once per cause, not at every restart
  std::string last_env_warnings_;
  int last_publish_error_ = 0;
  StatusRecord last_record_;  // the latest state, written again while writes fail
  bool last_want_exit_ = false;
  static constexpr double kPublishRetrySeconds = 1.0;
};

}  // namespace svtree::supervise
