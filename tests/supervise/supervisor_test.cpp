// SPDX-License-Identifier: MIT
// Supervisor, the pure state machine, driven with a fake clock and fake effects: each test
// is one (state, event) cell or a short sequence of them.
#include "supervise/supervisor.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "fake_effects.hpp"
#include "svtree/diag.hpp"

namespace svtree::supervise {
namespace {

class SupervisorTest : public ::testing::Test {
 protected:
  void start() { supervisor.start(std::nullopt); }
  /// Bytes as the runner reads them from supervise/control: parsed, garbage dropped.
  void send(std::string_view bytes) {
    for (const char byte : bytes)
      if (const auto command = parse_control_byte(byte)) supervisor.on_command(*command);
  }
  /// Lets the clock run, then fires the restart timer if it is armed and due.
  void fire_restart_after(int64_t ms) {
    clock.now_ms += ms;
    ASSERT_TRUE(effects.timers.count(TimerKind::kRestart)) << "no restart timer armed";
    effects.timers.erase(TimerKind::kRestart);
    supervisor.on_timer(TimerKind::kRestart);
  }

  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
};

TEST_F(SupervisorTest, StartsRunAndPublishesRunWantUp) {
  start();
  ASSERT_EQ(effects.runs.size(), 1u);
  const StatusRecord& r = effects.last();
  EXPECT_EQ(r.state, RunState::kRun);
  EXPECT_EQ(r.pid, effects.runs[0]);
  EXPECT_TRUE(r.want_up);
  EXPECT_EQ(r.extension->start_count, 1u);
  EXPECT_TRUE(r.extension->ready());
  EXPECT_EQ(r.extension->ready_since, r.since);
  EXPECT_EQ(effects.stat, "run\n");
}

TEST_F(SupervisorTest, DownFileMeansNoStartAndWantDown) {
  effects.knobs.down = true;
  start();
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_EQ(effects.last().state, RunState::kDown);
  EXPECT_FALSE(effects.last().want_up);
  send("u");
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(SupervisorTest, NotificationFdMeansNotReadyUntilTheNewline) {
  effects.knobs.notification_fd = 3;
  start();
  EXPECT_FALSE(effects.last().extension->ready());
  EXPECT_TRUE(effects.last().extension->ready_since.is_zero());
  const Tai64n since = effects.last().since;
  clock.now_ms += 250;
  supervisor.on_ready();
  EXPECT_TRUE(effects.last().extension->ready());
  EXPECT_EQ(effects.last().since, since) << "readiness does not move the start stamp";
  EXPECT_EQ(effects.last().extension->ready_since, clock.wall());
}

TEST_F(SupervisorTest, QuickDeathRestartsOneSecondAfterTheStart) {
  start();
  clock.now_ms += 300;
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.last().state, RunState::kDown);
  EXPECT_EQ(effects.last().extension->last_wait_status, static_cast<uint32_t>(exited(1)));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 700);
  fire_restart_after(700);
  EXPECT_EQ(effects.runs.size(), 2u);
}

TEST_F(SupervisorTest, RestartTimerFiringEarlyIsReArmedForTheRest) {
  start();
  supervisor.on_run_exit(exited(1));
  ASSERT_EQ(effects.timers.at(TimerKind::kRestart), 1000);
  fire_restart_after(999);
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 1);
  fire_restart_after(1);
  EXPECT_EQ(effects.runs.size(), 2u);
}

TEST_F(SupervisorTest, LongRunRestartsAtOnce) {
  start();
  clock.now_ms += 5000;
  supervisor.on_run_exit(killed(SIGKILL));
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_FALSE(effects.timers.count(TimerKind::kRestart));
  // The momentary down state is not published: the new run's record carries the death.
  const size_t n = effects.published.size();
  ASSERT_GE(n, 2u);
  EXPECT_EQ(effects.published[n - 2].state, RunState::kRun);
  EXPECT_EQ(effects.published[n - 2].pid, effects.runs[0]);
  EXPECT_EQ(effects.published[n - 1].state, RunState::kRun);
  EXPECT_EQ(effects.published[n - 1].pid, effects.runs[1]);
  EXPECT_EQ(effects.published[n - 1].extension->last_wait_status,
            static_cast<uint32_t>(killed(SIGKILL)));
}

