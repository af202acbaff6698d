// SPDX-License-Identifier: MIT
// Supervisor: the state table of one supervised service (phase × event), with no syscall
// inside. man supervise.8 (STATE TABLE) is its specification; each cell has a unit test.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "svtree/clock.hpp"
#include "svtree/control.hpp"
#include "svtree/event_line.hpp"
#include "svtree/result.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/status_record.hpp"

namespace svtree::supervise {

/// The one-shot timers the state machine arms; the effects own the real clocks.
enum class TimerKind {
  kRestart,        // next start of run (throttle, backoff, or the slow retry of a missing run)
  kKill,           // timeout-kill: SIGKILL run's process group
  kFinishTimeout,  // timeout-finish: SIGKILL finish
  kControlTimeout,  // timeout-finish, for a control/C script: SIGKILL it (issue 13)
  kCheck,          // the next health check is due (check-interval)
  kCheckTimeout,   // the check in flight has taken check-timeout: it failed
};

/// Everything the state machine asks of the world. ServiceEffects does it for real; the unit
/// tests record it. Calls never block and never call back into the Supervisor.
class Effects {
 public:
  virtual ~Effects() = default;
  /// Reads the knob files (called before each start, so edits apply at the next start).
  virtual ServiceKnobs load_knobs() = 0;
  /// Starts ./run (new session, cwd DIR, env/ overlay, notification pipe if asked).
  /// An error means it could not be executed: it counts as an exit with code 111.
  virtual Result<pid_t> start_run(const ServiceKnobs& knobs) = 0;
  /// What the user can do about a failed start of run with errno code ("; chmod +x …"),
  /// from what the file and its mount really are; empty when there is nothing to say.
  virtual std::string run_start_hint(int code) = 0;
  /// Starts ./finish CODE STATUS; 0 when there is no executable finish.
  virtual Result<pid_t> start_finish(int code, int status) = 0;
  /// Starts ./control/C for command's letter C; 0 when there is none.
  virtual Result<pid_t> start_control_script(Command command) = 0;
  /// pid's start time (/proc/PID/stat field 22), recorded for adoption; 0 when unknown.
  virtual uint64_t process_start_time(pid_t pid) = 0;
  /// A live process of the session run led (its pid), other than run; 0 when none.
  virtual pid_t process_in_session(pid_t session) = 0;
  /// Forgets run's readiness pipe or pidfd (run has ended).
  virtual void release_run() = 0;
  virtual void send_signal(pid_t pid, int signo) = 0;
  virtual void send_group_signal(pid_t leader, int signo) = 0;
  virtual void arm_timer(TimerKind kind, int64_t delay_ms) = 0;
  virtual void cancel_timer(TimerKind kind) = 0;
  /// Watches DIR for run to appear (created, moved in, made executable).
  virtual void watch_for_run(bool on) = 0;
  /// Writes supervise/stat, pid, status.svtree and status. Called at most once per event.
  virtual void publish(const StatusRecord& record, bool want_exit) = 0;
  virtual void warn(std::string_view text) = 0;
  /// Writes one event line (exit, restart, give-up, adoption), already formatted and
  /// rate-limited (svtree/event_line.hpp), to the tree's log: supervise's stderr.
  virtual void event(std::string_view line) = 0;
  /// Begins one health check of the kind knobs.check names (./check in its own process
  /// group, a TCP connect, an HTTP GET); its end comes back as on_check_passed/failed,
  /// never from inside this call.
  virtual void start_check(const ServiceKnobs& knobs) = 0;
  /// Abandons the check in flight (closes its socket, SIGKILLs ./check's process group);
  /// no event follows.
  virtual void stop_check() = 0;
  /// Ends the supervisor with code once the current event has been handled.
  virtual void exit(int code) = 0;

  // Issue 14: oneshots and dependencies.
  /// Starts ./stop (a oneshot that was done is taken down); 0 when there is no executable stop.
  virtual Result<pid_t> start_stop() = 0;
  /// Is every service of depends/ ready (longrun) or done (oneshot)? Read again at each call.
  /// When not, the effects watch the dependencies' records (set up before the last look, so
  /// no change is lost) and report each change as on_dependencies_changed, until
  /// watch_dependencies(false). A missing dependency or a cycle is warned about once.
  virtual bool dependencies_ready() = 0;
  virtual void watch_dependencies(bool on) = 0;
};

/// What a new supervisor takes over from the record its predecessor left: a run found
/// alive with its recorded start time (pid > 0), or only the wishes (pid 0) when nothing
/// ran and the record was written under the same parent (svscan replacing supervise).
struct Adoption {
  pid_t pid = 0;
  StatusRecord previous;  // the record it left: start stamp, readiness and the wishes
};

/// A process's identity: pid and start time (/proc/PID/stat field 22).
struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;
};

