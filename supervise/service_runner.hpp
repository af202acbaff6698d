// SPDX-License-Identifier: MIT
// ServiceRunner: the real effects of a Supervisor (spawns, signals, timers, supervise/ files)
// and the libev watchers that turn the world into its events.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "supervisor.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/file_lock.hpp"
#include "svtree/result.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

class ServiceRunner final : public Effects {
 public:
  /// Prepares DIR/supervise (creating it, or the target of a dangling symlink, mode 0700),
  /// takes its lock and opens the control and ok FIFOs. Fails when another supervisor
  /// (ours or runsv) holds the lock: the caller exits 111.
  static Result<std::unique_ptr<ServiceRunner>> open(const std::string& dir, Loop& loop);

  ServiceRunner(const ServiceRunner&) = delete;
  ServiceRunner& operator=(const ServiceRunner&) = delete;
  ~ServiceRunner() override;

  /// Starts supervisor (adopting an orphaned run if status names one) and runs the loop
  /// until it asks to exit. Returns the exit code.
  int run(Supervisor& supervisor);

  // Effects
  ServiceKnobs load_knobs() override;
  Result<pid_t> start_run(const ServiceKnobs& knobs) override;
  Result<pid_t> start_finish(int code, int status) override;
  Result<pid_t> start_control_script(char letter) override;
  void release_run() override;
  void send_signal(pid_t pid, int signo) override;
  void send_group_signal(pid_t leader, int signo) override;
  void arm_timer(TimerKind kind, int64_t delay_ms) override;
  void cancel_timer(TimerKind kind) override;
  void watch_for_run(bool on) override;
  void publish(const StatusRecord& record, bool want_exit) override;
  void warn(std::string_view text) override;
  void exit(int code) override;

 private:
  ServiceRunner(std::string dir, std::string base, Loop& loop, UniqueFd dir_fd, FileLock lock,
                UniqueFd supervise_dir, UniqueFd control, UniqueFd ok);

  std::optional<Adoption> find_orphan();
  const std::vector<std::string>* service_environment();
  Result<pid_t> spawn_in_service_dir(const std::string& program, std::vector<std::string> argv,
                                     bool new_session, int notification_child_fd,
                                     int notification_parent_fd);
  Result<void> write_state(const StatusRecord& record, bool want_exit);
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
  [[nodiscard]] std::string named_after_dir(const std::string& line) const;
  void warn_once_per_change(std::string& last, const std::vector<std::string>& lines);

  std::string dir_;     // DIR as given: for messages
  std::string base_;    // /proc/self/fd/N for DIR (follows renames), or DIR without /proc
  ServicePaths paths_;  // files of DIR, under base_
  UniqueFd dir_fd_;     // DIR itself, held open
  Loop& loop_;
  Supervisor* supervisor_ = nullptr;
  FileLock lock_;
  UniqueFd supervise_dir_;
  UniqueFd control_;
  UniqueFd ok_;
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
  TimerWatch publish_retry_timer_;  // armed only while supervise/ cannot be written

  UniqueFd notification_;  // read end of run's readiness pipe
  IoWatch notification_watch_;
  UniqueFd pidfd_;  // an adopted run, which is not our child
  IoWatch pidfd_watch_;

  std::optional<DirNotify> parent_notify_;  // DIR removed or renamed
  std::optional<DirNotify> dir_notify_;     // run appears (only while it is missing)
  bool watching_for_run_ = false;

  std::vector<std::string> environment_;
  std::string last_knob_warnings_;
  std::string last_writable_warning_;  // said once per cause, not at every restart
  std::string last_env_warnings_;
  int last_publish_error_ = 0;
  StatusRecord last_record_;  // the latest state, written again while writes fail
  bool last_want_exit_ = false;
  static constexpr double kPublishRetrySeconds = 1.0;
  std::string last_stat_;
  std::string last_pid_;
};

}  // namespace svtree::supervise