TEST_F(SupervisorTest, BackoffDoublesToTheCapAndResetsAfterMinUptime) {
  effects.knobs.restart_delay_ms = 100;
  effects.knobs.restart_delay_max_ms = 400;
  effects.knobs.min_uptime_ms = 400;
  start();
  const int64_t expected[] = {100, 200, 400, 400};
  for (const int64_t delay : expected) {
    supervisor.on_run_exit(exited(1));
    EXPECT_EQ(effects.timers.at(TimerKind::kRestart), delay);
    fire_restart_after(delay);
  }
  clock.now_ms += 400;  // lived min-uptime
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.runs.size(), 6u) << "a run that lived min-uptime restarts at once";
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 100) << "and the delay is reset";
}

TEST_F(SupervisorTest, FinishGetsRunitArgumentsAndStatusShowsFinish) {
  effects.have_finish = true;
  start();
  clock.now_ms += 2000;
  supervisor.on_run_exit(killed(SIGTERM));
  ASSERT_EQ(effects.finish_args, std::vector<std::string>{"-1 15"});
  EXPECT_EQ(effects.last().state, RunState::kFinish);
  EXPECT_EQ(effects.last().pid, supervisor.finish_pid());
  EXPECT_EQ(effects.timers.at(TimerKind::kFinishTimeout), 5000);
  EXPECT_EQ(effects.runs.size(), 1u) << "no restart while finish runs";
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_FALSE(effects.timers.count(TimerKind::kFinishTimeout));
}

TEST_F(SupervisorTest, FinishExiting125MeansDoNotRestart) {
  effects.have_finish = true;
  start();
  clock.now_ms += 2000;
  supervisor.on_run_exit(exited(0));
  supervisor.on_finish_exit(exited(125));
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_FALSE(effects.last().want_up);
  EXPECT_EQ(effects.last().state, RunState::kDown);
}

TEST_F(SupervisorTest, FinishTimeoutKillsFinish) {
  effects.have_finish = true;
  start();
  supervisor.on_run_exit(exited(0));
  const pid_t finish = supervisor.finish_pid();
  supervisor.on_timer(TimerKind::kFinishTimeout);
  EXPECT_EQ(effects.signals_to(finish), std::vector<int>{SIGKILL});
  ASSERT_EQ(effects.group_signals.size(), 1u);
  EXPECT_EQ(effects.group_signals[0], std::make_pair(finish, SIGKILL));
}

TEST_F(SupervisorTest, DownSendsDownSignalThenContAndArmsTimeoutKill) {
  effects.knobs.down_signal = SIGINT;
  effects.knobs.timeout_kill_ms = 3000;
  start();
  const pid_t run = effects.runs[0];
  send("d");
  EXPECT_EQ(effects.signals_to(run), (std::vector<int>{SIGINT, SIGCONT}));
  EXPECT_TRUE(effects.last().got_term);
  EXPECT_FALSE(effects.last().want_up);
  EXPECT_EQ(effects.stat, "run, got TERM, want down\n");
  EXPECT_EQ(effects.timers.at(TimerKind::kKill), 3000);
  supervisor.on_timer(TimerKind::kKill);
  EXPECT_EQ(effects.group_signals, (std::vector<std::pair<pid_t, int>>{{run, SIGKILL}}));
  supervisor.on_run_exit(killed(SIGKILL));
  EXPECT_FALSE(effects.timers.count(TimerKind::kKill));
  EXPECT_FALSE(effects.last().got_term);
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_EQ(effects.stat, "down\n");
}

// Issue #18: the knob files are read once per start (they were read twice at the first),
// and a knob changed while the supervisor runs applies at the next start.
TEST_F(SupervisorTest, KnobsAreReadOncePerStartAndAChangeAppliesAtTheNext) {
  start();
  EXPECT_EQ(effects.knob_loads, 1);
  const pid_t first = effects.runs[0];
  send("d");
  EXPECT_EQ(effects.signals_to(first), (std::vector<int>{SIGTERM, SIGCONT}));
  supervisor.on_run_exit(killed(SIGTERM));
  effects.knobs.down_signal = SIGINT;
  send("u");
  EXPECT_EQ(effects.knob_loads, 2);
  ASSERT_EQ(effects.runs.size(), 2u);
  send("d");
  EXPECT_EQ(effects.signals_to(effects.runs[1]), (std::vector<int>{SIGINT, SIGCONT}));
  // And again at every later start.
  supervisor.on_run_exit(killed(SIGINT));
  effects.knobs.down_signal = SIGQUIT;
  send("u");
  EXPECT_EQ(effects.knob_loads, 3);
  send("d");
  EXPECT_EQ(effects.signals_to(effects.runs[2]), (std::vector<int>{SIGQUIT, SIGCONT}));
}

