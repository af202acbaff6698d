// SPDX-License-Identifier: MIT
// The supervision rules of runsv (runit 2.1.2, man runsv(8)) plus svtree's knobs, as a
// table: each event is one method with one switch over the phases (man supervise.8, STATE
// TABLE), and each event ends in one announce().
#include "supervisor.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "svtree/exit_codes.hpp"
#include "svtree/signal_name.hpp"
#include "svtree/wait_status.hpp"

namespace svtree::supervise {
namespace {

// A run that cannot be executed counts as an exit with code 111 (runit, DESIGN.md §2).
constexpr int kSpawnFailureWaitStatus = 111 << 8;
// Bound on commands waiting behind a control/C script: a flood of bytes cannot grow our
// memory (runit would leave them in the FIFO; it blocks while the script runs).
constexpr size_t kMaxQueuedCommands = 256;
// A spawn that failed for a reason other than the file itself (EAGAIN, ENOMEM) retries
// after this floor even when restart-delay is 0, so the loop cannot spin.
constexpr int64_t kSpawnErrorRetryFloorMs = 1000;

// The check= field of a check-failed event line.
const char* check_kind_name(ServiceKnobs::CheckKind kind) {
  switch (kind) {
    case ServiceKnobs::CheckKind::kScript: return "script";
    case ServiceKnobs::CheckKind::kTcp: return "tcp";
    case ServiceKnobs::CheckKind::kHttp: return "http";
    case ServiceKnobs::CheckKind::kNone: break;
  }
  return "none";
}

bool is_run_file_problem(int code) {
  return code == ENOENT || code == EACCES || code == ENOEXEC || code == ENOTDIR || code == EISDIR ||
         code == ELOOP || code == ETXTBSY;
}

}  // namespace

AdoptionVerdict judge_adoption(const std::optional<StatusRecord>& previous,
                               std::optional<uint64_t> live_start_time,
                               const ProcessIdentity& parent) {
  if (!previous) return {};
  if (previous->state != RunState::kRun || previous->pid <= 0) {
    // A predecessor that left on purpose (x, SIGTERM, its directory removed) published
    // "exiting": its 'd' says it was leaving, not that the operator wants the service down.
    // A service removed and linked back in starts as its `down` file says (runsvdir does).
    const bool same_tree = previous->extension && parent.pid > 0 && parent.start_time != 0 &&
                           previous->extension->parent_pid == parent.pid &&
                           previous->extension->parent_start_time == parent.start_time &&
                           previous->extension->phase != Phase::kExiting;
    return {false, same_tree, {}};
  }
  const std::string pid = "pid " + std::to_string(previous->pid);
  if (!previous->extension || previous->extension->run_start_time == 0)
    return {false, false,
            pid + " has no recorded start time (status.svtree missing or stale: runsv or an "
                  "older supervise wrote status); if it still runs, stop it"};
  if (!live_start_time) return {false, false, pid + " is no longer running"};
  if (*live_start_time != previous->extension->run_start_time)
    return {false, false, pid + " now belongs to another process (its start time differs)"};
  return {true, true, {}};
}

Supervisor::Supervisor(std::string dir, Effects& effects, const Clock& clock)
    : dir_(std::move(dir)), effects_(effects), clock_(clock) {}

// --- events

void Supervisor::start(const std::optional<Adoption>& adoption) {
  knobs_ = effects_.load_knobs();
  // start_run below uses these: one read of the knob files per start (issue #18).
  knobs_fresh_ = true;
  current_delay_ms_ = knobs_.restart_delay_ms;
  want_ = knobs_.down ? Want::kDown : Want::kUp;
  since_ = clock_.wall();
  if (adoption && adoption->pid > 0) {
    adopt(*adoption);
  } else {
    if (adoption) inherit_wishes(adoption->previous);
    if (want_ == Want::kUp && phase_ != Phase::kDone) start_run();
  }
  // Any later start reads them again: a knob changed meanwhile applies to it.
  knobs_fresh_ = false;
  announce();
}

void Supervisor::on_command(Command command) {
  if (phase_ == Phase::kExiting) return;
  if (script_pid_ != 0) {
    if (queued_.size() < kMaxQueuedCommands) queued_.push_back(command);
    return;
  }
  offer(command);
  announce();
}

void Supervisor::on_terminate_signal() {
  // An event of its own that takes x's row: no letter is made up and parsed again.
  on_command(Command::kExit);
}

void Supervisor::on_service_dir_gone() {
  if (phase_ == Phase::kExiting) return;
  effects_.warn(dir_ + " was removed or renamed; stopping its service and exiting");
  on_command(Command::kExit);
}

void Supervisor::on_hangup_signal() {
  switch (phase_) {
    case Phase::kExiting:
      return;
    case Phase::kDown:
    case Phase::kBackoff:
    case Phase::kFailed:
    case Phase::kDone:
      drain_ = true;
      if (want_ == Want::kUp) want_ = Want::kDown;
      exit_now(0);
      break;
    case Phase::kStarting:
    case Phase::kRunning:
    case Phase::kStopping:
    case Phase::kFinishing:
      drain_ = true;
      if (want_ == Want::kUp) want_ = Want::kDown;
      break;
  }
  announce();
}

void Supervisor::on_run_exit(std::optional<int> wait_status) {
  switch (phase_) {
    case Phase::kStarting:
    case Phase::kRunning:
    case Phase::kStopping: {
      // Asked means we signalled run to stop (d x t k r, shutdown, timeout-kill): any
      // other death, after h, 1 or nothing, is unasked (DESIGN.md §2 essential).
      const bool asked = phase_ == Phase::kStopping;
      hint_if_daemonized(wait_status, asked);
      effects_.release_run();
      effects_.cancel_timer(TimerKind::kKill);
      run_pid_ = 0;
      run_start_time_ = 0;
      adopted_ = false;
      run_ended(wait_status, asked);
      break;
    }
    case Phase::kDown:
    case Phase::kFinishing:
    case Phase::kBackoff:
    case Phase::kFailed:
    case Phase::kDone:
    case Phase::kExiting:
      return;
  }
  announce();
}

void Supervisor::on_finish_exit(int wait_status) {
  switch (phase_) {
    case Phase::kFinishing:
      finish_pid_ = 0;
      effects_.cancel_timer(TimerKind::kFinishTimeout);
      // s6: a finish exiting 125 means "do not restart".
      if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 125 && want_ == Want::kUp)
        want_ = Want::kDown;
      after_finish();
      break;
    case Phase::kDown:
    case Phase::kStarting:
    case Phase::kRunning:
    case Phase::kStopping:
    case Phase::kBackoff:
    case Phase::kFailed:
    case Phase::kDone:
    case Phase::kExiting:
      return;
  }
  announce();
}

