// SPDX-License-Identifier: MIT
// The supervision rules of runsv (runit 2.1.2, man runsv(8)) plus svtree's knobs, as events.
#include "supervisor.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "svtree/diag.hpp"
#include "svtree/process.hpp"

namespace svtree::supervise {
namespace {

// A run that cannot be executed counts as an exit with code 111 (runit, DESIGN.md §2).
constexpr int kSpawnFailureWaitStatus = 111 << 8;
// Bound on control bytes waiting behind a control/C script: a flood of bytes cannot grow
// our memory (runit would leave them in the FIFO; it blocks while the script runs).
constexpr size_t kMaxQueuedControl = 256;
// A spawn that failed for a reason other than the file itself (EAGAIN, ENOMEM) retries
// after this floor even when restart-delay is 0, so the loop cannot spin.
constexpr int64_t kSpawnErrorRetryFloorMs = 1000;

bool is_run_file_problem(int code) {
  return code == ENOENT || code == EACCES || code == ENOEXEC || code == ENOTDIR || code == EISDIR ||
         code == ELOOP || code == ETXTBSY;
}

std::string spawn_hint(int code, const std::string& run_path) {
  switch (code) {
    case ENOENT:
      return "; create it and make it executable: chmod +x " + run_path;
    case EACCES:
      return "; make it executable: chmod +x " + run_path;
    case ENOEXEC:
      return "; start it with a #! line naming its interpreter";
    case ETXTBSY:
      return "; it is still being written; retrying";
    default:
      return "; retrying";
  }
}

}  // namespace

Supervisor::Supervisor(std::string dir, Effects& effects, const Clock& clock)
    : dir_(std::move(dir)), effects_(effects), clock_(clock) {}

void Supervisor::start(const std::optional<Adoption>& adoption) {
  knobs_ = effects_.load_knobs();
  current_delay_ms_ = knobs_.restart_delay_ms;
  want_ = knobs_.down ? Want::kDown : Want::kUp;
  if (adoption) {
    // DESIGN.md §3 Orphans: take over the wishes and the start stamp the dead supervisor
    // left, so `sv status` keeps counting from the real start.
    const StatusRecord& previous = adoption->previous;
    run_pid_ = adoption->pid;
    state_ = RunState::kRun;
    adopted_ = true;
    since_ = previous.since;
    paused_ = previous.paused;
    want_ = previous.want_up ? Want::kUp : Want::kDown;
    if (previous.extension && previous.extension->ready()) {
      ready_ = true;
      ready_since_ = previous.extension->ready_since;
    } else if (!knobs_.notification_fd) {
      ready_ = true;
      ready_since_ = since_;
    }
    // Its start time is unknown to our clock: let a death restart at once.
    last_start_ms_ = clock_.monotonic_ms() - knobs_.restart_delay_max_ms;
    publish();
    return;
  }
  if (want_ == Want::kUp) {
    start_run();
    return;
  }
  since_ = clock_.wall();
  publish();
}

// --- control

void Supervisor::on_control_bytes(std::string_view bytes) {
  for (const char byte : bytes) {
    if (exiting_) return;
    const auto command = parse_control_byte(byte);
    if (!command) continue;  // garbage is harmless (runit ignores unknown bytes too)
    if (script_pid_ != 0) {
      if (queued_control_.size() < kMaxQueuedControl) queued_control_.push_back(byte);
      continue;
    }
    apply_command(*command);
  }
}

void Supervisor::on_terminate_signal() { on_control_bytes("x"); }

void Supervisor::on_hangup_signal() {
  if (exiting_) return;
  hangup_exit_ = true;
  if (want_ == Want::kUp) want_ = Want::kDown;
  effects_.cancel_timer(TimerKind::kRestart);
  publish();
  if (state_ == RunState::kDown) finish_exiting(0);
}

void Supervisor::on_service_dir_gone() {
  if (exiting_) return;
  effects_.warn(dir_ + " was removed or renamed; stopping its service and exiting");
  on_control_bytes("x");
}

// runsv(8): "For each control character c sent to the control pipe, runsv first checks if
// service/control/c exists and is executable. If so, it starts service/control/c and waits
// for it to terminate, before interpreting the command. If the program exits with return
// code 0, runsv refrains from sending the service the corresponding signal. The command o
// is always considered as command u. On command d first service/control/t is checked, and
// then service/control/d. On command x first service/control/t is checked, and then
// service/control/x." We start the script and carry on at its exit instead of waiting.
void Supervisor::apply_command(Command command) {
  pending_command_ = command;
  switch (command) {
    case Command::kUp:
    case Command::kOnce:
      if (begin_script('u', Step::kPre)) return;
      break;
    case Command::kDown:
    case Command::kExit:
      want_ = command == Command::kDown ? Want::kDown : Want::kExit;
      effects_.cancel_timer(TimerKind::kRestart);
      publish();
      if (!service_running()) {
        if (command == Command::kExit && state_ == RunState::kDown) finish_exiting(0);
        return;
      }
      if (begin_script('t', Step::kPre)) return;
      break;
    case Command::kRestart:
      if (service_running() && begin_script('t', Step::kPre)) return;
      break;
    default:
      if (service_running() && begin_script(control_byte(command), Step::kPre)) return;
      break;
  }
  continue_command(false);
}

void Supervisor::continue_command(bool overridden) {
  const Command command = pending_command_;
  run_default_action(command, overridden);
  if (exiting_) return;
  if (command == Command::kDown || command == Command::kExit) {
    // The d and x scripts run after the stop, whatever they exit with (runsv's order).
    begin_script(command == Command::kDown ? 'd' : 'x', Step::kPost);
  }
}

void Supervisor::run_default_action(Command command, bool overridden) {
  switch (command) {
    case Command::kUp:
      want_ = Want::kUp;
      publish();
      if (state_ == RunState::kDown) start_run();
      return;
    case Command::kOnce:
      want_ = Want::kDown;
      publish();
      if (state_ == RunState::kDown) start_run();
      return;
    case Command::kDown:
    case Command::kExit:
      if (service_running())
        stop_service(overridden);
      else if (command == Command::kExit && state_ == RunState::kDown)
        finish_exiting(0);
      return;
    case Command::kRestart:
      // s6's r: stop run as d would, but keep wanting it up, so it starts again.
      if (service_running()) {
        stop_service(overridden);
      } else if (state_ == RunState::kDown) {
        want_ = Want::kUp;
        start_run();
      }
      return;
    case Command::kTerm:
      if (!service_running() || overridden) return;
      asked_ = true;
      signal_run(SIGTERM);
      got_term_ = true;
      // runsv's stopservice(): CONT follows only when the service is wanted down.
      if (want_ != Want::kUp) signal_run(SIGCONT);
      publish();
      return;
    case Command::kPause:
      if (service_running() && !overridden) signal_run(SIGSTOP);
      paused_ = true;
      publish();
      return;
    case Command::kCont:
      if (service_running() && !overridden) signal_run(SIGCONT);
      paused_ = false;
      publish();
      return;
    default:
      if (!service_running() || overridden) return;
      asked_ = true;
      signal_run(signal_of(command));
      return;
  }
}

void Supervisor::stop_service(bool overridden) {
  asked_ = true;
  if (!overridden) {
    signal_run(knobs_.down_signal);
    got_term_ = true;
    if (knobs_.timeout_kill_ms > 0) effects_.arm_timer(TimerKind::kKill, knobs_.timeout_kill_ms);
  }
  // A stopped process cannot act on the down signal: CONT always follows it (s6; runit
  // sends it when the service is wanted down or out).
  signal_run(SIGCONT);
  publish();
}

bool Supervisor::begin_script(char letter, Step step) {
  auto pid = effects_.start_control_script(letter);
  if (!pid) {
    effects_.warn(pid.error().message());
    return false;
  }
  if (*pid == 0) return false;
  script_pid_ = *pid;
  pending_step_ = step;
  return true;
}

void Supervisor::on_control_script_exit(int wait_status) {
  if (script_pid_ == 0) return;
  script_pid_ = 0;
  const Step step = std::exchange(pending_step_, Step::kNone);
  if (exiting_) return;
  if (step == Step::kPre) {
    const bool overridden = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    continue_command(overridden);
  }
  drain_queue();
}

void Supervisor::drain_queue() {
  while (script_pid_ == 0 && !exiting_ && !queued_control_.empty()) {
    const char byte = queued_control_.front();
    queued_control_.pop_front();
    if (const auto command = parse_control_byte(byte)) apply_command(*command);
  }
}

// --- run and finish

void Supervisor::start_run() {
  if (exiting_) return;
  effects_.cancel_timer(TimerKind::kRestart);
  knobs_ = effects_.load_knobs();
  auto pid = effects_.start_run(knobs_);
  last_start_ms_ = clock_.monotonic_ms();
  if (!pid) {
    const int code = pid.error().code;
    if (!run_missing_) {
      const std::string run_path = dir_ + "/run";
      effects_.warn("unable to start ./run in " + dir_ + ": " + std::strerror(code) +
                    spawn_hint(code, run_path));
    }
    run_missing_ = true;
    spawn_error_code_ = code;
    effects_.watch_for_run(true);
    run_ended(kSpawnFailureWaitStatus);
    return;
  }
  if (run_missing_) {
    run_missing_ = false;
    effects_.watch_for_run(false);
  }
  run_pid_ = *pid;
  state_ = RunState::kRun;
  since_ = clock_.wall();
  ++start_count_;
  asked_ = false;
  got_term_ = false;
  paused_ = false;  // runsv: a new run starts unpaused
  adopted_ = false;
  // Without notification-fd a service counts as ready when it starts (s6).
  ready_ = !knobs_.notification_fd.has_value();
  ready_since_ = ready_ ? since_ : Tai64n{};
  publish();
}

void Supervisor::on_run_exit(std::optional<int> wait_status) {
  if (run_pid_ == 0) return;
  effects_.release_run();
  effects_.cancel_timer(TimerKind::kKill);
  run_pid_ = 0;
  adopted_ = false;
  run_ended(wait_status);
}

void Supervisor::run_ended(std::optional<int> wait_status) {
  const int64_t now = clock_.monotonic_ms();
  const int64_t lived = now - last_start_ms_;
  // restart-delay is the least time between two starts (runit: one per second); each run
  // that dies sooner than the current delay doubles it up to restart-delay-max, and a run
  // that outlives the cap resets it (DESIGN.md §2).
  restart_at_ms_ = std::max(now, last_start_ms_ + current_delay_ms_);
  if (lived < current_delay_ms_) {
    current_delay_ms_ = static_cast<uint32_t>(
        std::min<int64_t>(int64_t{current_delay_ms_} * 2, knobs_.restart_delay_max_ms));
  } else if (lived >= knobs_.restart_delay_max_ms) {
    current_delay_ms_ = knobs_.restart_delay_ms;
  }
  current_delay_ms_ = std::max(current_delay_ms_, knobs_.restart_delay_ms);

  last_wait_status_ =
      wait_status ? static_cast<uint32_t>(*wait_status) : StatusExtension::kNoWaitStatus;
  got_term_ = false;
  ready_ = false;
  ready_since_ = Tai64n{};
  if (knobs_.essential && want_ == Want::kUp && !asked_ && !hangup_exit_ && !run_missing_)
    essential_ended_ = true;

  // finish gets runit's two arguments; an adopted run's status is unknown: -1 0.
  const ExitDescription exit =
      wait_status ? describe_wait_status(*wait_status) : ExitDescription{-1, 0, 0};
  auto finish = effects_.start_finish(exit.finish_code, exit.finish_status);
  if (!finish) effects_.warn(finish.error().message());
  if (finish && *finish != 0) {
    finish_pid_ = *finish;
    state_ = RunState::kFinish;
    if (knobs_.timeout_finish_ms > 0)
      effects_.arm_timer(TimerKind::kFinishTimeout, knobs_.timeout_finish_ms);
    publish();
    return;
  }
  enter_down();
}

void Supervisor::on_finish_exit(int wait_status) {
  if (finish_pid_ == 0) return;
  finish_pid_ = 0;
  effects_.cancel_timer(TimerKind::kFinishTimeout);
  // s6: a finish exiting 125 means "do not restart".
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 125 && want_ == Want::kUp)
    want_ = Want::kDown;
  enter_down();
}