// Wanted down at the start: the first `u` reads the knobs again, not the start's copy.
TEST_F(SupervisorTest, KnobsReadAtADownStartAreReadAgainAtTheFirstUp) {
  effects.knobs.down = true;
  start();
  EXPECT_EQ(effects.knob_loads, 1);
  effects.knobs.down = false;
  effects.knobs.down_signal = SIGHUP;
  send("u");
  EXPECT_EQ(effects.knob_loads, 2);
  ASSERT_EQ(effects.runs.size(), 1u);
  send("d");
  EXPECT_EQ(effects.signals_to(effects.runs[0]), (std::vector<int>{SIGHUP, SIGCONT}));
}

TEST_F(SupervisorTest, DownStampIsSetWhenTheServiceGoesDownNotOnWantChanges) {
  start();
  const Tai64n started = effects.last().since;
  clock.now_ms += 1500;
  send("p");
  send("c");
  send("o");
  EXPECT_EQ(effects.last().since, started);
  send("d");
  EXPECT_EQ(effects.last().since, started);
  clock.now_ms += 100;
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_EQ(effects.last().since, clock.wall());
}

TEST_F(SupervisorTest, SignalLettersGoToRunOnly) {
  start();
  const pid_t run = effects.runs[0];
  send("haiq12k");
  EXPECT_EQ(effects.signals_to(run),
            (std::vector<int>{SIGHUP, SIGALRM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGKILL}));
  EXPECT_TRUE(effects.last().want_up);
}

TEST_F(SupervisorTest, TermWhileWantedUpSendsOnlyTerm) {
  start();
  send("t");
  EXPECT_EQ(effects.signals_to(effects.runs[0]), std::vector<int>{SIGTERM});
  EXPECT_TRUE(effects.last().got_term);
}

TEST_F(SupervisorTest, PauseAndContinue) {
  start();
  send("p");
  EXPECT_TRUE(effects.last().paused);
  EXPECT_EQ(effects.stat, "run, paused\n");
  send("c");
  EXPECT_FALSE(effects.last().paused);
  EXPECT_EQ(effects.signals_to(effects.runs[0]), (std::vector<int>{SIGSTOP, SIGCONT}));
}

TEST_F(SupervisorTest, GarbageBytesAreIgnored) {
  start();
  const size_t before = effects.published.size();
  send(std::string("\0\xff zZ?\n", 7));
  EXPECT_EQ(effects.published.size(), before);
  EXPECT_TRUE(effects.signals.empty());
}

TEST_F(SupervisorTest, OnceRunsWithoutRestart) {
  effects.knobs.down = true;
  start();
  send("o");
  ASSERT_EQ(effects.runs.size(), 1u);
  EXPECT_FALSE(effects.last().want_up);
  EXPECT_EQ(effects.stat, "run, want down\n");
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_FALSE(effects.timers.count(TimerKind::kRestart));
}

TEST_F(SupervisorTest, ExitWhileRunningWaitsForRunAndFinishThenExitsZero) {
  effects.have_finish = true;
  start();
  send("x");
  EXPECT_EQ(effects.stat, "run, got TERM, want exit\n");
  EXPECT_FALSE(effects.exit_code);
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_FALSE(effects.exit_code) << "finish first";
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.exit_code, 0);
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(SupervisorTest, ExitWhileDownExitsAtOnce) {
  effects.knobs.down = true;
  start();
  supervisor.on_terminate_signal();
  EXPECT_EQ(effects.exit_code, 0);
}

TEST_F(SupervisorTest, ExitWhileWaitingForARestartCancelsIt) {
  start();
  supervisor.on_run_exit(exited(1));
  ASSERT_TRUE(effects.timers.count(TimerKind::kRestart));
  send("x");
  EXPECT_EQ(effects.exit_code, 0);
  EXPECT_FALSE(effects.timers.count(TimerKind::kRestart));
}