void Supervisor::on_timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kRestart:
      if (phase_ != Phase::kBackoff) return;
      {
        // The loop's timer counts from the start of its iteration: it may fire a little
        // before the deadline, which is kept to the millisecond.
        const int64_t early = restart_at_ms_ - clock_.monotonic_ms();
        if (early > 0 && !run_missing_) {
          effects_.arm_timer(TimerKind::kRestart, early);
          return;
        }
      }
      start_run();
      break;
    case TimerKind::kKill:
      if (phase_ != Phase::kStopping) return;
      effects_.warn(dir_ + "/run did not stop within " + std::to_string(knobs_.timeout_kill_ms) +
                    " ms (timeout-kill); sending SIGKILL to its process group");
      effects_.send_group_signal(run_pid_, SIGKILL);
      effects_.send_signal(run_pid_, SIGKILL);
      break;
    case TimerKind::kControlTimeout:
      if (script_pid_ == 0) return;
      effects_.warn(dir_ + "/control/" + control_byte(pending_script_letter_) + " still runs after " +
                    std::to_string(knobs_.timeout_finish_ms) +
                    " ms (timeout-finish); sending it SIGKILL, then acting on the command");
      effects_.send_group_signal(script_pid_, SIGKILL);
      effects_.send_signal(script_pid_, SIGKILL);
      return;  // its exit (a failure: the default action follows) comes as an event
    case TimerKind::kCheck:
      on_check_due();
      return;
    case TimerKind::kCheckTimeout:
      on_check_timeout();
      return;
    case TimerKind::kFinishTimeout:
      if (phase_ != Phase::kFinishing) return;
      effects_.warn(dir_ + "/finish still runs after " + std::to_string(knobs_.timeout_finish_ms) +
                    " ms (timeout-finish); sending it SIGKILL");
      effects_.send_group_signal(finish_pid_, SIGKILL);
      effects_.send_signal(finish_pid_, SIGKILL);
      break;
  }
  announce();
}

void Supervisor::on_ready() {
  switch (phase_) {
    case Phase::kStarting:
      if (knobs_.oneshot) return;  // a oneshot is ready when done (issue 14)
      phase_ = Phase::kRunning;
      ready_since_ = clock_.wall();
      break;
    case Phase::kDown:
    case Phase::kRunning:
    case Phase::kStopping:
    case Phase::kFinishing:
    case Phase::kBackoff:
    case Phase::kFailed:
    case Phase::kDone:
    case Phase::kExiting:
      return;
  }
  announce();
}

void Supervisor::on_run_may_have_appeared() {
  if (phase_ != Phase::kBackoff || !run_missing_) return;
  // Through the timer even at 0 ms: a burst of directory events makes one start.
  enter_backoff(std::max<int64_t>(0, restart_at_ms_ - clock_.monotonic_ms()));
  announce();
}