void Supervisor::enter_down() {
  state_ = RunState::kDown;
  since_ = clock_.wall();
  const bool ending = essential_ended_ || want_ == Want::kExit || hangup_exit_;
  const int64_t delay = !ending && want_ == Want::kUp ? restart_delay_ms() : -1;
  // A down state that the restart below replaces at once is not written at all (s6 does
  // the same): the new run's record carries the death's wait status, and clients see one
  // change instead of two, sooner.
  if (delay != 0) publish();
  if (essential_ended_) {
    finish_exiting(diag::kExitEssentialEnded);
    return;
  }
  if (ending) {
    finish_exiting(0);
    return;
  }
  if (delay == 0) {
    start_run();
  } else if (delay > 0) {
    effects_.arm_timer(TimerKind::kRestart, delay);
  }
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

void Supervisor::on_run_may_have_appeared() {
  if (!run_missing_ || exiting_ || state_ != RunState::kDown || want_ != Want::kUp) return;
  const int64_t delay = std::max<int64_t>(0, restart_at_ms_ - clock_.monotonic_ms());
  // Through the timer even at 0 ms: a burst of inotify events makes one start.
  effects_.arm_timer(TimerKind::kRestart, delay);
}

void Supervisor::on_timer(TimerKind kind) {
  if (exiting_) return;
  switch (kind) {
    case TimerKind::kRestart: {
      if (state_ != RunState::kDown || want_ != Want::kUp) return;
      // The loop's timer counts from the start of its iteration: it may fire a little
      // before the throttle's deadline, which is kept to the millisecond.
      const int64_t early = restart_at_ms_ - clock_.monotonic_ms();
      if (early > 0) {
        effects_.arm_timer(TimerKind::kRestart, early);
        return;
      }
      start_run();
      return;
    }
    case TimerKind::kKill:
      if (!service_running()) return;
      effects_.warn(dir_ + "/run did not stop within " + std::to_string(knobs_.timeout_kill_ms) +
                    " ms (timeout-kill); sending SIGKILL to its process group");
      effects_.send_group_signal(run_pid_, SIGKILL);
      effects_.send_signal(run_pid_, SIGKILL);
      return;
    case TimerKind::kFinishTimeout:
      if (finish_pid_ == 0) return;
      effects_.warn(dir_ + "/finish still runs after " + std::to_string(knobs_.timeout_finish_ms) +
                    " ms (timeout-finish); sending it SIGKILL");
      effects_.send_group_signal(finish_pid_, SIGKILL);
      effects_.send_signal(finish_pid_, SIGKILL);
      return;
  }
}

void Supervisor::on_ready() {
  if (!service_running() || ready_ || exiting_) return;
  ready_ = true;
  ready_since_ = clock_.wall();
  publish();
}

// --- helpers

void Supervisor::signal_run(int signo) { effects_.send_signal(run_pid_, signo); }

StatusRecord Supervisor::record() const {
  StatusRecord record;
  record.since = since_;
  record.pid = state_ == RunState::kFinish ? finish_pid_ : run_pid_;
  record.paused = paused_;
  record.want_up = want_ == Want::kUp;
  record.got_term = got_term_;
  record.state = state_;
  StatusExtension extension;
  extension.ready_since = ready_ ? ready_since_ : Tai64n{};
  extension.last_wait_status = last_wait_status_;
  extension.start_count = start_count_;
  if (ready_) extension.flags |= StatusExtension::kFlagReady;
  if (adopted_) extension.flags |= StatusExtension::kFlagAdopted;
  if (knobs_.essential) extension.flags |= StatusExtension::kFlagEssential;
  record.extension = extension;
  return record;
}

void Supervisor::publish() { effects_.publish(record(), want_ == Want::kExit); }

void Supervisor::finish_exiting(int code) {
  if (exiting_) return;
  exiting_ = true;
  effects_.cancel_timer(TimerKind::kRestart);
  effects_.cancel_timer(TimerKind::kKill);
  effects_.cancel_timer(TimerKind::kFinishTimeout);
  effects_.exit(code);
}

}  // namespace svtree::supervise
