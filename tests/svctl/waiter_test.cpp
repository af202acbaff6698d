// SPDX-License-Identifier: MIT
// The wait conditions, cell by cell: sv's meanings, minus sv's same-second race.
#include "svctl/waiter.hpp"

#include <gtest/gtest.h>

#include "svtree/health_check.hpp"

namespace svtree::svctl {
namespace {

Snapshot snap(RunState state, pid_t pid, bool want_up, uint64_t second, uint32_t ns = 0) {
  Snapshot s;
  s.presence = Presence::kSupervised;
  StatusRecord rec;
  rec.state = state;
  rec.pid = pid;
  rec.want_up = want_up;
  rec.since = Tai64n{Tai64n::kUnixEpochLabel + second, ns};
  s.record = rec;
  return s;
}

Progress progress(std::string_view conditions, const Snapshot& before, const Snapshot& now) {
  return evaluate_progress(conditions, before, now).progress;
}

TEST(EvaluateProgress, UpNeedsRunningThenCheckScript) {
  const auto down = snap(RunState::kDown, 0, true, 100);
  EXPECT_EQ(progress("u", down, down), Progress::kWaiting);
  EXPECT_EQ(progress("u", down, snap(RunState::kRun, 5, true, 101)), Progress::kNeedsCheckScript);
  EXPECT_EQ(progress("u", down, snap(RunState::kFinish, 6, true, 101)), Progress::kWaiting);
}

TEST(EvaluateProgress, UpWaitsForReadinessWhenTheExtensionSaysSo) {
  auto running = snap(RunState::kRun, 5, true, 101);
  running.record->extension = StatusExtension{};
  EXPECT_EQ(evaluate_progress("u", running, running).reason, "not ready");
  running.record->extension->flags = StatusExtension::kFlagReady;
  EXPECT_EQ(progress("u", running, running), Progress::kNeedsCheckScript);
}

TEST(EvaluateProgress, SupervisedHealthCheckIsReadNotRepeated) {
  // supervise runs the check (check-interval, check-tcp, check-http) and publishes its
  // latest answer in byte 67: passing is done without ./check, failing is not ready yet.
  auto running = snap(RunState::kRun, 5, true, 101);
  running.record->extension = StatusExtension{};
  running.record->extension->flags = StatusExtension::kFlagReady;
  running.record->extension->health = static_cast<uint8_t>(Health::kPassing);
  EXPECT_EQ(progress("u", running, running), Progress::kDone);
  running.record->extension->health = static_cast<uint8_t>(Health::kFailing);
  EXPECT_EQ(evaluate_progress("u", running, running).reason, "health check failing");
  EXPECT_EQ(evaluate_progress("C", running, running).reason, "health check failing");
  const auto before = snap(RunState::kRun, 4, true, 100);
  EXPECT_EQ(evaluate_progress("t", before, running).reason, "health check failing");
}

TEST(EvaluateProgress, UpAndDownWaitForTheWishToBeRecorded) {
  // sv.c says "ok" here and prints "want down" after `up`.
  EXPECT_EQ(evaluate_progress("u", snap(RunState::kRun, 5, false, 100),
                              snap(RunState::kRun, 5, false, 100)).reason,
            "not wanted up");
  EXPECT_EQ(evaluate_progress("d", snap(RunState::kDown, 0, true, 100),
                              snap(RunState::kDown, 0, true, 100)).reason,
            "not wanted down");
}

TEST(EvaluateProgress, DownNeedsNoPidAndStateDown) {
  const auto before = snap(RunState::kRun, 5, true, 100);
  EXPECT_EQ(progress("d", before, snap(RunState::kRun, 5, false, 100)), Progress::kWaiting);
  EXPECT_EQ(progress("d", before, snap(RunState::kFinish, 9, false, 101)), Progress::kWaiting);
  EXPECT_EQ(progress("d", before, snap(RunState::kDown, 0, false, 101)), Progress::kDone);
}

TEST(EvaluateProgress, RestartNeverAcceptsTheOldProcessEvenInTheSameSecond) {
  const auto before = snap(RunState::kRun, 5, true, 100, 1000);
  // sv.c accepts this one: same second as the command, old pid.
  EXPECT_EQ(progress("tcu", before, before), Progress::kWaiting);
  // TERM received, process not dead yet.
  auto dying = before;
  dying.record->got_term = true;
  EXPECT_EQ(progress("tcu", before, dying), Progress::kWaiting);
  // The new process, started in the same second, a few microseconds later.
  EXPECT_EQ(progress("tcu", before, snap(RunState::kRun, 6, true, 100, 5000)),
            Progress::kNeedsCheckScript);
}

TEST(EvaluateProgress, RestartCountsStartsWhenStampsTie) {
  auto before = snap(RunState::kRun, 5, true, 100, 1000);
  before.record->extension = StatusExtension{};
  before.record->extension->start_count = 4;
  before.record->extension->flags = StatusExtension::kFlagReady;
  auto after = before;
  after.record->pid = 8;
  EXPECT_EQ(progress("tcu", before, after), Progress::kWaiting);
  after.record->extension->start_count = 5;
  EXPECT_EQ(progress("tcu", before, after), Progress::kNeedsCheckScript);
  after.record->extension->flags = 0;
  EXPECT_EQ(evaluate_progress("tcu", before, after).reason, "not ready");
}

TEST(EvaluateProgress, TermOnAServiceWantedDownIsDoneAtOnce) {
  const auto down = snap(RunState::kDown, 0, false, 100);
  EXPECT_EQ(progress("tc", down, down), Progress::kDone);
}

TEST(EvaluateProgress, OnceRunningWantedDownOrRanAndEnded) {
  const auto before = snap(RunState::kDown, 0, false, 100, 10);
  EXPECT_EQ(progress("o", before, before), Progress::kWaiting);
  EXPECT_EQ(progress("o", before, snap(RunState::kRun, 7, false, 100, 20)), Progress::kDone);
  EXPECT_EQ(progress("o", before, snap(RunState::kRun, 7, true, 100, 20)), Progress::kWaiting);
  EXPECT_EQ(progress("o", before, snap(RunState::kDown, 0, false, 100, 30)), Progress::kDone);
}

TEST(EvaluateProgress, PauseAndCont) {
  const auto running = snap(RunState::kRun, 5, true, 100);
  auto paused = running;
  paused.record->paused = true;
  EXPECT_EQ(progress("p", running, running), Progress::kWaiting);
  EXPECT_EQ(progress("p", running, paused), Progress::kDone);
  EXPECT_EQ(progress("c", running, paused), Progress::kWaiting);
  EXPECT_EQ(progress("c", running, running), Progress::kDone);
}

TEST(EvaluateProgress, CheckFollowsTheWantedState) {
  const auto up = snap(RunState::kRun, 5, true, 100);
  const auto wanted_down_running = snap(RunState::kRun, 5, false, 100);
  EXPECT_EQ(progress("C", up, up), Progress::kNeedsCheckScript);
  EXPECT_EQ(progress("C", up, wanted_down_running), Progress::kWaiting);
  EXPECT_EQ(progress("C", up, snap(RunState::kDown, 0, false, 100)), Progress::kDone);
  EXPECT_EQ(progress("C", up, snap(RunState::kDown, 0, true, 100)), Progress::kWaiting);
}

TEST(EvaluateProgress, ExitWaitsForTheSupervisorToGo) {
  const auto up = snap(RunState::kDown, 0, false, 100);
  EXPECT_EQ(progress("x", up, up), Progress::kWaiting);
  Snapshot gone;
  gone.presence = Presence::kNotSupervised;
  EXPECT_EQ(progress("x", up, gone), Progress::kGone);
  EXPECT_EQ(progress("u", up, gone), Progress::kGone);
}

TEST(EvaluateProgress, SignalsAreDoneAtOnce) {
  const auto up = snap(RunState::kRun, 5, true, 100);
  for (const char* letters : {"h", "a", "i", "q", "1", "2"})
    EXPECT_EQ(progress(letters, up, up), Progress::kDone) << letters;
}

// --- issue 14: oneshots and svctl wait

Snapshot with_phase(Snapshot s, Phase phase, bool ready = false) {
  StatusExtension ext;
  ext.phase = phase;
  if (ready) ext.flags = StatusExtension::kFlagReady;
  s.record->extension = ext;
  return s;
}

TEST(EvaluateProgress, UpAndRestartOfAOneshotEndWhenItIsDone) {
  const auto before = with_phase(snap(RunState::kDown, 0, false, 100), Phase::kDown);
  const auto running = with_phase(snap(RunState::kRun, 5, true, 101), Phase::kStarting);
  const auto done = with_phase(snap(RunState::kDown, 0, true, 102), Phase::kDone);
  EXPECT_EQ(evaluate_progress("u", before, running).reason, "not ready");
  EXPECT_EQ(progress("u", before, done), Progress::kDone);
  EXPECT_EQ(progress("tcu", before, done), Progress::kDone);
  // The same done record as before t: not run again yet.
  EXPECT_EQ(progress("tcu", done, done), Progress::kWaiting);
}

TEST(EvaluateProgress, WaitConditionsIgnoreTheWish) {
  const auto down = with_phase(snap(RunState::kDown, 0, true, 100), Phase::kDown);
  const auto starting = with_phase(snap(RunState::kRun, 5, false, 100), Phase::kStarting);
  const auto ready = with_phase(snap(RunState::kRun, 5, false, 100), Phase::kRunning, true);
  const auto done = with_phase(snap(RunState::kDown, 0, false, 100), Phase::kDone);
  const std::string up(1, kWaitUp), rdy(1, kWaitReady), fin(1, kWaitDone), dn(1, kWaitDown);
  EXPECT_EQ(progress(up, down, down), Progress::kWaiting);
  EXPECT_EQ(progress(up, down, starting), Progress::kDone);
  EXPECT_EQ(progress(up, down, done), Progress::kDone);
  EXPECT_EQ(progress(rdy, down, starting), Progress::kWaiting);
  EXPECT_EQ(progress(rdy, down, ready), Progress::kDone);
  EXPECT_EQ(progress(rdy, down, done), Progress::kDone);
  EXPECT_EQ(progress(fin, down, ready), Progress::kWaiting);
  EXPECT_EQ(progress(fin, down, done), Progress::kDone);
  EXPECT_EQ(progress(dn, down, ready), Progress::kWaiting);
  EXPECT_EQ(progress(dn, down, down), Progress::kDone) << "down while wanted up: still down";
}

}  // namespace
// Issue 13: check fails for a service in backoff, one that gave up, and one up less than
// min-uptime after a failed start, saying why in one line; under runsv (no extension) none
// of this applies.
TEST(EvaluateProgress, CheckFailsInBackoffFailedOrUpLessThanMinUptime) {
  auto backoff = snap(RunState::kDown, 0, true, 100);
  backoff.record->extension = StatusExtension{};
  backoff.record->extension->phase = Phase::kBackoff;
  backoff.record->extension->failed_starts = 3;
  backoff.record->extension->next_start = Tai64n{Tai64n::kUnixEpochLabel + 104, 500'000'000};
  backoff.taken = Tai64n{Tai64n::kUnixEpochLabel + 100, 0};
  EXPECT_EQ(evaluate_progress("C", backoff, backoff).reason,
            "in backoff after 3 failed starts in a row, next start in 4.5 s");

  auto failed = snap(RunState::kDown, 0, false, 100);
  failed.record->extension = StatusExtension{};
  failed.record->extension->phase = Phase::kFailed;
  failed.record->extension->failed_starts = 1;
  EXPECT_EQ(evaluate_progress("C", failed, failed).reason,
            "failed: gave up after 1 failed start in a row (max-restarts); svctl up restarts it");
  EXPECT_EQ(progress("d", failed, failed), Progress::kDone) << "svctl -w down still succeeds";

  auto young = snap(RunState::kRun, 5, true, 100, 0);
  young.record->extension = StatusExtension{};
  young.record->extension->flags = StatusExtension::kFlagReady;
  young.record->extension->phase = Phase::kRunning;
  young.min_uptime_ms = 1000;
  young.taken = Tai64n{Tai64n::kUnixEpochLabel + 100, 400'000'000};
  EXPECT_EQ(progress("C", young, young), Progress::kNeedsCheckScript)
      << "a restart after a run that lived min-uptime (a periodic job) is no crash loop";
  young.record->extension->failed_starts = 2;
  const Verdict verdict = evaluate_progress("C", young, young);
  EXPECT_EQ(verdict.progress, Progress::kWaiting);
  EXPECT_EQ(verdict.reason,
            "up 400 ms after 2 failed starts in a row, less than min-uptime 1000 ms");
  EXPECT_GT(verdict.recheck_after, 0.59);
  EXPECT_EQ(progress("u", young, young), Progress::kNeedsCheckScript)
      << "svctl -w start waits for ready, not for min-uptime";
  young.taken = Tai64n{Tai64n::kUnixEpochLabel + 101, 0};
  EXPECT_EQ(progress("C", young, young), Progress::kNeedsCheckScript);

  auto runsv = snap(RunState::kRun, 5, true, 100, 0);
  runsv.taken = Tai64n{Tai64n::kUnixEpochLabel + 100, 1};
  EXPECT_EQ(progress("C", runsv, runsv), Progress::kNeedsCheckScript);
}

}  // namespace svtree::svctl