// --- control/C scripts, in front of the table
//
// runsv(8): "For each control character c sent to the control pipe, runsv first checks if
// service/control/c exists and is executable. If so, it starts service/control/c and waits
// for it to terminate, before interpreting the command. If the program exits with return
// code 0, runsv refrains from sending the service the corresponding signal. The command o
// is always considered as command u. On command d first service/control/t is checked, and
// then service/control/d. On command x first service/control/t is checked, and then
// service/control/x." We start the script and carry on at its exit instead of waiting.

void Supervisor::offer(Command command) {
  switch (command) {
    case Command::kUp:
    case Command::kOnce:
      if (begin_script(Command::kUp, command, Step::kPre)) return;
      break;
    case Command::kDown:
    case Command::kExit:
      // The wish holds from now, whatever the script says.
      want_ = command == Command::kDown ? Want::kDown : Want::kExit;
      once_ = false;
      if (run_alive() && begin_script(Command::kTerm, command, Step::kPre)) return;
      break;
    case Command::kRestart:
      if (run_alive() && begin_script(Command::kTerm, command, Step::kPre)) return;
      break;
    default:
      if (run_alive() && begin_script(command, command, Step::kPre)) return;
      break;
  }
  continue_command(command, false);
}

void Supervisor::continue_command(Command command, bool overridden) {
  apply(command, overridden);
  if (phase_ == Phase::kExiting) return;
  // The d and x scripts run after the stop, whatever they exit with (runsv's order).
  if (command == Command::kDown || command == Command::kExit)
    begin_script(command, command, Step::kPost);
}

bool Supervisor::begin_script(Command letter, Command command, Step step) {
  auto pid = effects_.start_control_script(letter);
  if (!pid) {
    effects_.warn(pid.error().message());
    return false;
  }
  if (*pid == 0) return false;
  script_pid_ = *pid;
  pending_script_letter_ = letter;
  pending_command_ = command;
  pending_step_ = step;
  // runit waits for the script forever; a hung one would hold every later command, so
  // it gets finish's time limit (issue 13).
  if (knobs_.timeout_finish_ms > 0)
    effects_.arm_timer(TimerKind::kControlTimeout, knobs_.timeout_finish_ms);
  return true;
}

void Supervisor::on_control_script_exit(int wait_status) {
  if (script_pid_ == 0) return;
  script_pid_ = 0;
  effects_.cancel_timer(TimerKind::kControlTimeout);
  const Step step = std::exchange(pending_step_, Step::kNone);
  if (phase_ == Phase::kExiting) return;
  if (step == Step::kPre) {
    const bool overridden = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    continue_command(pending_command_, overridden);
  }
  drain_queue();
  announce();
}

void Supervisor::drain_queue() {
  while (script_pid_ == 0 && phase_ != Phase::kExiting && !queued_.empty()) {
    const Command command = queued_.front();
    queued_.pop_front();
    offer(command);
  }
}

// --- the command cells: one switch per command over the phases

void Supervisor::apply(Command command, bool overridden) {
  if (rerun_done(command)) return;
  switch (command) {
    case Command::kUp:
    case Command::kOnce:
      want_ = command == Command::kUp ? Want::kUp : Want::kDown;
      once_ = command == Command::kOnce;
      leave_failed();
      if (at_rest() && phase_ != Phase::kDone) start_run();
      return;
    case Command::kDown:
    case Command::kExit:
      want_ = command == Command::kDown ? Want::kDown : Want::kExit;
      once_ = false;
      if (take_done_down()) return;
      switch (phase_) {
        case Phase::kStarting:
        case Phase::kRunning:
        case Phase::kStopping:
          stop_run(overridden);
          return;
        case Phase::kBackoff:
          effects_.cancel_timer(TimerKind::kRestart);
          next_start_ = Tai64n{};
          phase_ = Phase::kDown;
          [[fallthrough]];
        case Phase::kDown:
        case Phase::kFailed:
        case Phase::kDone:
          if (command == Command::kExit) exit_now(0);
          return;
        case Phase::kFinishing:  // after finish: down, or exit
        case Phase::kExiting:
          return;
      }
      return;
    case Command::kRestart:
      // s6's r: stop run as d would, and want it up, so that it starts again.
      want_ = Want::kUp;
      once_ = false;
      leave_failed();
      if (run_alive())
        stop_run(overridden);
      else if (at_rest())
        start_run();
      return;
    case Command::kTerm:
      if (!run_alive() || overridden) return;
      signal_run(SIGTERM);
      got_term_ = true;
      // runsv's stopservice(): CONT follows only when the service is wanted down.
      if (want_ != Want::kUp) signal_run(SIGCONT);
      phase_ = Phase::kStopping;
      return;
    case Command::kKill:
      if (!run_alive() || overridden) return;
      signal_run(SIGKILL);
      phase_ = Phase::kStopping;
      return;
    case Command::kPause:
      if (run_alive() && !overridden) signal_run(SIGSTOP);
      paused_ = true;
      return;
    case Command::kCont:
      if (run_alive() && !overridden) signal_run(SIGCONT);
      paused_ = false;
      return;
    case Command::kHup:
    case Command::kAlarm:
    case Command::kInterrupt:
    case Command::kQuit:
    case Command::kUser1:
    case Command::kUser2:
      // A signal that does not ask run to stop: the phase stays, and a death after it is
      // unasked (an essential service's crash an hour after a reload still ends the tree).
      if (run_alive() && !overridden) signal_run(signal_of(command));
      return;
  }
}