TEST_F(SupervisorTest, HangupSendsNothingAndExitsWhenRunEndsOnItsOwn) {
  start();
  supervisor.on_hangup_signal();
  EXPECT_TRUE(effects.signals.empty());
  EXPECT_FALSE(effects.last().want_up);
  EXPECT_FALSE(effects.exit_code);
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(effects.exit_code, 0);
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(SupervisorTest, HangupWhileDownExitsAtOnce) {
  effects.knobs.down = true;
  start();
  supervisor.on_hangup_signal();
  EXPECT_EQ(effects.exit_code, 0);
}

TEST_F(SupervisorTest, RestartLetterStopsAndStartsAgain) {
  start();
  clock.now_ms += 2000;
  send("r");
  EXPECT_EQ(effects.signals_to(effects.runs[0]), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(effects.last().want_up);
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_EQ(effects.runs.size(), 2u);
}

TEST_F(SupervisorTest, EssentialRunEndingUnaskedExits99AfterFinish) {
  effects.knobs.essential = true;
  effects.have_finish = true;
  start();
  EXPECT_NE(effects.last().extension->flags & StatusExtension::kFlagEssential, 0);
  clock.now_ms += 5000;
  supervisor.on_run_exit(exited(3));
  EXPECT_EQ(effects.finish_args, std::vector<std::string>{"3 0"});
  EXPECT_FALSE(effects.exit_code);
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.exit_code, diag::kExitEssentialEnded);
  EXPECT_EQ(effects.last().extension->last_wait_status, static_cast<uint32_t>(exited(3)));
  EXPECT_EQ(effects.last().state, RunState::kDown);
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(SupervisorTest, EssentialRunStoppedByALetterIsNotTheEnd) {
  effects.knobs.essential = true;
  start();
  clock.now_ms += 5000;
  send("t");
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_FALSE(effects.exit_code);
  EXPECT_EQ(effects.runs.size(), 2u);
  send("d");
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_FALSE(effects.exit_code);
}

TEST_F(SupervisorTest, SpawnFailureWarnsOnceCountsAs111AndWaitsForRun) {
  effects.run_error = EACCES;
  effects.have_finish = true;
  start();
  ASSERT_EQ(effects.warnings.size(), 1u);
  // The error, then the runner's hint (which looks at the file and its mount).
  EXPECT_EQ(effects.warnings[0], "unable to spawn ./run: Permission denied; hint");
  EXPECT_EQ(effects.finish_args, std::vector<std::string>{"111 0"});
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.last().extension->last_wait_status, static_cast<uint32_t>(exited(111)));
  EXPECT_EQ(effects.last().extension->start_count, 0u);
  EXPECT_TRUE(effects.watching_for_run);
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), Supervisor::kMissingRunRetryMs);
  // The slow timer fires: still broken, no second warning.
  fire_restart_after(Supervisor::kMissingRunRetryMs);
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.warnings.size(), 1u);
  // run appears: a start within the restart throttle, not after the slow timer.
  effects.run_error = 0;
  supervisor.on_run_may_have_appeared();
  EXPECT_LE(effects.timers.at(TimerKind::kRestart), 2000);
  fire_restart_after(effects.timers.at(TimerKind::kRestart));
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_FALSE(effects.watching_for_run);
}

TEST_F(SupervisorTest, ControlScriptOverridesTheSignalWithoutBlocking) {
  effects.scripts = "h";
  start();
  const pid_t run = effects.runs[0];
  send("hp");
  EXPECT_EQ(effects.scripts_started, "h");
  EXPECT_TRUE(effects.signals.empty()) << "waits for control/h";
  EXPECT_FALSE(effects.last().paused) << "p waits behind the script";
  // Meanwhile run dies and restarts.
  clock.now_ms += 5000;
  supervisor.on_run_exit(killed(SIGKILL));
  ASSERT_EQ(effects.runs.size(), 2u);
  supervisor.on_control_script_exit(exited(0));
  EXPECT_EQ(effects.signals_to(run), std::vector<int>{});
  EXPECT_EQ(effects.signals_to(effects.runs[1]), std::vector<int>{SIGSTOP});
  EXPECT_TRUE(effects.last().paused);
}

TEST_F(SupervisorTest, ControlScriptFailingLetsTheSignalGo) {
  effects.scripts = "k";
  start();
  send("k");
  supervisor.on_control_script_exit(exited(1));
  EXPECT_EQ(effects.signals_to(effects.runs[0]), std::vector<int>{SIGKILL});
}

TEST_F(SupervisorTest, DownRunsControlTThenStopsThenControlD) {
  effects.scripts = "td";
  start();
  const pid_t run = effects.runs[0];
  send("d");
  EXPECT_FALSE(effects.last().want_up) << "want is set before the scripts run";
  EXPECT_EQ(effects.scripts_started, "t");
  supervisor.on_control_script_exit(exited(0));  // t overrides the down signal
  EXPECT_EQ(effects.signals_to(run), std::vector<int>{SIGCONT});
  EXPECT_EQ(effects.scripts_started, "td");
  EXPECT_FALSE(effects.last().got_term);
  supervisor.on_control_script_exit(exited(0));
  EXPECT_EQ(supervisor.script_pid(), 0);
}

TEST_F(SupervisorTest, OnceUsesControlU) {
  effects.scripts = "u";
  effects.knobs.down = true;
  start();
  send("o");
  EXPECT_EQ(effects.scripts_started, "u");
  EXPECT_TRUE(effects.runs.empty());
  supervisor.on_control_script_exit(exited(0));
  EXPECT_EQ(effects.runs.size(), 1u) << "u and o start whatever control/u says";
  EXPECT_FALSE(effects.last().want_up);
}

