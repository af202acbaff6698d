// SPDX-License-Identifier: MIT
// One test per cell of supervise's state table (phase × event), written by hand from the
// table in man/supervise.8 (STATE TABLE), not derived from the production code: each row
// says where the service goes, which signals leave, whether run starts, what the wish
// becomes, whether the supervisor exits, and whether the event publishes a record.
#include <gtest/gtest.h>

#include <csignal>
#include <ostream>
#include <string>
#include <vector>

#include "fake_effects.hpp"
#include "svtree/signal_name.hpp"

namespace svtree::supervise {
namespace {

enum class Event {
  kUp, kOnce, kDown, kExit, kRestart, kTerm, kKill, kPause, kCont, kHup,
  kSigTerm, kSigHup, kRunExit, kFinishExit, kRestartTimer, kKillTimer, kFinishTimer,
  kReady, kRunAppeared, kDirGone, kDepsChanged,
};

const char* event_name(Event e) {
  switch (e) {
    case Event::kUp: return "u";
    case Event::kOnce: return "o";
    case Event::kDown: return "d";
    case Event::kExit: return "x";
    case Event::kRestart: return "r";
    case Event::kTerm: return "t";
    case Event::kKill: return "k";
    case Event::kPause: return "p";
    case Event::kCont: return "c";
    case Event::kHup: return "h";
    case Event::kSigTerm: return "SIGTERM";
    case Event::kSigHup: return "SIGHUP";
    case Event::kRunExit: return "RunExit";
    case Event::kFinishExit: return "FinishExit";
    case Event::kRestartTimer: return "RestartTimer";
    case Event::kKillTimer: return "KillTimer";
    case Event::kFinishTimer: return "FinishTimer";
    case Event::kReady: return "Ready";
    case Event::kRunAppeared: return "RunAppeared";
    case Event::kDirGone: return "DirGone";
    case Event::kDepsChanged: return "DepsChanged";
  }
  return "?";
}

const char* phase_label(Phase p) {
  switch (p) {
    case Phase::kDown: return "Down";
    case Phase::kStarting: return "Starting";
    case Phase::kRunning: return "Running";
    case Phase::kStopping: return "Stopping";
    case Phase::kFinishing: return "Finishing";
    case Phase::kBackoff: return "Backoff";
    case Phase::kFailed: return "Failed";
    case Phase::kDone: return "Done";
    case Phase::kExiting: return "Exiting";
  }
  return "?";
}

/// One cell. signals: every signal sent (to run or finish), by name, in order.
struct Cell {
  Phase phase;
  Event event;
  Phase next;
  const char* signals;
  bool starts_run;
  char want;       // byte 17 after the event
  int exit_code;   // -1: the supervisor does not exit
  bool publishes;  // the event writes a new record
};

void PrintTo(const Cell& cell, std::ostream* out) {
  *out << phase_label(cell.phase) << " × " << event_name(cell.event);
}

constexpr Phase D = Phase::kDown, S = Phase::kStarting, R = Phase::kRunning,
                T = Phase::kStopping, F = Phase::kFinishing, B = Phase::kBackoff,
                L = Phase::kFailed, X = Phase::kExiting, O = Phase::kDone;
constexpr bool Y = true, N = false;

// How each phase is entered (the fixture below): down: `down` file; starting: run started,
// notification-fd set; running: starting + ready; stopping: running + d (want down, kill
// timer armed); finishing: running, lived 5 s, exited 1, ./finish runs (want up); backoff:
// running, died at once, finish done, restart timer armed (want up); exiting: down + x.
// done (issue 14): a oneshot (type oneshot, with ./stop) started, exited 0 after 5 s,
// ./finish exited 0 (want up).
// running, died at once, finish done, restart timer armed (want up); failed: as backoff
// with max-restarts 0, so the first failed start gives up (want down); exiting: down + x.
// Then 5 s pass before the event, so every throttle is over.
const Cell kCells[] = {
    // phase down: nothing runs, want down
    {D, Event::kUp, S, "", Y, 'u', -1, Y},
    {D, Event::kOnce, S, "", Y, 'd', -1, Y},
    {D, Event::kDown, D, "", N, 'd', -1, N},
    {D, Event::kExit, X, "", N, 'd', 0, Y},
    {D, Event::kRestart, S, "", Y, 'u', -1, Y},
    {D, Event::kTerm, D, "", N, 'd', -1, N},
    {D, Event::kKill, D, "", N, 'd', -1, N},
    {D, Event::kPause, D, "", N, 'd', -1, Y},
    {D, Event::kCont, D, "", N, 'd', -1, N},
    {D, Event::kHup, D, "", N, 'd', -1, N},
    {D, Event::kSigTerm, X, "", N, 'd', 0, Y},
    {D, Event::kSigHup, X, "", N, 'd', 0, Y},
    {D, Event::kRunExit, D, "", N, 'd', -1, N},
    {D, Event::kFinishExit, D, "", N, 'd', -1, N},
    {D, Event::kRestartTimer, D, "", N, 'd', -1, N},
    {D, Event::kKillTimer, D, "", N, 'd', -1, N},
    {D, Event::kFinishTimer, D, "", N, 'd', -1, N},
    {D, Event::kReady, D, "", N, 'd', -1, N},
    {D, Event::kRunAppeared, D, "", N, 'd', -1, N},
    {D, Event::kDirGone, X, "", N, 'd', 0, Y},
    {D, Event::kDepsChanged, D, "", N, 'd', -1, N},
    // phase starting: run alive, not ready, want up
    {S, Event::kUp, S, "", N, 'u', -1, N},
    {S, Event::kOnce, S, "", N, 'd', -1, Y},
    {S, Event::kDown, T, "TERM CONT", N, 'd', -1, Y},
    {S, Event::kExit, T, "TERM CONT", N, 'd', -1, Y},
    {S, Event::kRestart, T, "TERM CONT", N, 'u', -1, Y},
    {S, Event::kTerm, T, "TERM", N, 'u', -1, Y},
    {S, Event::kKill, T, "KILL", N, 'u', -1, Y},
    {S, Event::kPause, S, "STOP", N, 'u', -1, Y},
    {S, Event::kCont, S, "CONT", N, 'u', -1, N},
    {S, Event::kHup, S, "HUP", N, 'u', -1, N},
    {S, Event::kSigTerm, T, "TERM CONT", N, 'd', -1, Y},
    {S, Event::kSigHup, S, "", N, 'd', -1, Y},
    {S, Event::kRunExit, F, "", N, 'u', -1, Y},
    {S, Event::kFinishExit, S, "", N, 'u', -1, N},
    {S, Event::kRestartTimer, S, "", N, 'u', -1, N},
    {S, Event::kKillTimer, S, "", N, 'u', -1, N},
    {S, Event::kFinishTimer, S, "", N, 'u', -1, N},
    {S, Event::kReady, R, "", N, 'u', -1, Y},
    {S, Event::kRunAppeared, S, "", N, 'u', -1, N},
    {S, Event::kDirGone, T, "TERM CONT", N, 'd', -1, Y},
    {S, Event::kDepsChanged, S, "", N, 'u', -1, N},
    // phase running: run alive and ready, want up
    {R, Event::kUp, R, "", N, 'u', -1, N},
    {R, Event::kOnce, R, "", N, 'd', -1, Y},
    {R, Event::kDown, T, "TERM CONT", N, 'd', -1, Y},
    {R, Event::kExit, T, "TERM CONT", N, 'd', -1, Y},
    {R, Event::kRestart, T, "TERM CONT", N, 'u', -1, Y},
    {R, Event::kTerm, T, "TERM", N, 'u', -1, Y},
    {R, Event::kKill, T, "KILL", N, 'u', -1, Y},
    {R, Event::kPause, R, "STOP", N, 'u', -1, Y},
    {R, Event::kCont, R, "CONT", N, 'u', -1, N},
    {R, Event::kHup, R, "HUP", N, 'u', -1, N},
    {R, Event::kSigTerm, T, "TERM CONT", N, 'd', -1, Y},
    {R, Event::kSigHup, R, "", N, 'd', -1, Y},
    {R, Event::kRunExit, F, "", N, 'u', -1, Y},
    {R, Event::kFinishExit, R, "", N, 'u', -1, N},
    {R, Event::kRestartTimer, R, "", N, 'u', -1, N},
    {R, Event::kKillTimer, R, "", N, 'u', -1, N},
    {R, Event::kFinishTimer, R, "", N, 'u', -1, N},
    {R, Event::kReady, R, "", N, 'u', -1, N},
    {R, Event::kRunAppeared, R, "", N, 'u', -1, N},
    {R, Event::kDirGone, T, "TERM CONT", N, 'd', -1, Y},
    {R, Event::kDepsChanged, R, "", N, 'u', -1, N},
    // phase stopping: run alive, down signal sent by d, want down
    {T, Event::kUp, T, "", N, 'u', -1, Y},
    {T, Event::kOnce, T, "", N, 'd', -1, Y},
    {T, Event::kDown, T, "TERM CONT", N, 'd', -1, N},
    {T, Event::kExit, T, "TERM CONT", N, 'd', -1, Y},
    {T, Event::kRestart, T, "TERM CONT", N, 'u', -1, Y},
    {T, Event::kTerm, T, "TERM CONT", N, 'd', -1, N},
    {T, Event::kKill, T, "KILL", N, 'd', -1, N},
    {T, Event::kPause, T, "STOP", N, 'd', -1, Y},
    {T, Event::kCont, T, "CONT", N, 'd', -1, N},
    {T, Event::kHup, T, "HUP", N, 'd', -1, N},
    {T, Event::kSigTerm, T, "TERM CONT", N, 'd', -1, Y},
    {T, Event::kSigHup, T, "", N, 'd', -1, Y},
    {T, Event::kRunExit, F, "", N, 'd', -1, Y},
    {T, Event::kFinishExit, T, "", N, 'd', -1, N},
    {T, Event::kRestartTimer, T, "", N, 'd', -1, N},
    {T, Event::kKillTimer, T, "KILL", N, 'd', -1, N},
    {T, Event::kFinishTimer, T, "", N, 'd', -1, N},
    {T, Event::kReady, T, "", N, 'd', -1, N},
    {T, Event::kRunAppeared, T, "", N, 'd', -1, N},
    {T, Event::kDirGone, T, "TERM CONT", N, 'd', -1, Y},
    {T, Event::kDepsChanged, T, "", N, 'd', -1, N},
    // phase finishing: ./finish runs, want up
    {F, Event::kUp, F, "", N, 'u', -1, N},
    {F, Event::kOnce, F, "", N, 'd', -1, Y},
    {F, Event::kDown, F, "", N, 'd', -1, Y},
    {F, Event::kExit, F, "", N, 'd', -1, Y},
    {F, Event::kRestart, F, "", N, 'u', -1, N},
    {F, Event::kTerm, F, "", N, 'u', -1, N},
    {F, Event::kKill, F, "", N, 'u', -1, N},
    {F, Event::kPause, F, "", N, 'u', -1, Y},
    {F, Event::kCont, F, "", N, 'u', -1, N},
    {F, Event::kHup, F, "", N, 'u', -1, N},
    {F, Event::kSigTerm, F, "", N, 'd', -1, Y},
    {F, Event::kSigHup, F, "", N, 'd', -1, Y},
    {F, Event::kRunExit, F, "", N, 'u', -1, N},
    {F, Event::kFinishExit, S, "", Y, 'u', -1, Y},
    {F, Event::kRestartTimer, F, "", N, 'u', -1, N},
    {F, Event::kKillTimer, F, "", N, 'u', -1, N},
    {F, Event::kFinishTimer, F, "KILL", N, 'u', -1, N},
    {F, Event::kReady, F, "", N, 'u', -1, N},
    {F, Event::kRunAppeared, F, "", N, 'u', -1, N},
    {F, Event::kDirGone, F, "", N, 'd', -1, Y},
    {F, Event::kDepsChanged, F, "", N, 'u', -1, N},
    // phase backoff: nothing runs, restart timer armed, want up
    {B, Event::kUp, S, "", Y, 'u', -1, Y},
    {B, Event::kOnce, S, "", Y, 'd', -1, Y},
    {B, Event::kDown, D, "", N, 'd', -1, Y},
    {B, Event::kExit, X, "", N, 'd', 0, Y},
    {B, Event::kRestart, S, "", Y, 'u', -1, Y},
    {B, Event::kTerm, B, "", N, 'u', -1, N},
    {B, Event::kKill, B, "", N, 'u', -1, N},
    {B, Event::kPause, B, "", N, 'u', -1, Y},
    {B, Event::kCont, B, "", N, 'u', -1, N},
    {B, Event::kHup, B, "", N, 'u', -1, N},
    {B, Event::kSigTerm, X, "", N, 'd', 0, Y},
    {B, Event::kSigHup, X, "", N, 'd', 0, Y},
    {B, Event::kRunExit, B, "", N, 'u', -1, N},
    {B, Event::kFinishExit, B, "", N, 'u', -1, N},
    {B, Event::kRestartTimer, S, "", Y, 'u', -1, Y},
    {B, Event::kKillTimer, B, "", N, 'u', -1, N},
    {B, Event::kFinishTimer, B, "", N, 'u', -1, N},
    {B, Event::kReady, B, "", N, 'u', -1, N},
    {B, Event::kRunAppeared, B, "", N, 'u', -1, N},
    {B, Event::kDirGone, X, "", N, 'd', 0, Y},
    {B, Event::kDepsChanged, B, "", N, 'u', -1, N},
    // phase failed: gave up after max-restarts; nothing runs, want down until u or r
    {L, Event::kUp, S, "", Y, 'u', -1, Y},
    {L, Event::kOnce, S, "", Y, 'd', -1, Y},
    {L, Event::kDown, L, "", N, 'd', -1, N},
    {L, Event::kExit, X, "", N, 'd', 0, Y},
    {L, Event::kRestart, S, "", Y, 'u', -1, Y},
    {L, Event::kTerm, L, "", N, 'd', -1, N},
    {L, Event::kKill, L, "", N, 'd', -1, N},
    {L, Event::kPause, L, "", N, 'd', -1, Y},
    {L, Event::kCont, L, "", N, 'd', -1, N},
    {L, Event::kHup, L, "", N, 'd', -1, N},
    {L, Event::kSigTerm, X, "", N, 'd', 0, Y},
    {L, Event::kSigHup, X, "", N, 'd', 0, Y},
    {L, Event::kRunExit, L, "", N, 'd', -1, N},
    {L, Event::kFinishExit, L, "", N, 'd', -1, N},
    {L, Event::kRestartTimer, L, "", N, 'd', -1, N},
    {L, Event::kKillTimer, L, "", N, 'd', -1, N},
    {L, Event::kFinishTimer, L, "", N, 'd', -1, N},
    {L, Event::kReady, L, "", N, 'd', -1, N},
    {L, Event::kRunAppeared, L, "", N, 'd', -1, N},
    {L, Event::kDirGone, X, "", N, 'd', 0, Y},
    {L, Event::kDepsChanged, L, "", N, 'd', -1, N},
    // phase exiting: the supervisor is leaving; nothing happens any more
    {X, Event::kUp, X, "", N, 'd', -1, N},
    {X, Event::kOnce, X, "", N, 'd', -1, N},
    {X, Event::kDown, X, "", N, 'd', -1, N},
    {X, Event::kExit, X, "", N, 'd', -1, N},
    {X, Event::kRestart, X, "", N, 'd', -1, N},
    {X, Event::kTerm, X, "", N, 'd', -1, N},
    {X, Event::kKill, X, "", N, 'd', -1, N},
    {X, Event::kPause, X, "", N, 'd', -1, N},
    {X, Event::kCont, X, "", N, 'd', -1, N},
    {X, Event::kHup, X, "", N, 'd', -1, N},
    {X, Event::kSigTerm, X, "", N, 'd', -1, N},
    {X, Event::kSigHup, X, "", N, 'd', -1, N},
    {X, Event::kRunExit, X, "", N, 'd', -1, N},
    {X, Event::kFinishExit, X, "", N, 'd', -1, N},
    {X, Event::kRestartTimer, X, "", N, 'd', -1, N},
    {X, Event::kKillTimer, X, "", N, 'd', -1, N},
    {X, Event::kFinishTimer, X, "", N, 'd', -1, N},
    {X, Event::kReady, X, "", N, 'd', -1, N},
    {X, Event::kRunAppeared, X, "", N, 'd', -1, N},
    {X, Event::kDirGone, X, "", N, 'd', -1, N},
    {X, Event::kDepsChanged, X, "", N, 'd', -1, N},
    // phase done (issue 14): a oneshot succeeded, nothing runs, want up
    {O, Event::kUp, O, "", N, 'u', -1, N},
    {O, Event::kOnce, O, "", N, 'd', -1, Y},
    {O, Event::kDown, F, "", N, 'd', -1, Y},
    {O, Event::kExit, F, "", N, 'd', -1, Y},
    {O, Event::kRestart, S, "", Y, 'u', -1, Y},
    {O, Event::kTerm, S, "", Y, 'u', -1, Y},
    {O, Event::kKill, O, "", N, 'u', -1, N},
    {O, Event::kPause, O, "", N, 'u', -1, Y},
    {O, Event::kCont, O, "", N, 'u', -1, N},
    {O, Event::kHup, O, "", N, 'u', -1, N},
    {O, Event::kSigTerm, F, "", N, 'd', -1, Y},
    {O, Event::kSigHup, X, "", N, 'd', 0, Y},
    {O, Event::kRunExit, O, "", N, 'u', -1, N},
    {O, Event::kFinishExit, O, "", N, 'u', -1, N},
    {O, Event::kRestartTimer, O, "", N, 'u', -1, N},
    {O, Event::kKillTimer, O, "", N, 'u', -1, N},
    {O, Event::kFinishTimer, O, "", N, 'u', -1, N},
    {O, Event::kReady, O, "", N, 'u', -1, N},
    {O, Event::kRunAppeared, O, "", N, 'u', -1, N},
    {O, Event::kDirGone, F, "", N, 'd', -1, Y},
    {O, Event::kDepsChanged, O, "", N, 'u', -1, N},
};

class StateTable : public ::testing::TestWithParam<Cell> {
 protected:
  void SetUp() override {
    effects.have_finish = true;
    effects.knobs.notification_fd = 3;
    effects.knobs.timeout_kill_ms = 5000;
    effects.knobs.timeout_finish_ms = 5000;
    effects.knobs.restart_delay_ms = 1000;
    effects.knobs.restart_delay_max_ms = 4000;
  }