void Supervisor::stop_run(bool overridden) {
  if (!overridden) {
    signal_run(knobs_.down_signal);
    got_term_ = true;
    phase_ = Phase::kStopping;
    if (knobs_.timeout_kill_ms > 0) effects_.arm_timer(TimerKind::kKill, knobs_.timeout_kill_ms);
  }
  // A stopped process cannot act on the down signal: CONT always follows it (s6; runit
  // sends it when the service is wanted down or out).
  signal_run(SIGCONT);
}

// --- run and finish

void Supervisor::start_run() {
  effects_.cancel_timer(TimerKind::kRestart);
  next_start_ = Tai64n{};
  if (!std::exchange(knobs_fresh_, false)) knobs_ = effects_.load_knobs();
  if (hold_for_dependencies()) return;
  auto pid = effects_.start_run(knobs_);
  last_start_ms_ = clock_.monotonic_ms();
  if (!pid) {
    const int code = pid.error().code;
    if (!run_missing_) effects_.warn(pid.error().message() + effects_.run_start_hint(code));
    run_missing_ = true;
    spawn_error_code_ = code;
    effects_.watch_for_run(true);
    run_ended(kSpawnFailureWaitStatus, false);
    return;
  }
  if (run_missing_) {
    run_missing_ = false;
    effects_.watch_for_run(false);
  }
  run_pid_ = *pid;
  run_start_time_ = effects_.process_start_time(run_pid_);
  since_ = clock_.wall();
  ++start_count_;
  if (start_count_ > 1)
    emit_event("restart", {{"restart", std::to_string(start_count_ - 1)},
                           {"pid", std::to_string(run_pid_)},
                           {"failed_starts", std::to_string(failed_starts_)}});
  got_term_ = false;
  paused_ = false;  // runsv: a new run starts unpaused
  adopted_ = false;
  // Without notification-fd a service counts as ready when it starts (s6).
  phase_ = knobs_.notification_fd ? Phase::kStarting : Phase::kRunning;
  ready_since_ = phase_ == Phase::kRunning ? since_ : Tai64n{};
  oneshot_not_ready();
  start_check_cycle(false);
}

void Supervisor::run_ended(std::optional<int> wait_status, bool asked) {
  const int64_t now = clock_.monotonic_ms();
  const int64_t lived = now - last_start_ms_;
  const uint32_t wait_ms = judge_run_end(lived, asked);
  // restart-delay is the least time between two starts (runit: one per second).
  restart_at_ms_ = std::max(now, last_start_ms_ + wait_ms);

  end_check_cycle();
  last_wait_status_ =
      wait_status ? static_cast<uint32_t>(*wait_status) : StatusExtension::kNoWaitStatus;
  got_term_ = false;
  ready_since_ = Tai64n{};
  // With max-restarts an essential service ends the tree only when it gives up (DESIGN §2).
  if (knobs_.essential && want_ == Want::kUp && !asked && !drain_ && !run_missing_ &&
      !knobs_.max_restarts)
    essential_ended_ = true;
  // An essential oneshot ends the tree only when it fails for good (gives up), never on
  // success (DESIGN.md §2).
  if (knobs_.oneshot) essential_ended_ = false;
  // A run that could not be executed never lived: its warning says so, no exit line.
  exit_pending_ = !run_missing_;
  last_end_asked_ = asked;
  last_uptime_ms_ = lived;
  last_exit_ = wait_status;

  // finish gets runit's two arguments; an adopted run's status is unknown: -1 0.
  const ExitDescription exit =
      wait_status ? describe_wait_status(*wait_status) : ExitDescription{-1, 0, 0};
  auto finish = effects_.start_finish(exit.finish_code, exit.finish_status);
  if (!finish) effects_.warn(finish.error().message());
  if (finish && *finish != 0) {
    finish_pid_ = *finish;
    phase_ = Phase::kFinishing;
    if (knobs_.timeout_finish_ms > 0)
      effects_.arm_timer(TimerKind::kFinishTimeout, knobs_.timeout_finish_ms);
    return;
  }
  after_finish();
}