TEST_F(SupervisorTest, AdoptionKeepsStampAndWishesAndFinishGetsMinusOneZero) {
  effects.have_finish = true;
  StatusRecord previous;
  previous.since = Tai64n{Tai64n::kUnixEpochLabel + 1'600'000'000, 5};
  previous.pid = 4242;
  previous.want_up = true;
  previous.state = RunState::kRun;
  supervisor.start(Adoption{4242, previous});
  EXPECT_TRUE(effects.runs.empty());
  const StatusRecord& r = effects.last();
  EXPECT_EQ(r.pid, 4242);
  EXPECT_EQ(r.since, previous.since);
  EXPECT_EQ(r.extension->start_count, 0u);
  EXPECT_NE(r.extension->flags & StatusExtension::kFlagAdopted, 0);
  send("t");
  EXPECT_EQ(effects.signals_to(4242), std::vector<int>{SIGTERM});
  supervisor.on_run_exit(std::nullopt);
  EXPECT_EQ(effects.finish_args, std::vector<std::string>{"-1 0"});
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.last().extension->last_wait_status, StatusExtension::kNoWaitStatus);
  EXPECT_EQ(effects.last().extension->flags & StatusExtension::kFlagAdopted, 0);
  EXPECT_EQ(effects.runs.size(), 1u) << "restarted at once";
}

TEST_F(SupervisorTest, ServiceDirGoneWarnsAndActsAsExit) {
  start();
  supervisor.on_service_dir_gone();
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_NE(effects.warnings[0].find("/srv/web was removed or renamed"), std::string::npos);
  EXPECT_EQ(effects.signals_to(effects.runs[0]), (std::vector<int>{SIGTERM, SIGCONT}));
  supervisor.on_run_exit(killed(SIGTERM));
  EXPECT_EQ(effects.exit_code, 0);
}

TEST_F(SupervisorTest, UpWhileWaitingForARestartStartsAtOnce) {
  start();
  supervisor.on_run_exit(exited(1));
  ASSERT_TRUE(effects.timers.count(TimerKind::kRestart));
  send("u");
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_FALSE(effects.timers.count(TimerKind::kRestart));
}

TEST_F(SupervisorTest, EventsAfterExitAreIgnored) {
  effects.knobs.down = true;
  start();
  send("xu");
  EXPECT_EQ(effects.exit_code, 0);
  EXPECT_TRUE(effects.runs.empty());
}

// --- regressions (issue 10)

TEST_F(SupervisorTest, EssentialCrashAfterASignalLetterStillEndsTheTree) {
  // Before: any signal letter marked the run as "asked", so a crash an hour after a
  // reload (h) or a USR1 restarted it and the container kept running.
  effects.knobs.essential = true;
  start();
  send("h1a");
  clock.now_ms += 3'600'000;
  supervisor.on_run_exit(killed(SIGSEGV));
  EXPECT_EQ(effects.exit_code, diag::kExitEssentialEnded);
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(SupervisorTest, RestartDelayZeroStillBacksOffByDoubling) {
  // Before: 0 × 2 = 0, so a run that exits at once was forked ~700 times a second forever.
  effects.knobs.restart_delay_ms = 0;
  effects.knobs.restart_delay_max_ms = 60000;
  start();
  supervisor.on_run_exit(exited(1));
  ASSERT_EQ(effects.runs.size(), 2u) << "the first restart waits restart-delay: 0";
  std::vector<int64_t> delays;
  for (int i = 0; i < 12; ++i) {
    supervisor.on_run_exit(exited(1));
    ASSERT_TRUE(effects.timers.count(TimerKind::kRestart)) << "restart " << i << " did not wait";
    delays.push_back(effects.timers[TimerKind::kRestart]);
    fire_restart_after(effects.timers[TimerKind::kRestart]);
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600,
                                          51200, 60000, 60000}));
  EXPECT_EQ(effects.last().extension->failed_starts, 13u);  // every death here was a failed start
}

TEST_F(SupervisorTest, BackoffPhaseAndNextStartArePublished) {
  start();
  supervisor.on_run_exit(exited(1));
  const StatusRecord& r = effects.last();
  EXPECT_EQ(r.extension->phase, Phase::kBackoff);
  EXPECT_FALSE(r.extension->next_start.is_zero());
  EXPECT_EQ(r.extension->failed_starts, 1u);
}

TEST_F(SupervisorTest, RunStartTimeIsRecordedForAdoption) {
  start();
  EXPECT_EQ(effects.last().extension->run_start_time, static_cast<uint64_t>(effects.runs[0]) * 10);
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.last().extension->run_start_time, 0u);
}