  void send(Command command) { supervisor.on_command(command); }

  /// Brings the supervisor into phase by the path the table's header describes.
  void enter(Phase phase) {
    if (phase == Phase::kDown || phase == Phase::kExiting) effects.knobs.down = true;
    if (phase == Phase::kDone) {
      effects.knobs.oneshot = true;
      effects.have_stop = true;
    }
    if (phase == Phase::kFailed) effects.knobs.max_restarts = 0;
    supervisor.start(std::nullopt);
    if (phase == Phase::kDone) {
      clock.now_ms += 5000;
      supervisor.on_run_exit(exited(0));
      supervisor.on_finish_exit(exited(0));
    }
    if (phase == Phase::kExiting) send(Command::kExit);
    if (phase == Phase::kRunning || phase == Phase::kStopping || phase == Phase::kFinishing ||
        phase == Phase::kBackoff || phase == Phase::kFailed)
      supervisor.on_ready();
    if (phase == Phase::kStopping) send(Command::kDown);
    if (phase == Phase::kFinishing) {
      clock.now_ms += 5000;
      supervisor.on_run_exit(exited(1));
    }
    if (phase == Phase::kBackoff || phase == Phase::kFailed) {
      supervisor.on_run_exit(exited(1));
      supervisor.on_finish_exit(exited(0));
    }
    effects.knobs.down = false;
    effects.knobs.max_restarts.reset();
    ASSERT_EQ(supervisor.phase(), phase) << "the fixture did not reach the phase";
    clock.now_ms += 5000;
    effects.signals.clear();
    effects.group_signals.clear();
    effects.exit_code.reset();
    runs_before = effects.runs.size();
    publishes_before = effects.published.size();
  }