void Supervisor::after_finish() {
  since_ = clock_.wall();
  phase_ = Phase::kDown;
  const bool stop_ended = std::exchange(running_stop_, false);
  if (essential_ended_) {
    note_exit("exit", {{"essential", "yes"}});
    exit_now(diag::kExitEssentialEnded);
    return;
  }
  if (want_ == Want::kExit || drain_) {
    note_exit("exit");
    exit_now(0);
    return;
  }
  if (!stop_ended && enter_done()) return;
  if (want_ != Want::kUp) {
    note_exit("down");
    return;
  }
  // After a oneshot's ./stop, a u that came meanwhile runs it again: no policy to judge.
  if (!stop_ended && !policy_allows_restart()) return;
  const int64_t delay = restart_delay_ms();
  note_exit("restart", {{"restart", std::to_string(start_count_)},
                        {"delay", format_event_seconds(delay)}});
  // A restart at once publishes one record, the new run's, carrying the death's wait
  // status (s6 does the same): clients see one change instead of two, sooner.
  if (delay == 0)
    start_run();
  else
    enter_backoff(delay);
}

// --- the restart policy (issue 13, DESIGN.md §2: min-uptime, max-restarts, restart,
// success-codes)

uint32_t Supervisor::judge_run_end(int64_t lived_ms, bool asked) {
  // A failed start is an end nobody asked for, sooner than min-uptime (at least
  // kBackoffFloorMs, so a supervisor never spins). d x t k r and shutdown never count, nor
  // does a run that could not be executed: that one waits for the file, not for a delay.
  // The first restart after a failed start waits restart-delay, then 2x, 4x … up to
  // restart-delay-max; a run that lived min-uptime resets the backoff.
  const int64_t cap = std::max<int64_t>(knobs_.restart_delay_max_ms, kBackoffFloorMs);
  const int64_t min_uptime = std::max<int64_t>(knobs_.min_uptime_ms, kBackoffFloorMs);
  uint32_t wait_ms = current_delay_ms_;
  last_end_failed_start_ = !asked && !run_missing_ && lived_ms < min_uptime;
  if (last_end_failed_start_) {
    ++failed_starts_;
    current_delay_ms_ = static_cast<uint32_t>(std::min<int64_t>(
        std::max<int64_t>(int64_t{current_delay_ms_} * 2, kBackoffFloorMs), cap));
  } else if (!run_missing_ && lived_ms >= min_uptime) {
    current_delay_ms_ = knobs_.restart_delay_ms;
    failed_starts_ = 0;
    wait_ms = current_delay_ms_;
  }
  current_delay_ms_ = std::max(current_delay_ms_, knobs_.restart_delay_ms);
  return wait_ms;
}

bool Supervisor::policy_allows_restart() {
  // The policy judges ends nobody asked for; t, k and r restart a service wanted up, as
  // in runit, and a run that could not be executed is retried when it appears.
  if (!last_end_asked_ && !run_missing_) {
    const int status = last_exit_.value_or(-1);
    if (!restarts_after(knobs_, status)) {
      want_ = Want::kDown;
      once_ = false;
      note_exit("down", {{"policy", restart_policy_name(effective_restart(knobs_))}});
      return false;
    }
  }
  if (last_end_failed_start_ && knobs_.max_restarts && failed_starts_ > *knobs_.max_restarts) {
    give_up();
    return false;
  }
  return true;
}

void Supervisor::give_up() {
  note_exit("failed");
  want_ = Want::kDown;
  once_ = false;
  phase_ = Phase::kFailed;
  emit_event("give-up", {{"failed_starts", std::to_string(failed_starts_)},
                         {"max_restarts", std::to_string(knobs_.max_restarts.value_or(0))},
                         {"essential", knobs_.essential ? "yes" : "no"}},
             true);
  if (knobs_.essential) exit_now(diag::kExitEssentialEnded);
}

void Supervisor::hint_if_daemonized(std::optional<int> wait_status, bool asked) {
  if (daemonize_hinted_ || asked || !wait_status || !WIFEXITED(*wait_status) ||
      WEXITSTATUS(*wait_status) != 0)
    return;
  const int64_t lived = clock_.monotonic_ms() - last_start_ms_;
  if (lived >= std::max<int64_t>(knobs_.min_uptime_ms, kBackoffFloorMs)) return;
  const pid_t other = effects_.process_in_session(run_pid_);
  if (other == 0) return;
  daemonize_hinted_ = true;
  effects_.warn(dir_ + "/run exited 0 after " + format_event_seconds(lived) + " s while pid " +
                std::to_string(other) +
                " of its session still runs: did run daemonize? run must stay in the "
                "foreground (exec the program with its no-fork option), or each restart "
                "starts another copy");
}

void Supervisor::leave_failed() {
  if (phase_ != Phase::kFailed) return;
  phase_ = Phase::kDown;
  failed_starts_ = 0;
  current_delay_ms_ = knobs_.restart_delay_ms;
}