TEST_F(SupervisorTest, DownIsOneRecordNotTwo) {
  start();
  const size_t before = effects.published.size();
  send("d");
  EXPECT_EQ(effects.published.size(), before + 1);
}

StatusRecord left_running(pid_t pid, bool want_up, uint8_t flags, uint64_t start_time) {
  StatusRecord previous;
  previous.since = Tai64n{Tai64n::kUnixEpochLabel + 1'600'000'000, 5};
  previous.pid = pid;
  previous.want_up = want_up;
  previous.state = RunState::kRun;
  StatusExtension ext;
  ext.flags = flags;
  ext.run_start_time = start_time;
  ext.phase = Phase::kRunning;
  ext.failed_starts = 3;
  ext.restart_delay_ms = 8000;
  previous.extension = ext;
  return previous;
}

TEST_F(SupervisorTest, AdoptionTakesOverTheWishes) {
  // svctl down, then svscan replaces supervise (log/ added): the run is adopted, and it
  // stays wanted down: when it ends, it is not restarted.
  effects.knobs.restart_delay_max_ms = 30000;
  supervisor.start(Adoption{4242, left_running(4242, false, StatusExtension::kFlagOnce, 77)});
  EXPECT_FALSE(effects.last().want_up);
  EXPECT_NE(effects.last().extension->flags & StatusExtension::kFlagOnce, 0);
  EXPECT_EQ(effects.last().extension->run_start_time, 77u);
  EXPECT_EQ(effects.last().extension->failed_starts, 3u);
  EXPECT_EQ(supervisor.current_restart_delay_ms(), 8000u);
  supervisor.on_run_exit(std::nullopt);
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
}

// Nothing ran: the wishes of a predecessor of the same tree are kept (svctl down, then
// svscan replaced supervise), but not those of one that left on purpose (x: a service
// removed and linked back while its old supervise still stopped). Failed before: the
// re-enabled service stayed down (SvscanFaults.ReEnabledWhileStoppingStillSeesLogChanges).
TEST(JudgeAdoption, InheritsWishesFromTheSameTreeUnlessThePredecessorWasExiting) {
  const ProcessIdentity svscan{100, 5000};
  auto previous = std::optional<StatusRecord>(left_running(4242, false, 0, 77));
  previous->state = RunState::kDown;
  previous->pid = 0;
  previous->extension->parent_pid = 100;
  previous->extension->parent_start_time = 5000;
  previous->extension->phase = Phase::kDown;
  EXPECT_TRUE(judge_adoption(previous, std::nullopt, svscan).inherit_wishes);
  EXPECT_FALSE(judge_adoption(previous, std::nullopt, ProcessIdentity{100, 5001}).inherit_wishes);
  previous->extension->phase = Phase::kExiting;
  EXPECT_FALSE(judge_adoption(previous, std::nullopt, svscan).inherit_wishes);
}

TEST(JudgeAdoption, AdoptsOnlyTheSameProcessByStartTime) {
  const auto previous = std::optional<StatusRecord>(left_running(4242, true, 0, 77));
  EXPECT_TRUE(judge_adoption(previous, 77).adopt);
  const auto reused = judge_adoption(previous, 78);
  EXPECT_FALSE(reused.adopt);
  EXPECT_NE(reused.reason.find("start time differs"), std::string::npos);
  const auto gone = judge_adoption(previous, std::nullopt);
  EXPECT_FALSE(gone.adopt);
  EXPECT_NE(gone.reason.find("no longer running"), std::string::npos);
  // A record without a start time (runsv's, an old supervise's) is never adopted.
  auto runit = previous;
  runit->extension.reset();
  EXPECT_FALSE(judge_adoption(runit, 77).adopt);
  EXPECT_FALSE(judge_adoption(runit, 77).reason.empty());
  // Nothing was running: nothing to adopt and nothing to say.
  auto down = previous;
  down->state = RunState::kDown;
  EXPECT_FALSE(judge_adoption(down, 77).adopt);
  EXPECT_TRUE(judge_adoption(down, 77).reason.empty());
  EXPECT_TRUE(judge_adoption(std::nullopt, 77).reason.empty());
}

}  // namespace
}  // namespace svtree::supervise

// --- the restart policy and event lines (issue 13)

