// SPDX-License-Identifier: MIT
// Issue 14 in the pure state machine: how a oneshot gets to done and leaves it, and how a
// start is held for depends/ (man supervise.8, STATE TABLE: the done row, held starts).
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "fake_effects.hpp"
#include "supervise/dependencies.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::supervise {
namespace {

class OneshotTest : public ::testing::Test {
 protected:
  void SetUp() override { effects.knobs.oneshot = true; }
  void start() { supervisor.start(std::nullopt); }
  [[nodiscard]] Phase published_phase() const { return effects.last().extension->phase; }

  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/init", effects, clock};
};

TEST_F(OneshotTest, RunningIsNotReadyAndSuccessIsDone) {
  start();
  ASSERT_EQ(effects.runs.size(), 1u);
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
  EXPECT_FALSE(effects.last().extension->ready()) << "dependents wait for done, not for run";
  clock.now_ms += 10;
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
  EXPECT_EQ(published_phase(), Phase::kDone);
  EXPECT_EQ(effects.last().state, RunState::kDown);
  EXPECT_TRUE(effects.last().want_up);
  EXPECT_TRUE(effects.timers.empty()) << "done arms no restart";
  EXPECT_TRUE(record_ready_or_done(effects.last()));
}

TEST_F(OneshotTest, NotificationIsIgnored) {
  effects.knobs.notification_fd = 3;
  start();
  supervisor.on_ready();
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
  EXPECT_FALSE(record_ready_or_done(effects.last()));
}

TEST_F(OneshotTest, SuccessAfterFinishIsDone) {
  effects.have_finish = true;
  start();
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kFinishing);
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, FailureRestartsWithBackoff) {
  start();
  clock.now_ms += 10;
  supervisor.on_run_exit(exited(3));
  EXPECT_EQ(supervisor.phase(), Phase::kBackoff);
  ASSERT_TRUE(effects.timers.count(TimerKind::kRestart));
  clock.now_ms += effects.timers[TimerKind::kRestart];
  supervisor.on_timer(TimerKind::kRestart);
  EXPECT_EQ(effects.runs.size(), 2u);
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, KilledByItsSignalIsAFailure) {
  start();
  supervisor.on_run_exit(killed(SIGSEGV));
  EXPECT_NE(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, StoppedByDownIsDownNotDone) {
  start();
  supervisor.on_command(Command::kDown);
  EXPECT_EQ(supervisor.phase(), Phase::kStopping);
  supervisor.on_run_exit(exited(0));  // it caught TERM and exited 0: still asked
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  EXPECT_EQ(effects.stops_started, 0) << "stop undoes a done run only";
}

TEST_F(OneshotTest, UpOnDoneDoesNotRunAgain) {
  start();
  supervisor.on_run_exit(exited(0));
  supervisor.on_command(Command::kUp);
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, SvRestartRunsItAgain) {
  start();
  supervisor.on_run_exit(exited(0));
  // sv restart and svctl restart send t, c, u.
  supervisor.on_command(Command::kTerm);
  supervisor.on_command(Command::kCont);
  supervisor.on_command(Command::kUp);
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
  for (const auto& [pid, signo] : effects.signals)
    EXPECT_NE(signo, SIGTERM) << "the new run must not get t's TERM";
}

TEST_F(OneshotTest, DownRunsStopThenUpRunsAgain) {
  effects.have_stop = true;
  start();
  supervisor.on_run_exit(exited(0));
  supervisor.on_command(Command::kDown);
  EXPECT_EQ(effects.stops_started, 1);
  EXPECT_EQ(supervisor.phase(), Phase::kFinishing);
  EXPECT_EQ(effects.last().state, RunState::kFinish);
  EXPECT_EQ(effects.last().pid, supervisor.finish_pid());
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  EXPECT_EQ(effects.runs.size(), 1u);
  supervisor.on_command(Command::kUp);
  EXPECT_EQ(effects.runs.size(), 2u);
}

TEST_F(OneshotTest, DownWithoutStopIsDownAtOnce) {
  start();
  supervisor.on_run_exit(exited(0));
  supervisor.on_command(Command::kDown);
  EXPECT_EQ(effects.stops_started, 1);
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
}

TEST_F(OneshotTest, ExitRunsStopThenExits) {
  effects.have_stop = true;
  start();
  supervisor.on_run_exit(exited(0));
  supervisor.on_terminate_signal();
  EXPECT_FALSE(effects.exit_code.has_value()) << "exit waits for ./stop";
  supervisor.on_finish_exit(exited(1));
  EXPECT_EQ(effects.exit_code.value_or(-1), 0);
}

TEST_F(OneshotTest, UpWhileStopRunsRunsAgainAfterIt) {
  effects.have_stop = true;
  start();
  supervisor.on_run_exit(exited(0));
  supervisor.on_command(Command::kDown);
  supervisor.on_command(Command::kUp);
  EXPECT_EQ(effects.runs.size(), 1u);
  clock.now_ms += 5000;
  supervisor.on_finish_exit(exited(0));
  EXPECT_EQ(effects.runs.size(), 2u);
  EXPECT_EQ(supervisor.phase(), Phase::kStarting);
}

TEST_F(OneshotTest, EssentialSuccessDoesNotEndTheTree) {
  effects.knobs.essential = true;
  start();
  supervisor.on_run_exit(exited(0));
  EXPECT_FALSE(effects.exit_code.has_value());
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, DoneIsInheritedFromThisTreesPredecessor) {
  // svscan replaced supervise (log/ added): the oneshot is not run again.
  StatusRecord previous;
  previous.want_up = true;
  StatusExtension ext;
  ext.phase = Phase::kDone;
  previous.extension = ext;
  supervisor.start(Adoption{0, previous});
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

TEST_F(OneshotTest, OnceThenSuccessIsDone) {
  effects.knobs.down = true;
  start();
  supervisor.on_command(Command::kOnce);
  supervisor.on_run_exit(exited(0));
  EXPECT_EQ(supervisor.phase(), Phase::kDone);
}

// --- held starts (depends/)

class HeldTest : public ::testing::Test {
 protected:
  void SetUp() override { effects.dependencies_up = false; }
  FakeClock clock;
  FakeEffects effects;
  Supervisor supervisor{"/srv/web", effects, clock};
};

TEST_F(HeldTest, StartWaitsAndPublishesDownWantUp) {
  supervisor.start(std::nullopt);
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_TRUE(supervisor.held());
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  EXPECT_TRUE(effects.last().want_up);
  EXPECT_TRUE(effects.timers.empty()) << "no polling: the records wake it";
}

TEST_F(HeldTest, ChangeWithDependenciesStillDownKeepsWaitingSilently) {
  supervisor.start(std::nullopt);
  const size_t published = effects.published.size();
  supervisor.on_dependencies_changed();
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_EQ(effects.published.size(), published);
}

TEST_F(HeldTest, DependenciesReadyStartsRunAndStopsWatching) {
  supervisor.start(std::nullopt);
  effects.watching_dependencies = true;
  effects.dependencies_up = true;
  supervisor.on_dependencies_changed();
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_FALSE(supervisor.held());
  EXPECT_FALSE(effects.watching_dependencies);
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
}

TEST_F(HeldTest, DownWhileHeldStands) {
  supervisor.start(std::nullopt);
  supervisor.on_command(Command::kDown);
  effects.dependencies_up = true;
  supervisor.on_dependencies_changed();
  EXPECT_TRUE(effects.runs.empty());
  EXPECT_FALSE(effects.last().want_up);
}

TEST_F(HeldTest, OnceWhileHeldRunsOnceWhenReady) {
  effects.knobs.down = true;
  supervisor.start(std::nullopt);
  supervisor.on_command(Command::kOnce);
  EXPECT_TRUE(effects.runs.empty());
  effects.dependencies_up = true;
  supervisor.on_dependencies_changed();
  EXPECT_EQ(effects.runs.size(), 1u);
}

TEST_F(HeldTest, ExitWhileHeldExits) {
  supervisor.start(std::nullopt);
  supervisor.on_terminate_signal();
  EXPECT_EQ(effects.exit_code.value_or(-1), 0);
}

TEST_F(HeldTest, RunningDependentKeepsRunningAndWaitsAgainAfterItDies) {
  effects.dependencies_up = true;
  supervisor.start(std::nullopt);
  effects.dependencies_up = false;  // a dependency went down: nothing happens to us
  supervisor.on_dependencies_changed();
  EXPECT_EQ(supervisor.phase(), Phase::kRunning);
  EXPECT_TRUE(effects.signals.empty());
  clock.now_ms += 5000;
  supervisor.on_run_exit(exited(1));
  EXPECT_EQ(effects.runs.size(), 1u);
  EXPECT_TRUE(supervisor.held());
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  effects.dependencies_up = true;
  supervisor.on_dependencies_changed();
  EXPECT_EQ(effects.runs.size(), 2u);
}

TEST_F(HeldTest, RestartTimerIntoHeldWaits) {
  effects.dependencies_up = true;
  supervisor.start(std::nullopt);
  supervisor.on_run_exit(exited(1));  // at once: backoff
  ASSERT_EQ(supervisor.phase(), Phase::kBackoff);
  effects.dependencies_up = false;
  clock.now_ms += 5000;
  supervisor.on_timer(TimerKind::kRestart);
  EXPECT_EQ(supervisor.phase(), Phase::kDown);
  EXPECT_TRUE(supervisor.held());
}

// --- cycles (pure: a graph given as a map)

std::vector<std::string> cycle_in(const std::map<std::string, std::vector<std::string>>& graph,
                                  const std::string& self) {
  return find_dependency_cycle(self, [&](const std::string& name) {
    const auto it = graph.find(name);
    return it == graph.end() ? std::vector<std::string>{} : it->second;
  });
}

TEST(DependencyCycle, NoneInAChainOrADiamond) {
  const std::map<std::string, std::vector<std::string>> graph{
      {"web", {"app", "cache"}}, {"app", {"db"}}, {"cache", {"db"}}, {"db", {}}};
  EXPECT_TRUE(cycle_in(graph, "web").empty());
  EXPECT_TRUE(cycle_in(graph, "db").empty());
}

TEST(DependencyCycle, NamesEveryMemberFromSelf) {
  const std::map<std::string, std::vector<std::string>> graph{
      {"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}};
  EXPECT_EQ(cycle_in(graph, "a"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(cycle_in(graph, "b"), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(DependencyCycle, SelfLoopAndACycleElsewhere) {
  EXPECT_EQ(cycle_in({{"a", {"a"}}}, "a"), (std::vector<std::string>{"a"}));
  // web waits on a cycle it is not part of: its own path has none.
  const std::map<std::string, std::vector<std::string>> graph{
      {"web", {"x"}}, {"x", {"y"}}, {"y", {"x"}}};
  EXPECT_TRUE(cycle_in(graph, "web").empty());
}

}  // namespace
}  // namespace svtree::supervise