  void fire(Event event) {
    switch (event) {
      case Event::kUp: send(Command::kUp); break;
      case Event::kOnce: send(Command::kOnce); break;
      case Event::kDown: send(Command::kDown); break;
      case Event::kExit: send(Command::kExit); break;
      case Event::kRestart: send(Command::kRestart); break;
      case Event::kTerm: send(Command::kTerm); break;
      case Event::kKill: send(Command::kKill); break;
      case Event::kPause: send(Command::kPause); break;
      case Event::kCont: send(Command::kCont); break;
      case Event::kHup: send(Command::kHup); break;
      case Event::kSigTerm: supervisor.on_terminate_signal(); break;
      case Event::kSigHup: supervisor.on_hangup_signal(); break;
      case Event::kRunExit: supervisor.on_run_exit(exited(2)); break;
      case Event::kFinishExit: supervisor.on_finish_exit(exited(0)); break;
      case Event::kRestartTimer: supervisor.on_timer(TimerKind::kRestart); break;
      case Event::kKillTimer: supervisor.on_timer(TimerKind::kKill); break;
      case Event::kFinishTimer: supervisor.on_timer(TimerKind::kFinishTimeout); break;
      case Event::kReady: supervisor.on_ready(); break;
      case Event::kRunAppeared: supervisor.on_run_may_have_appeared(); break;
      case Event::kDirGone: supervisor.on_service_dir_gone(); break;
      case Event::kDepsChanged: supervisor.on_dependencies_changed(); break;
    }
  }