void Supervisor::note_exit(std::string_view next, std::vector<EventField> extra) {
  if (!exit_pending_) return;
  exit_pending_ = false;
  std::vector<EventField> fields = exit_status_fields(last_exit_);
  fields.push_back({"uptime", format_event_seconds(last_uptime_ms_)});
  fields.push_back({"asked", last_end_asked_ ? "yes" : "no"});
  fields.push_back({"failed_starts", std::to_string(failed_starts_)});
  fields.push_back({"next", std::string(next)});
  for (EventField& field : extra) fields.push_back(std::move(field));
  emit_event("exit", std::move(fields));
}

void Supervisor::emit_event(std::string_view event, std::vector<EventField> fields, bool force) {
  const auto suppressed = event_limiter_.admit(clock_.monotonic_ms(), force);
  if (!suppressed) return;
  if (*suppressed > 0) fields.push_back({"suppressed", std::to_string(*suppressed)});
  effects_.event(format_event_line(event, dir_, fields));
}

void Supervisor::enter_backoff(int64_t delay_ms) {
  phase_ = Phase::kBackoff;
  next_start_ = clock_.wall();
  next_start_.seconds += static_cast<uint64_t>(delay_ms / 1000);
  next_start_.nanoseconds += static_cast<uint32_t>((delay_ms % 1000) * 1'000'000);
  if (next_start_.nanoseconds >= 1'000'000'000) {
    next_start_.nanoseconds -= 1'000'000'000;
    ++next_start_.seconds;
  }
  effects_.arm_timer(TimerKind::kRestart, delay_ms);
}

int64_t Supervisor::restart_delay_ms() const {
  int64_t delay = std::max<int64_t>(0, restart_at_ms_ - clock_.monotonic_ms());
  if (run_missing_) {
    // Retried at once when the directory changes, else on this slow timer.
    delay = std::max(delay, is_run_file_problem(spawn_error_code_) ? kMissingRunRetryMs
                                                                   : kSpawnErrorRetryFloorMs);
  }
  return delay;
}

void Supervisor::exit_now(int code) {
  phase_ = Phase::kExiting;
  next_start_ = Tai64n{};
  effects_.cancel_timer(TimerKind::kRestart);
  effects_.cancel_timer(TimerKind::kKill);
  effects_.cancel_timer(TimerKind::kFinishTimeout);
  effects_.exit(code);
}

void Supervisor::inherit_wishes(const StatusRecord& previous) {
  // The same tree replaced our predecessor while nothing ran (log/ added, a crash): its
  // wishes hold — svctl down stays down, up stays up whatever `down` says, backoff goes on.
  want_ = previous.want_up ? Want::kUp : Want::kDown;
  if (!previous.extension) return;
  const StatusExtension& ext = *previous.extension;
  once_ = (ext.flags & StatusExtension::kFlagOnce) != 0 && want_ == Want::kDown;
  failed_starts_ = ext.failed_starts;
  if (ext.restart_delay_ms != 0)
    current_delay_ms_ = std::max(ext.restart_delay_ms, knobs_.restart_delay_ms);
  inherit_done(ext);
  // A service that gave up stays failed (and down) until u or r (issue 13).
  if (ext.phase == Phase::kFailed && want_ == Want::kDown) phase_ = Phase::kFailed;
}

void Supervisor::adopt(const Adoption& adoption) {
  // DESIGN.md §3 Orphans: with the run come the wishes the dead supervisor held (down,
  // once, backoff) and its start stamp, so `sv status` keeps counting from the real start.
  // They come only with it: a stale record never keeps a service down.
  const StatusRecord& previous = adoption.previous;
  run_pid_ = adoption.pid;
  adopted_ = true;
  since_ = previous.since;
  paused_ = previous.paused;
  got_term_ = previous.got_term;
  want_ = previous.want_up ? Want::kUp : Want::kDown;
  phase_ = Phase::kRunning;
  if (previous.extension) {
    const StatusExtension& ext = *previous.extension;
    once_ = (ext.flags & StatusExtension::kFlagOnce) != 0;
    run_start_time_ = ext.run_start_time;
    failed_starts_ = ext.failed_starts;
    if (ext.restart_delay_ms != 0)
      current_delay_ms_ = std::max(ext.restart_delay_ms, knobs_.restart_delay_ms);
    if (ext.phase == Phase::kStopping) phase_ = Phase::kStopping;
  }
  if (previous.extension && previous.extension->ready()) {
    ready_since_ = previous.extension->ready_since;
  } else if (!knobs_.notification_fd) {
    ready_since_ = since_;
  } else if (phase_ == Phase::kRunning) {
    // Its readiness pipe died with the old supervisor: it cannot say ready any more.
    phase_ = Phase::kStarting;
  }
  emit_event("adopt", {{"pid", std::to_string(run_pid_)}}, true);
  if (phase_ != Phase::kStopping)
    start_check_cycle(previous.extension && previous.extension->ready());
  // Its start time is unknown to our clock: let a death restart at once.
  last_start_ms_ = clock_.monotonic_ms() -
                   std::max({int64_t{knobs_.restart_delay_max_ms}, int64_t{knobs_.min_uptime_ms},
                             kBackoffFloorMs});
  oneshot_not_ready();
}