/// Whether a previous record names a run to adopt, given what /proc says now.
struct AdoptionVerdict {
  bool adopt = false;           // the recorded run is alive: adopt it, with the wishes
  bool inherit_wishes = false;  // no run to adopt, but the record is this tree's own
  std::string reason;  // why a recorded run is not adopted; empty otherwise
};
/// The rules of DESIGN.md §3 Orphans, pure: adopt iff the record says a run was running,
/// carries its start time, and the pid is alive with that same start time (never the cwd).
/// Without a run to adopt, the wishes are taken over only from a record written under our
/// own parent (svscan replacing supervise), so a stale record found in an image or a volume
/// never keeps a service down in a new container.
AdoptionVerdict judge_adoption(const std::optional<StatusRecord>& previous,
                               std::optional<uint64_t> live_start_time,
                               const ProcessIdentity& parent = {});

/// Runit's supervision rules plus svtree's knobs as a table of phases × events (DESIGN.md
/// §2, §3). Single-threaded; every public method is one event, handled to completion, and
/// ends in at most one publish.
class Supervisor {
 public:
  /// dir names the service in messages only.
  Supervisor(std::string dir, Effects& effects, const Clock& clock);

  /// First event: honours `down` (or the inherited wishes), adopts an orphan or starts run.
  void start(const std::optional<Adoption>& adoption);
  /// A command read from supervise/control (the caller parsed the byte).
  void on_command(Command command);
  /// SIGTERM (and SIGINT): the row of command x.
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
  /// DIR was removed or renamed: warn, then the row of command x.
  void on_service_dir_gone();
  /// A record of a service in depends/ changed (issue 14): a held start may go ahead.
  void on_dependencies_changed();
  /// The check started by Effects::start_check passed, or failed (reason: one clause,
  /// "connect 127.0.0.1:80: Connection refused").
  void on_check_passed();
  void on_check_failed(std::string_view reason);

  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] StatusRecord record() const;
  [[nodiscard]] bool want_exit() const { return want_ == Want::kExit; }
  [[nodiscard]] uint32_t failed_starts() const { return failed_starts_; }
  [[nodiscard]] pid_t run_pid() const { return run_pid_; }
  [[nodiscard]] pid_t finish_pid() const { return finish_pid_; }
  [[nodiscard]] pid_t script_pid() const { return script_pid_; }
  [[nodiscard]] uint32_t current_restart_delay_ms() const { return current_delay_ms_; }
  /// Wanted up, but run is held until depends/'s services are ready or done.
  [[nodiscard]] bool held() const { return held_; }
  [[nodiscard]] Health health() const { return health_; }

  /// How long a missing or non-executable run waits for a retry when no inotify event comes.
  static constexpr int64_t kMissingRunRetryMs = 60000;
  /// The least backoff step: restart-delay 0 still grows 0 → 100 ms → 200 ms … (DESIGN §2).
  static constexpr int64_t kBackoffFloorMs = 100;
  /// The first health check after run starts waits this long (or check-interval, if
  /// shorter): long enough for an exec, short enough that -w start is not a second.
  static constexpr int64_t kFirstCheckDelayMs = 100;

 private:
  enum class Want { kUp, kDown, kExit };
  /// Where a control command stands while a control/C script runs.
  enum class Step { kNone, kPre, kPost };

  // The script layer (runit's control/C) in front of the table's command cells.
  void offer(Command command);
  void continue_command(Command command, bool overridden);
  bool begin_script(Command letter, Command command, Step step);
  void drain_queue();
  // The table's command cells.
  void apply(Command command, bool overridden);
  void stop_run(bool overridden);

  void start_run();
  void run_ended(std::optional<int> wait_status, bool asked);
  void after_finish();
  void enter_backoff(int64_t delay_ms);
  void exit_now(int code);
  void adopt(const Adoption& adoption);
  void inherit_wishes(const StatusRecord& previous);
  [[nodiscard]] int64_t restart_delay_ms() const;
  [[nodiscard]] bool run_alive() const;
  [[nodiscard]] bool at_rest() const;  // down, backoff, failed or done: nothing runs
  void signal_run(int signo);
  // The restart policy (issue 13): min-uptime, max-restarts, restart, success-codes.
  /// Counts a failed start or resets the backoff; returns the delay this restart waits.
  uint32_t judge_run_end(int64_t lived_ms, bool asked);
  /// After finish, with run wanted up: false when the policy keeps the service down or it
  /// gives up (the phase, the wish and the event lines are then set).
  bool policy_allows_restart();
  void give_up();
  /// One hint when run exits 0 young while its session lives on (issue 13).
  void hint_if_daemonized(std::optional<int> wait_status, bool asked);
  /// u, o, r on a failed service: it starts afresh, with the backoff and the count reset.
  void leave_failed();
  /// The exit line of the run that just ended (once), saying what comes next.
  void note_exit(std::string_view next, std::vector<EventField> extra = {});
  /// Formats and writes an event line through the token bucket.
  void emit_event(std::string_view event, std::vector<EventField> fields, bool force = false);
  /// The one publish of an event: only when the record (or stat's want) changed.
  void announce();

  // Issue 14 (oneshots, depends/), kept apart from the shared cells above.
  bool hold_for_dependencies();
  void oneshot_not_ready();
  bool enter_done();
  bool take_done_down();
  bool rerun_done(Command command);
  void inherit_done(const StatusExtension& previous);
  [[nodiscard]] bool run_succeeded() const;
  // Health checks (check-interval, check-tcp, check-http): their own cells.
  void start_check_cycle(bool was_ready);
  void end_check_cycle();
  void on_check_due();
  void on_check_timeout();
  void check_failed(std::string_view reason);
  [[nodiscard]] bool checks_apply() const;  // a check is configured and run is starting/running

  std::string dir_;
  Effects& effects_;
  const Clock& clock_;
  ServiceKnobs knobs_;
  bool knobs_fresh_ = false;  // knobs_ were read by start() for the start it makes

  Phase phase_ = Phase::kDown;
  Want want_ = Want::kUp;
  bool once_ = false;   // the down wish came from o: run once, no restart
  bool drain_ = false;  // SIGHUP: exit when run has ended on its own
  pid_t run_pid_ = 0;
  pid_t finish_pid_ = 0;
  pid_t script_pid_ = 0;
  bool paused_ = false;
  bool got_term_ = false;
  bool adopted_ = false;
  bool essential_ended_ = false;  // set at run's death, acted on when finish has ended
  bool run_missing_ = false;      // the last start failed: run missing or not executable
  int spawn_error_code_ = 0;      // errno of the last failed start of run
  Tai64n since_;
  Tai64n ready_since_;            // zero: not ready since run's start
  Tai64n next_start_;             // zero: no restart timer armed
  uint64_t run_start_time_ = 0;
  uint32_t last_wait_status_ = StatusExtension::kNoWaitStatus;
  uint32_t start_count_ = 0;
  uint32_t failed_starts_ = 0;
  // What the exit line of the run that just ended says (written once finish has ended).
  bool exit_pending_ = false;
  bool last_end_asked_ = false;
  bool last_end_failed_start_ = false;
  int64_t last_uptime_ms_ = 0;
  std::optional<int> last_exit_;  // nullopt: unknown (adopted run)
  EventRateLimiter event_limiter_;
  bool daemonize_hinted_ = false;  // the "did run daemonize?" hint is given once

  int64_t last_start_ms_ = 0;
  int64_t restart_at_ms_ = 0;
  uint32_t current_delay_ms_ = ServiceKnobs::kDefaultRestartDelayMs;

  // Commands wait in this queue while a control/C script runs (runit ran them
  // synchronously; we keep answering everything else meanwhile).
  std::deque<Command> queued_;
  Command pending_command_ = Command::kUp;
  Command pending_script_letter_ = Command::kUp;  // the running script's letter
  Step pending_step_ = Step::kNone;

  bool held_ = false;            // wanted up; run waits for depends/ (issue 14)
  bool running_stop_ = false;    // finishing means a oneshot's ./stop runs, not ./finish

  std::optional<StatusRecord> published_;
  bool published_want_exit_ = false;

  // Health checks.
  Health health_ = Health::kUnknown;
  bool checking_ = false;          // a check is in flight (start_check called, no answer yet)
  uint32_t check_failures_ = 0;    // failed checks in a row
};

}  // namespace svtree::supervise