  [[nodiscard]] std::string signals_sent() const {
    std::string names;
    for (const auto& [pid, signo] : effects.signals) {
      if (!names.empty()) names += ' ';
      names += signal_name(signo);
    }
    return names;
  }

  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
  size_t runs_before = 0;
  size_t publishes_before = 0;
};

TEST_P(StateTable, Cell) {
  const Cell& cell = GetParam();
  ASSERT_NO_FATAL_FAILURE(enter(cell.phase));
  fire(cell.event);
  EXPECT_EQ(phase_label(supervisor.phase()), std::string(phase_label(cell.next)));
  EXPECT_EQ(signals_sent(), cell.signals);
  EXPECT_EQ(effects.runs.size() > runs_before, cell.starts_run);
  EXPECT_EQ(supervisor.record().want_up ? 'u' : 'd', cell.want);
  EXPECT_EQ(effects.exit_code.value_or(-1), cell.exit_code);
  const size_t published = effects.published.size() - publishes_before;
  // One event, at most one record (s6's announce).
  EXPECT_LE(published, 1u);
  EXPECT_EQ(published == 1, cell.publishes);
  if (cell.event == Event::kKillTimer && cell.signals[0] != '\0') {
    EXPECT_EQ(effects.group_signals.size(), 1u);  // timeout-kill: the whole process group
  }
}

std::string cell_name(const ::testing::TestParamInfo<Cell>& info) {
  std::string name = std::string(phase_label(info.param.phase)) + "_";
  for (const char* c = event_name(info.param.event); *c != '\0'; ++c) {
    const char ch = *c;
    name += (ch >= 'a' && ch <= 'z') && c == event_name(info.param.event) && c[1] == '\0'
                ? std::string("Letter_") + ch
                : std::string(1, ch);
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(SupervisePhases, StateTable, ::testing::ValuesIn(kCells), cell_name);

TEST(StateTableShape, EveryReachablePhaseHasEveryEvent) {
  // 9 phases × 21 events: every phase is reachable.
  EXPECT_EQ(std::size(kCells), 9u * 21u);
}

// The cells the restart policy decides (man supervise.8, STATE TABLE, the rows "run ended"
// and "finish ended" with min-uptime, max-restarts, restart, success-codes, essential).
// The service runs (ready at start, no notification-fd), then run ends with run_status,
// after 5 s (a run that lived min-uptime) or at once (a failed start); with ./finish the
// event is finish's end, else run's. A start goes straight to running (no notification-fd).
struct PolicyCell {
  const char* name;
  int run_status;
  bool quick;  // died at once: a failed start
  RestartPolicy restart;
  std::optional<uint32_t> max_restarts;
  bool essential;
  bool have_finish;
  Phase next;
  bool starts_run;  // at once, or through the restart timer (Backoff)
  char want;
  int exit_code;
};

void PrintTo(const PolicyCell& cell, std::ostream* out) { *out << cell.name; }

constexpr RestartPolicy kAlways = RestartPolicy::kAlways;
constexpr RestartPolicy kOnFailure = RestartPolicy::kOnFailure;
constexpr RestartPolicy kNever = RestartPolicy::kNever;

const PolicyCell kPolicyCells[] = {
    // name, status, quick, restart, max-restarts, essential, finish, next, starts, want, exit
    {"LongRunRestartsAtOnce", 1 << 8, N, kAlways, {}, N, Y, R, Y, 'u', -1},
    {"FailedStartBacksOff", 1 << 8, Y, kAlways, {}, N, Y, B, N, 'u', -1},
    {"FailedStartWithinMaxRestartsBacksOff", 1 << 8, Y, kAlways, 1u, N, Y, B, N, 'u', -1},
    {"FailedStartBeyondMaxRestartsFails", 1 << 8, Y, kAlways, 0u, N, Y, L, N, 'd', -1},
    {"FailedStartBeyondMaxRestartsFailsWithoutFinish", 1 << 8, Y, kAlways, 0u, N, N, L, N, 'd', -1},
    {"EssentialGivingUpExits99", 1 << 8, Y, kAlways, 0u, Y, Y, X, N, 'd', 99},
    {"EssentialWithMaxRestartsBacksOffUntilThen", 1 << 8, Y, kAlways, 1u, Y, Y, B, N, 'u', -1},
    {"EssentialWithoutMaxRestartsExits99", 1 << 8, Y, kAlways, {}, Y, Y, X, N, 'u', 99},
    {"OnFailureAfterSuccessStaysDown", 0, N, kOnFailure, {}, N, Y, D, N, 'd', -1},
    {"OnFailureAfterAnotherSuccessCodeStaysDown", 2 << 8, N, kOnFailure, {}, N, Y, D, N, 'd', -1},
    {"OnFailureAfterFailureRestarts", 1 << 8, N, kOnFailure, {}, N, Y, R, Y, 'u', -1},
    {"OnFailureAfterSignalRestarts", SIGSEGV, N, kOnFailure, {}, N, N, R, Y, 'u', -1},
    {"OnFailureQuickSuccessStaysDownNotFailed", 0, Y, kOnFailure, 0u, N, Y, D, N, 'd', -1},
    {"NeverAfterFailureStaysDown", 1 << 8, N, kNever, {}, N, Y, D, N, 'd', -1},
    {"NeverWithoutFinishStaysDown", 0, N, kNever, {}, N, N, D, N, 'd', -1},
};

class PolicyTable : public ::testing::TestWithParam<PolicyCell> {
 protected:
  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
};

// --- health checks (check-interval, check-tcp, check-http): their own cells, in their own
// table (man supervise.8, STATE TABLE, "check" rows). The fixture runs a built-in check
// every 1000 ms, timeout 2000 ms, 3 retries, no notification-fd; timeout-kill 5000 ms.

enum class CheckEvent { kDue, kTimeout, kPassed, kFailed, kFailedLast };

const char* check_event_name(CheckEvent e) {
  switch (e) {
    case CheckEvent::kDue: return "CheckDue";
    case CheckEvent::kTimeout: return "CheckTimeout";
    case CheckEvent::kPassed: return "CheckPassed";
    case CheckEvent::kFailed: return "CheckFailed";
    case CheckEvent::kFailedLast: return "CheckFailedLast";
  }
  return "?";
}

/// One cell. timers: the timers armed by the event and still armed after it ("C" check,
/// "T" check timeout, "K" kill); health: byte 67 after it.
struct CheckCell {
  Phase phase;
  CheckEvent event;
  Phase next;
  const char* signals;
  bool starts_check;
  bool stops_check;
  const char* timers;
  Health health;
  bool publishes;
};

void PrintTo(const CheckCell& cell, std::ostream* out) {
  *out << phase_label(cell.phase) << " × " << check_event_name(cell.event);
}

constexpr Health H0 = Health::kUnknown, H1 = Health::kPassing, H2 = Health::kFailing;

// How each phase is entered: as for the main table, with the check. starting: run started
// (the check makes it starting); running: starting + a check passed; stopping: running + a
// check in flight + d. For the answer events (timeout, passed, failed) a check is in flight
// first in starting and running; for CheckFailedLast, two checks have failed before it (in
// stopping too, before d).
const CheckCell kCheckCells[] = {
    {D, CheckEvent::kDue, D, "", N, N, "", H0, N},
    {D, CheckEvent::kTimeout, D, "", N, N, "", H0, N},
    {D, CheckEvent::kPassed, D, "", N, N, "", H0, N},
    {D, CheckEvent::kFailed, D, "", N, N, "", H0, N},
    {D, CheckEvent::kFailedLast, D, "", N, N, "", H0, N},
    {S, CheckEvent::kDue, S, "", Y, N, "T", H0, N},
    {S, CheckEvent::kTimeout, S, "", N, Y, "C", H2, Y},
    {S, CheckEvent::kPassed, R, "", N, N, "C", H1, Y},
    {S, CheckEvent::kFailed, S, "", N, N, "C", H2, Y},
    {S, CheckEvent::kFailedLast, T, "TERM CONT", N, N, "K", H2, Y},
    {R, CheckEvent::kDue, R, "", Y, N, "T", H1, N},
    {R, CheckEvent::kTimeout, R, "", N, Y, "C", H2, Y},
    {R, CheckEvent::kPassed, R, "", N, N, "C", H1, N},
    {R, CheckEvent::kFailed, R, "", N, N, "C", H2, Y},
    {R, CheckEvent::kFailedLast, T, "TERM CONT", N, N, "K", H2, Y},
    {T, CheckEvent::kDue, T, "", N, N, "", H1, N},
    {T, CheckEvent::kTimeout, T, "", N, Y, "", H1, N},
    {T, CheckEvent::kPassed, T, "", N, N, "", H1, N},
    {T, CheckEvent::kFailed, T, "", N, N, "", H1, N},
    {T, CheckEvent::kFailedLast, T, "", N, N, "", H2, N},
    {F, CheckEvent::kDue, F, "", N, N, "", H0, N},
    {F, CheckEvent::kTimeout, F, "", N, N, "", H0, N},
    {F, CheckEvent::kPassed, F, "", N, N, "", H0, N},
    {F, CheckEvent::kFailed, F, "", N, N, "", H0, N},
    {F, CheckEvent::kFailedLast, F, "", N, N, "", H0, N},
    {B, CheckEvent::kDue, B, "", N, N, "", H0, N},
    {B, CheckEvent::kTimeout, B, "", N, N, "", H0, N},
    {B, CheckEvent::kPassed, B, "", N, N, "", H0, N},
    {B, CheckEvent::kFailed, B, "", N, N, "", H0, N},
    {B, CheckEvent::kFailedLast, B, "", N, N, "", H0, N},
    {X, CheckEvent::kDue, X, "", N, N, "", H0, N},
    {X, CheckEvent::kTimeout, X, "", N, N, "", H0, N},
    {X, CheckEvent::kPassed, X, "", N, N, "", H0, N},
    {X, CheckEvent::kFailed, X, "", N, N, "", H0, N},
    {X, CheckEvent::kFailedLast, X, "", N, N, "", H0, N},
    // done (issue 14): a oneshot that succeeded; a oneshot is never checked
    {O, CheckEvent::kDue, O, "", N, N, "", H0, N},
    {O, CheckEvent::kTimeout, O, "", N, N, "", H0, N},
    {O, CheckEvent::kPassed, O, "", N, N, "", H0, N},
    {O, CheckEvent::kFailed, O, "", N, N, "", H0, N},
    {O, CheckEvent::kFailedLast, O, "", N, N, "", H0, N},
};

class CheckTable : public ::testing::TestWithParam<CheckCell> {
 protected:
  void SetUp() override {
    effects.have_finish = true;
    effects.knobs.timeout_kill_ms = 5000;
    effects.knobs.timeout_finish_ms = 5000;
    effects.knobs.restart_delay_ms = 1000;
    effects.knobs.restart_delay_max_ms = 4000;
    effects.knobs.check = ServiceKnobs::CheckKind::kTcp;
    effects.knobs.check_interval_ms = 1000;
    effects.knobs.check_timeout_ms = 2000;
    effects.knobs.check_retries = 3;
  }

  void due() { supervisor.on_timer(TimerKind::kCheck); }

  void enter(Phase phase, CheckEvent event) {
    const bool answer = event != CheckEvent::kDue;
    const bool last = event == CheckEvent::kFailedLast;
    if (phase == Phase::kDown || phase == Phase::kExiting) effects.knobs.down = true;
    if (phase == Phase::kDone) effects.knobs.oneshot = true;
    supervisor.start(std::nullopt);
    if (phase == Phase::kDone) {
      EXPECT_EQ(effects.checks_started, 0) << "a oneshot is never checked";
      clock.now_ms += 5000;
      supervisor.on_run_exit(exited(0));
      supervisor.on_finish_exit(exited(0));
    }
    if (phase == Phase::kExiting) supervisor.on_command(Command::kExit);
    if (phase != Phase::kDown && phase != Phase::kExiting && phase != Phase::kBackoff &&
        phase != Phase::kDone) {
      if (phase != Phase::kStarting) {
        due();
        supervisor.on_check_passed();
      }
      if (last && (phase == Phase::kStarting || phase == Phase::kRunning ||
                   phase == Phase::kStopping)) {
        for (int i = 0; i < 2; ++i) {
          due();
          supervisor.on_check_failed("connect to 127.0.0.1:80: Connection refused");
        }
      }
      if (phase == Phase::kStopping || (answer && phase != Phase::kFinishing)) due();
    }
    if (phase == Phase::kStopping) supervisor.on_command(Command::kDown);
    if (phase == Phase::kFinishing) {
      clock.now_ms += 5000;
      supervisor.on_run_exit(exited(1));
    }
    if (phase == Phase::kBackoff) {
      supervisor.on_run_exit(exited(1));
      supervisor.on_finish_exit(exited(0));
    }
    effects.knobs.down = false;
    ASSERT_EQ(supervisor.phase(), phase) << "the fixture did not reach the phase";
    clock.now_ms += 5000;
    effects.signals.clear();
    effects.timers.clear();
    effects.exit_code.reset();
    checks_started = effects.checks_started;
    checks_stopped = effects.checks_stopped;
    publishes_before = effects.published.size();
  }

  void fire(CheckEvent event) {
    switch (event) {
      case CheckEvent::kDue: due(); break;
      case CheckEvent::kTimeout: supervisor.on_timer(TimerKind::kCheckTimeout); break;
      case CheckEvent::kPassed: supervisor.on_check_passed(); break;
      case CheckEvent::kFailed:
      case CheckEvent::kFailedLast:
        supervisor.on_check_failed("connect to 127.0.0.1:80: Connection refused");
        break;
    }
  }

  [[nodiscard]] std::string timers_armed() const {
    std::string names;
    for (const auto& [kind, ms] : effects.timers) {
      if (kind == TimerKind::kCheck) names += 'C';
      if (kind == TimerKind::kCheckTimeout) names += 'T';
      if (kind == TimerKind::kKill) names += 'K';
    }
    return names;
  }

  [[nodiscard]] std::string signals_sent() const {
    std::string names;
    for (const auto& [pid, signo] : effects.signals) {
      if (!names.empty()) names += ' ';
      names += signal_name(signo);
    }
    return names;
  }

  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
  int checks_started = 0;
  int checks_stopped = 0;
  size_t publishes_before = 0;
};

TEST_P(CheckTable, Cell) {
  const CheckCell& cell = GetParam();
  ASSERT_NO_FATAL_FAILURE(enter(cell.phase, cell.event));
  fire(cell.event);
  EXPECT_EQ(phase_label(supervisor.phase()), std::string(phase_label(cell.next)));
  EXPECT_EQ(signals_sent(), cell.signals);
  EXPECT_EQ(effects.checks_started > checks_started, cell.starts_check);
  EXPECT_EQ(effects.checks_stopped > checks_stopped, cell.stops_check);
  EXPECT_EQ(timers_armed(), cell.timers);
  EXPECT_EQ(static_cast<int>(supervisor.health()), static_cast<int>(cell.health));
  EXPECT_EQ(effects.exit_code.value_or(-1), -1);  // a check never ends the supervisor
  const size_t published = effects.published.size() - publishes_before;
  EXPECT_LE(published, 1u);
  EXPECT_EQ(published == 1, cell.publishes);
  if (cell.publishes) {
    ASSERT_TRUE(effects.last().extension);
    EXPECT_EQ(effects.last().extension->health, static_cast<uint8_t>(cell.health));
  }
}

std::string check_cell_name(const ::testing::TestParamInfo<CheckCell>& info) {
  return std::string(phase_label(info.param.phase)) + "_" + check_event_name(info.param.event);
}

INSTANTIATE_TEST_SUITE_P(SupervisePhases, CheckTable, ::testing::ValuesIn(kCheckCells),
                         check_cell_name);

TEST(CheckTableShape, EveryReachablePhaseHasEveryCheckEvent) {
  EXPECT_EQ(std::size(kCheckCells), 8u * 5u);  // done (issue 14) included
}

// Cells of the main table that a check changes, and the wake-up rule.
class CheckCells : public ::testing::Test {
 protected:
  void SetUp() override {
    effects.knobs.check = ServiceKnobs::CheckKind::kHttp;
    effects.knobs.check_interval_ms = 1000;
    effects.knobs.check_retries = 3;
  }
  void check_once(bool pass) {
    supervisor.on_timer(TimerKind::kCheck);
    if (pass)
      supervisor.on_check_passed();
    else
      supervisor.on_check_failed("http://127.0.0.1:80 answered status 500");
  }
  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
};

TEST_P(PolicyTable, Cell) {
  const PolicyCell& cell = GetParam();
  effects.knobs.restart_delay_ms = 1000;
  effects.knobs.restart_delay_max_ms = 30000;
  effects.knobs.min_uptime_ms = 1000;
  effects.knobs.restart = cell.restart;
  effects.knobs.success_codes = {0, 2};
  effects.knobs.max_restarts = cell.max_restarts;
  effects.knobs.essential = cell.essential;
  effects.have_finish = cell.have_finish;
  supervisor.start(std::nullopt);
  ASSERT_EQ(supervisor.phase(), Phase::kRunning);
  clock.now_ms += cell.quick ? 10 : 5000;
  const size_t runs_before = effects.runs.size();
  supervisor.on_run_exit(cell.run_status);
  if (cell.have_finish) {
    ASSERT_EQ(supervisor.phase(), Phase::kFinishing);
    supervisor.on_finish_exit(exited(0));
  }
  EXPECT_EQ(phase_label(supervisor.phase()), std::string(phase_label(cell.next)));
  EXPECT_EQ(effects.runs.size() > runs_before, cell.starts_run);
  EXPECT_EQ(supervisor.record().want_up ? 'u' : 'd', cell.want);
  EXPECT_EQ(effects.exit_code.value_or(-1), cell.exit_code);
  EXPECT_EQ(effects.timers.count(TimerKind::kRestart) == 1, cell.next == Phase::kBackoff);
}

INSTANTIATE_TEST_SUITE_P(RestartPolicy, PolicyTable, ::testing::ValuesIn(kPolicyCells),
                         [](const ::testing::TestParamInfo<PolicyCell>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(CheckWakeups, NoCheckArmsNoCheckTimer) {
  // Zero wake-ups for a service without a check: no check timer, in any phase it visits.
  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
  supervisor.start(std::nullopt);
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
  supervisor.on_ready();
  clock.now_ms += 5000;
  supervisor.on_run_exit(exited(0));
  supervisor.on_command(Command::kDown);
  for (const auto& [kind, ms] : effects.timers) {
    EXPECT_NE(kind, TimerKind::kCheck);
    EXPECT_NE(kind, TimerKind::kCheckTimeout);
  }
  EXPECT_EQ(effects.checks_started, 0);
  ASSERT_TRUE(effects.last().extension);
  EXPECT_EQ(effects.last().extension->health, 0);
}

TEST_F(CheckCells, StartWithACheckIsStartingUntilTheFirstPass) {
  // u at rest: run starts, the check timer is armed (first check soon), not ready yet.
  supervisor.start(std::nullopt);
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
  EXPECT_EQ(effects.timers.at(TimerKind::kCheck), Supervisor::kFirstCheckDelayMs);
  EXPECT_FALSE(effects.last().extension->ready());
  check_once(false);
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
  EXPECT_EQ(effects.timers.at(TimerKind::kCheck), 1000);
  check_once(true);
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
  EXPECT_TRUE(effects.last().extension->ready());
  EXPECT_EQ(effects.last().extension->health, 1);
}

TEST_F(CheckCells, RunExitEndsTheCycle) {
  supervisor.start(std::nullopt);
  check_once(true);
  supervisor.on_timer(TimerKind::kCheck);  // a check in flight
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.checks_stopped, 1);
  EXPECT_EQ(effects.timers.count(TimerKind::kCheck), 0u);
  EXPECT_EQ(effects.timers.count(TimerKind::kCheckTimeout), 0u);
  EXPECT_EQ(effects.last().extension->health, 0);
  supervisor.on_check_passed();  // the abandoned check's late answer changes nothing
  EXPECT_EQ(supervisor.health(), Health::kUnknown);
}

TEST_F(CheckCells, HealthRestartIsAnAskedEnd) {
  // essential does not fire, the failed-start count stays, run starts again.
  effects.knobs.essential = true;
  supervisor.start(std::nullopt);
  check_once(true);
  clock.now_ms += 10'000;
  for (int i = 0; i < 3; ++i) check_once(false);
  EXPECT_EQ(supervisor.phase(), Phase::kStopping);
  EXPECT_EQ(effects.signals_to(101), (std::vector<int>{SIGTERM, SIGCONT}));
  ASSERT_EQ(effects.warnings.size(), 4u);  // one line per failed check, one for the restart
  EXPECT_EQ(effects.warnings[0],
            "/srv/web: check failed 1 of 3: http://127.0.0.1:80 answered status 500");
  EXPECT_EQ(effects.warnings[3],
            "/srv/web: check failed 3 times in a row (check-retries); restarting run with TERM");
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_FALSE(effects.exit_code.has_value());
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);  // lived 10 s: restarted at once
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_EQ(effects.last().extension->failed_starts, 0u);
  EXPECT_EQ(effects.last().extension->health, 0);
  check_once(false);  // the count starts again with the new run
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
}

TEST_F(CheckCells, TimeoutKillsTheCheckAndCountsAsAFailure) {
  supervisor.start(std::nullopt);
  supervisor.on_timer(TimerKind::kCheck);
  EXPECT_EQ(effects.timers.at(TimerKind::kCheckTimeout), 2000);
  supervisor.on_timer(TimerKind::kCheckTimeout);
  EXPECT_EQ(effects.checks_stopped, 1);
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_EQ(effects.warnings[0],
            "/srv/web: check failed 1 of 3: no answer within 2000 ms (check-timeout)");
}

TEST_F(CheckCells, PausedServiceIsNotChecked) {
  supervisor.start(std::nullopt);
  supervisor.on_command(Command::kPause);
  supervisor.on_timer(TimerKind::kCheck);
  EXPECT_EQ(effects.checks_started, 0);
  EXPECT_EQ(effects.timers.at(TimerKind::kCheck), 1000);
}

TEST_F(CheckCells, AdoptedReadyRunStaysReadyAndIsChecked) {
  Adoption adoption;
  adoption.pid = 42;
  adoption.previous.state = RunState::kRun;
  adoption.previous.pid = 42;
  adoption.previous.want_up = true;
  StatusExtension ext;
  ext.flags = StatusExtension::kFlagReady;
  ext.ready_since = clock.wall();
  ext.run_start_time = 420;
  ext.phase = Phase::kRunning;
  adoption.previous.extension = ext;
  supervisor.start(adoption);
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
  EXPECT_EQ(effects.timers.count(TimerKind::kCheck), 1u);
}

}  // namespace
}  // namespace svtree::supervise