// --- oneshots and dependencies (issue 14; man supervise.8, STATE TABLE, phase done)

void Supervisor::on_dependencies_changed() {
  // Only a start that is held goes ahead: a d since then stands, an o still runs once.
  if (!held_ || phase_ != Phase::kDown || (want_ != Want::kUp && !once_)) return;
  start_run();
  announce();
}

bool Supervisor::hold_for_dependencies() {
  if (effects_.dependencies_ready()) {
    if (held_) {
      held_ = false;
      effects_.watch_dependencies(false);
    }
    return false;
  }
  // Held is not a failed start: nothing is counted, no timer runs; a dependency's record
  // changing wakes us (on_dependencies_changed). supervise never starts a dependency, so an
  // operator's d on it stands.
  held_ = true;
  phase_ = Phase::kDown;
  return true;
}

void Supervisor::oneshot_not_ready() {
  // A oneshot is never "ready" while it runs: dependents wait for it to be done.
  if (!knobs_.oneshot || phase_ != Phase::kRunning) return;
  phase_ = Phase::kStarting;
  ready_since_ = Tai64n{};
}

bool Supervisor::run_succeeded() const {
  // success-codes (issue 13); an adopted run's unknown status is no success.
  if (last_wait_status_ == StatusExtension::kNoWaitStatus) return false;
  return is_success_exit(knobs_, static_cast<int>(last_wait_status_));
}

bool Supervisor::enter_done() {
  // A oneshot that ended by itself with a success code is done: it stays so whatever else
  // restarts, until r, t, or d then u. A failure falls through to the restart rules.
  // `restart` and `max-restarts` judge a failed oneshot there (policy_allows_restart).
  if (!knobs_.oneshot || last_end_asked_ || run_missing_ || !run_succeeded()) return false;
  note_exit("done");
  phase_ = Phase::kDone;
  failed_starts_ = 0;
  current_delay_ms_ = knobs_.restart_delay_ms;
  return true;
}

bool Supervisor::take_done_down() {
  // d or x on a done oneshot: its ./stop undoes what run did (s6-rc's down), as finish
  // would run; then down, or exit.
  if (phase_ != Phase::kDone) return false;
  phase_ = Phase::kDown;
  auto stop = effects_.start_stop();
  if (!stop) effects_.warn(stop.error().message());
  if (!stop || *stop == 0) return false;  // the down cells carry on from phase down
  finish_pid_ = *stop;
  running_stop_ = true;
  phase_ = Phase::kFinishing;
  since_ = clock_.wall();
  if (knobs_.timeout_finish_ms > 0)
    effects_.arm_timer(TimerKind::kFinishTimeout, knobs_.timeout_finish_ms);
  return true;
}

bool Supervisor::rerun_done(Command command) {
  // A done oneshot runs again only on purpose: r, or t (sv's and svctl's restart send t c u);
  // u only states the wish it already has, so a dependent's `svctl start` never re-runs it.
  if (phase_ != Phase::kDone || (command != Command::kRestart && command != Command::kTerm))
    return false;
  want_ = Want::kUp;
  once_ = false;
  start_run();
  return true;
}

void Supervisor::inherit_done(const StatusExtension& previous) {
  // Our predecessor in this tree saw the oneshot done (svscan replaced supervise for log/):
  // it is not run again.
  if (knobs_.oneshot && previous.phase == Phase::kDone) phase_ = Phase::kDone;
}

// --- helpers

bool Supervisor::run_alive() const {
  return phase_ == Phase::kStarting || phase_ == Phase::kRunning || phase_ == Phase::kStopping;
}

bool Supervisor::at_rest() const {
  return phase_ == Phase::kDown || phase_ == Phase::kBackoff || phase_ == Phase::kFailed ||
         phase_ == Phase::kDone;
}

void Supervisor::signal_run(int signo) { effects_.send_signal(run_pid_, signo); }

StatusRecord Supervisor::record() const {
  StatusRecord record;
  record.since = since_;
  record.paused = paused_;
  record.want_up = want_ == Want::kUp;
  record.got_term = got_term_;
  if (run_alive()) {
    record.state = RunState::kRun;
    record.pid = run_pid_;
  } else if (phase_ == Phase::kFinishing) {
    record.state = RunState::kFinish;
    record.pid = finish_pid_;
  }
  StatusExtension extension;
  const bool ready = run_alive() && !ready_since_.is_zero();
  extension.ready_since = ready ? ready_since_ : Tai64n{};
  extension.last_wait_status = last_wait_status_;
  extension.start_count = start_count_;
  if (ready) extension.flags |= StatusExtension::kFlagReady;
  if (adopted_) extension.flags |= StatusExtension::kFlagAdopted;
  if (knobs_.essential) extension.flags |= StatusExtension::kFlagEssential;
  if (once_) extension.flags |= StatusExtension::kFlagOnce;
  if (drain_) extension.flags |= StatusExtension::kFlagDrain;
  extension.run_start_time = run_alive() ? run_start_time_ : 0;
  extension.phase = phase_;
  extension.failed_starts = failed_starts_;
  extension.next_start = next_start_;
  extension.restart_delay_ms = current_delay_ms_;
  extension.health = static_cast<uint8_t>(health_);
  record.extension = extension;
  return record;
}