namespace svtree::supervise {
namespace {

class PolicyTest : public SupervisorTest {
 protected:
  void SetUp() override {
    effects.knobs.restart_delay_ms = 1000;
    effects.knobs.restart_delay_max_ms = 30000;
    effects.knobs.min_uptime_ms = 1000;
  }
};

TEST_F(PolicyTest, CrashLoopBacksOffGivesUpAndSaysSoInEventLines) {
  effects.knobs.max_restarts = 2;
  start();
  supervisor.on_run_exit(exited(3));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 1000) << "the first restart waits restart-delay";
  fire_restart_after(1000);
  clock.now_ms += 250;
  supervisor.on_run_exit(killed(SIGSEGV) | 0x80);
  // 2 s between the two starts (restart-delay doubled), 250 ms of which run lived.
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 1750);
  fire_restart_after(1750);
  supervisor.on_run_exit(exited(3));
  EXPECT_EQ(supervisor.phase(), Phase::kFailed);
  EXPECT_FALSE(supervisor.record().want_up);
  EXPECT_EQ(effects.timers.count(TimerKind::kRestart), 0u);
  EXPECT_EQ(effects.last().extension->phase, Phase::kFailed);
  const std::vector<std::string> expected = {
      "event=exit service=/srv/web code=3 uptime=0.000 asked=no failed_starts=1 next=restart "
      "restart=1 delay=1.000",
      "event=restart service=/srv/web restart=1 pid=102 failed_starts=1",
      "event=exit service=/srv/web signal=SIGSEGV core=yes uptime=0.250 asked=no "
      "failed_starts=2 next=restart restart=2 delay=1.750",
      "event=restart service=/srv/web restart=2 pid=103 failed_starts=2",
      "event=exit service=/srv/web code=3 uptime=0.000 asked=no failed_starts=3 next=failed",
      "event=give-up service=/srv/web failed_starts=3 max_restarts=2 essential=no",
  };
  EXPECT_EQ(effects.events, expected);
  // u clears it: a fresh start, count and backoff reset.
  send("u");
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
  EXPECT_EQ(supervisor.failed_starts(), 0u);
  supervisor.on_run_exit(exited(3));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 1000);
}

TEST_F(PolicyTest, AskedEndsNeverCountSoRestartsInARowNeverFail) {
  effects.knobs.max_restarts = 0;
  start();
  for (int i = 0; i < 3; ++i) {
    send("r");
    supervisor.on_run_exit(killed(SIGTERM));
    if (effects.timers.count(TimerKind::kRestart)) fire_restart_after(1000);
    ASSERT_EQ(supervisor.phase(), Phase::kRunning) << i;
  }
  EXPECT_EQ(supervisor.failed_starts(), 0u);
  EXPECT_NE(effects.events[0].find("asked=yes failed_starts=0 next=restart"), std::string::npos)
      << effects.events[0];
}

TEST_F(PolicyTest, BackoffResetsAfterMinUptimeNotAfterTheCap) {
  start();
  supervisor.on_run_exit(exited(1));
  fire_restart_after(1000);
  supervisor.on_run_exit(exited(1));
  fire_restart_after(2000);
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 4000);
  fire_restart_after(4000);
  clock.now_ms += 1000;  // lived min-uptime, far less than the 30 s cap
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(supervisor.phase(), Phase::kRunning) << "restarted at once";
  EXPECT_EQ(supervisor.failed_starts(), 0u);
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.timers.at(TimerKind::kRestart), 1000) << "the backoff starts over";
}

TEST_F(PolicyTest, AMissingRunNeitherDoublesNorCounts) {
  effects.knobs.max_restarts = 0;
  effects.run_error = ENOENT;
  start();
  fire_restart_after(Supervisor::kMissingRunRetryMs);
  fire_restart_after(Supervisor::kMissingRunRetryMs);
  EXPECT_EQ(supervisor.phase(), Phase::kBackoff);
  EXPECT_EQ(supervisor.failed_starts(), 0u);
  EXPECT_EQ(supervisor.current_restart_delay_ms(), 1000u);
  EXPECT_TRUE(effects.events.empty()) << "no run, no exit line: the warning said it";
}

TEST_F(PolicyTest, OnFailureStaysDownAfterASuccessCodeAndSaysWhy) {
  effects.knobs.restart = RestartPolicy::kOnFailure;
  effects.knobs.success_codes = {0, 2};
  start();
  clock.now_ms += 5000;
  supervisor.on_run_exit(exited(2));
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  EXPECT_FALSE(supervisor.record().want_up);
  ASSERT_EQ(effects.events.size(), 1u);
  EXPECT_EQ(effects.events[0],
            "event=exit service=/srv/web code=2 uptime=5.000 asked=no failed_starts=0 next=down "
            "policy=on-failure");
}

