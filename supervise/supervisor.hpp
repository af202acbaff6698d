// SPDX-License-Identifier: MIT
// Supervisor: the state machine of one supervised service, with no syscall inside.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "svtree/clock.hpp"
#include "svtree/control.hpp"
#include "svtree/result.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/status_record.hpp"

namespace svtree::supervise {

/// The one-shot timers the state machine arms; the effects own the real clocks.
enum class TimerKind {
  kRestart,        // next start of run (throttle, backoff, or the slow retry of a missing run)
  kKill,           // timeout-kill: SIGKILL run's process group
  kFinishTimeout,  // timeout-finish: SIGKILL finish
};

/// Everything the state machine asks of the world. ServiceRunner does it for real; the unit
/// tests record it. Calls never block and never call back into the Supervisor.
class Effects {
 public:
  virtual ~Effects() = default;
  /// Reads the knob files (called before each start, so edits apply at the next start).
  virtual ServiceKnobs load_knobs() = 0;
  /// Starts ./run (new session, cwd DIR, env/ overlay, notification pipe if asked).
  /// An error means it could not be executed: it counts as an exit with code 111.
  virtual Result<pid_t> start_run(const ServiceKnobs& knobs) = 0;
  /// Starts ./finish CODE STATUS; 0 when there is no executable finish.
  virtual Result<pid_t> start_finish(int code, int status) = 0;
  /// Starts ./control/LETTER; 0 when there is none.
  virtual Result<pid_t> start_control_script(char letter) = 0;
  /// Forgets run's readiness pipe or pidfd (run has ended).
  virtual void release_run() = 0;
  virtual void send_signal(pid_t pid, int signo) = 0;
  virtual void send_group_signal(pid_t leader, int signo) = 0;
  virtual void arm_timer(TimerKind kind, int64_t delay_ms) = 0;
  virtual void cancel_timer(TimerKind kind) = 0;
  /// Watches DIR for run to appear (created, moved in, made executable).
  virtual void watch_for_run(bool on) = 0;
  /// Writes supervise/stat, pid and status (status last: clients poll it).
  virtual void publish(const StatusRecord& record, bool want_exit) = 0;
  virtual void warn(std::string_view text) = 0;
  /// Ends the supervisor with code once the current event has been handled.
  virtual void exit(int code) = 0;
};

/// A run left behind by a SIGKILLed supervisor, found alive by the caller (DESIGN.md §3).
struct Adoption {
  pid_t pid = 0;
  StatusRecord previous;  // the status it left, for the start stamp and readiness
};

/// Runit's supervision rules plus svtree's knobs (DESIGN.md §2, §3). Single-threaded; every
/// method handles one event to completion and returns.
class Supervisor {
 public:
  /// dir names the service in messages only.
  Supervisor(std::string dir, Effects& effects, const Clock& clock);

  /// First event: honours `down`, adopts an orphan or starts run.
  void start(const std::optional<Adoption>& adoption);
  /// Bytes read from supervise/control; unknown bytes are ignored.
  void on_control_bytes(std::string_view bytes);
  /// SIGTERM: as control byte x.
  void on_terminate_signal();
  /// SIGHUP: exit once run has ended on its own; send nothing, never restart.
  void on_hangup_signal();
  /// run ended; nullopt when its wait status cannot be known (adopted process).
  void on_run_exit(std::optional<int> wait_status);
  void on_finish_exit(int wait_status);
  void on_control_script_exit(int wait_status);
  void on_timer(TimerKind kind);
  /// run wrote a newline on its notification fd.
  void on_ready();
  /// DIR changed in a way that may have made run startable.
  void on_run_may_have_appeared();
  /// DIR was removed or renamed: warn, then act as x.
  void on_service_dir_gone();

  [[nodiscard]] StatusRecord record() const;
  [[nodiscard]] bool want_exit() const { return want_ == Want::kExit; }
  [[nodiscard]] pid_t run_pid() const { return run_pid_; }
  [[nodiscard]] pid_t finish_pid() const { return finish_pid_; }
  [[nodiscard]] pid_t script_pid() const { return script_pid_; }
  [[nodiscard]] uint32_t current_restart_delay_ms() const { return current_delay_ms_; }

  /// How long a missing or non-executable run waits for a retry when no inotify event comes.
  static constexpr int64_t kMissingRunRetryMs = 60000;

 private:
  enum class Want { kUp, kDown, kExit };
  /// Where a control command stands while a control/C script runs.
  enum class Step { kNone, kPre, kPost };

  void apply_command(Command command);
  void continue_command(bool overridden);
  void run_default_action(Command command, bool overridden);
  void stop_service(bool overridden);
  bool begin_script(char letter, Step step);
  void drain_queue();

  void start_run();
  void run_ended(std::optional<int> wait_status);
  void enter_down();
  [[nodiscard]] int64_t restart_delay_ms() const;
  void signal_run(int signo);
  void publish();
  void finish_exiting(int code);
  [[nodiscard]] bool service_running() const { return run_pid_ != 0 && state_ == RunState::kRun; }

  std::string dir_;
  Effects& effects_;
  const Clock& clock_;
  ServiceKnobs knobs_;

  RunState state_ = RunState::kDown;
  Want want_ = Want::kUp;
  pid_t run_pid_ = 0;
  pid_t finish_pid_ = 0;
  pid_t script_pid_ = 0;
  bool paused_ = false;
  bool got_term_ = false;
  bool ready_ = false;
  bool adopted_ = false;
  bool asked_ = false;        // a control letter or shutdown signalled run since its start
  bool hangup_exit_ = false;  // SIGHUP: exit when run has ended on its own
  bool essential_ended_ = false;
  bool run_missing_ = false;  // the last start failed: run missing or not executable
  bool exiting_ = false;
  int spawn_error_code_ = 0;  // errno of the last failed start of run
  Tai64n since_;
  Tai64n ready_since_;
  uint32_t last_wait_status_ = StatusExtension::kNoWaitStatus;
  uint32_t start_count_ = 0;

  int64_t last_start_ms_ = 0;
  int64_t restart_at_ms_ = 0;
  uint32_t current_delay_ms_ = ServiceKnobs::kDefaultRestartDelayMs;

  // Control commands wait in this queue while a control/C script runs (runit ran them
  // synchronously; we keep answering everything else meanwhile).
  std::deque<char> queued_control_;
  Command pending_command_ = Command::kUp;
  Step pending_step_ = Step::kNone;
};

}  // namespace svtree::supervise