void Supervisor::announce() {
  StatusRecord now = record();
  const bool want_exit = want_ == Want::kExit;
  if (published_ && *published_ == now && published_want_exit_ == want_exit) return;
  effects_.publish(now, want_exit);
  published_ = std::move(now);
  published_want_exit_ = want_exit;
}

// --- health checks: run while run is alive and not asked to stop (starting, running)
//
// The first pass makes the service ready (s6-notifyoncheck); check-retries failures in a
// row restart it through the stop path (an asked end: never a failed start, never the end
// of an essential service's tree). One timer at a time: the next check, or the timeout of
// the one in flight; a service without a check arms none.

bool Supervisor::checks_apply() const {
  // A oneshot is ready when done (issue 14): no check makes it ready while it runs.
  return knobs_.check != ServiceKnobs::CheckKind::kNone && !knobs_.oneshot &&
         (phase_ == Phase::kStarting || phase_ == Phase::kRunning);
}

void Supervisor::start_check_cycle(bool was_ready) {
  health_ = Health::kUnknown;
  check_failures_ = 0;
  if (!checks_apply()) return;
  if (!was_ready) {
    // Ready means healthy now: not at the start, not on the notification-fd alone.
    phase_ = Phase::kStarting;
    ready_since_ = Tai64n{};
  }
  effects_.arm_timer(TimerKind::kCheck,
                     std::min<int64_t>(knobs_.check_interval_ms, kFirstCheckDelayMs));
}

void Supervisor::end_check_cycle() {
  if (checking_) effects_.stop_check();
  checking_ = false;
  health_ = Health::kUnknown;
  check_failures_ = 0;
  effects_.cancel_timer(TimerKind::kCheck);
  effects_.cancel_timer(TimerKind::kCheckTimeout);
}

void Supervisor::on_check_due() {
  if (!checks_apply() || checking_) return;  // stopping: the cycle ends with run
  if (paused_) {
    // A stopped process cannot answer; p is the operator's, not a failure.
    effects_.arm_timer(TimerKind::kCheck, knobs_.check_interval_ms);
    return;
  }
  checking_ = true;
  effects_.start_check(knobs_);
  effects_.arm_timer(TimerKind::kCheckTimeout, knobs_.check_timeout_ms);
}

void Supervisor::on_check_timeout() {
  if (!checking_) return;
  effects_.stop_check();
  checking_ = false;
  if (!checks_apply()) return;
  check_failed("no answer within " + std::to_string(knobs_.check_timeout_ms) +
               " ms (check-timeout)");
  announce();
}

void Supervisor::on_check_passed() {
  if (!checking_) return;
  checking_ = false;
  effects_.cancel_timer(TimerKind::kCheckTimeout);
  if (!checks_apply()) return;
  check_failures_ = 0;
  health_ = Health::kPassing;
  if (phase_ == Phase::kStarting) {
    phase_ = Phase::kRunning;
    ready_since_ = clock_.wall();
  }
  effects_.arm_timer(TimerKind::kCheck, knobs_.check_interval_ms);
  announce();
}

void Supervisor::on_check_failed(std::string_view reason) {
  if (!checking_) return;
  checking_ = false;
  effects_.cancel_timer(TimerKind::kCheckTimeout);
  if (!checks_apply()) return;
  check_failed(reason);
  announce();
}

void Supervisor::check_failed(std::string_view reason) {
  ++check_failures_;
  health_ = Health::kFailing;
  emit_event("check-failed",
             {{"check", check_kind_name(knobs_.check)},
              {"reason", std::string(reason)},
              {"failures", std::to_string(check_failures_)},
              {"retries", std::to_string(knobs_.check_retries)}});
  const std::string retries = std::to_string(knobs_.check_retries);
  effects_.warn(dir_ + ": check failed " + std::to_string(check_failures_) + " of " + retries +
                ": " + std::string(reason));
  if (check_failures_ < knobs_.check_retries) {
    effects_.arm_timer(TimerKind::kCheck, knobs_.check_interval_ms);
    return;
  }
  effects_.warn(dir_ + ": check failed " + retries + " times in a row (check-retries); restarting " +
                "run with " + std::string(signal_name(knobs_.down_signal)));
  // An asked end: the stop path, as r takes it, but past the control/t script (no
  // operator asked); the wish stays, so run starts again once it has ended.
  stop_run(false);
}

}  // namespace svtree::supervise