TEST_F(PolicyTest, RestartNeverStillObeysAnAskedRestart) {
  effects.knobs.restart = RestartPolicy::kNever;
  start();
  send("t");
  supervisor.on_run_exit(killed(SIGTERM));
  if (effects.timers.count(TimerKind::kRestart)) fire_restart_after(1000);
  EXPECT_EQ(supervisor.phase(), Phase::kRunning) << "t on a service wanted up restarts it";
}

TEST_F(PolicyTest, EventLinesAreRateLimitedAndTheNextSaysHowManyWereLost) {
  effects.knobs.restart_delay_ms = 0;
  effects.knobs.restart_delay_max_ms = 100;
  effects.knobs.min_uptime_ms = 0;
  start();
  // Lived 100 ms each: restarts at once, 2 lines per death, faster than the bucket refills.
  for (int i = 0; i < 40; ++i) {
    clock.now_ms += 100;
    supervisor.on_run_exit(exited(1));
  }
  EXPECT_EQ(effects.events.size(), EventRateLimiter::kDefaultBurst + 1);
  clock.now_ms += EventRateLimiter::kDefaultRefillMs;
  supervisor.on_run_exit(exited(1));
  EXPECT_NE(effects.events.back().find(" suppressed="), std::string::npos)
      << effects.events.back();
}

TEST_F(PolicyTest, AdoptionIsAnEventLine) {
  Adoption adoption;
  adoption.pid = 4242;
  adoption.previous.state = RunState::kRun;
  adoption.previous.pid = 4242;
  adoption.previous.want_up = true;
  supervisor.start(adoption);
  ASSERT_EQ(effects.events.size(), 1u);
  EXPECT_EQ(effects.events[0], "event=adopt service=/srv/web pid=4242");
}

TEST_F(PolicyTest, RunThatDaemonizedGetsOneHint) {
  effects.session_survivor = 4321;
  start();
  supervisor.on_run_exit(exited(0));
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_NE(effects.warnings[0].find("/srv/web/run exited 0 after 0.000 s while pid 4321 of its "
                                     "session still runs: did run daemonize?"),
            std::string::npos)
      << effects.warnings[0];
  fire_restart_after(1000);
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(effects.warnings.size(), 1u) << "said once";
}

TEST_F(PolicyTest, NoDaemonizeHintForAFailureALongRunOrAnEmptySession) {
  start();
  supervisor.on_run_exit(exited(0));  // nothing left in the session
  effects.session_survivor = 4321;
  fire_restart_after(1000);
  supervisor.on_run_exit(exited(1));  // a failure, not a fork-and-exit
  fire_restart_after(2000);
  clock.now_ms += 5000;
  supervisor.on_run_exit(exited(0));  // lived min-uptime: a job that left a child
  EXPECT_TRUE(effects.warnings.empty());
}

TEST_F(PolicyTest, AHungControlScriptIsKilledAfterTimeoutFinishAndTheCommandGoesOn) {
  effects.scripts = "t";
  effects.knobs.timeout_finish_ms = 5000;
  start();
  const pid_t run = effects.runs[0];
  send("d");
  const pid_t script = supervisor.script_pid();
  ASSERT_NE(script, 0);
  EXPECT_EQ(effects.timers.at(TimerKind::kControlTimeout), 5000);
  clock.now_ms += 5000;
  supervisor.on_timer(TimerKind::kControlTimeout);
  EXPECT_EQ(effects.signals_to(script), std::vector<int>{SIGKILL});
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_NE(effects.warnings[0].find("/srv/web/control/t still runs after 5000 ms"),
            std::string::npos)
      << effects.warnings[0];
  supervisor.on_control_script_exit(killed(SIGKILL));
  EXPECT_EQ(effects.timers.count(TimerKind::kControlTimeout), 0u);
  EXPECT_EQ(effects.signals_to(run), (std::vector<int>{SIGTERM, SIGCONT}))
      << "a killed script did not override: the down signal goes";
  EXPECT_EQ(supervisor.phase(), Phase::kStopping);
}

TEST_F(PolicyTest, AFailedHealthCheckIsAnEventLine) {
  effects.knobs.check = ServiceKnobs::CheckKind::kTcp;
  effects.knobs.check_interval_ms = 1000;
  effects.knobs.check_retries = 3;
  start();
  supervisor.on_timer(TimerKind::kCheck);
  supervisor.on_check_failed("connect to 127.0.0.1:80: Connection refused");
  ASSERT_FALSE(effects.events.empty());
  EXPECT_EQ(effects.events.back(),
            "event=check-failed service=/srv/web check=tcp reason=\"connect to 127.0.0.1:80: "
            "Connection refused\" failures=1 retries=3");
}

}  // namespace
}  // namespace svtree::supervise
