// SPDX-License-Identifier: MIT
// ServiceEffects records what touches an event source and ServiceRunner applies it after the
// event: these tests read that record on a real service directory, with no loop at all.
#include "supervise/service_effects.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "svtree/spawner.hpp"
#include "svtree/unique_fd.hpp"
#include "support/test_support.hpp"

namespace svtree::supervise {
namespace {

using Retry = EffectRequests::PublishRetry;
using testing::file_exists;
using testing::make_dirs;
using testing::TempDir;
using testing::write_script;

std::optional<EffectRequests::Timer> timer_of(const EffectRequests& requests, TimerKind kind) {
  const auto found = requests.timers.find(kind);
  if (found == requests.timers.end()) return std::nullopt;
  return found->second;
}

class ServiceEffectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    make_dirs(tmp_ / "svc");
    auto dir = ServiceDir::open(tmp_ / "svc");
    ASSERT_TRUE(dir) << dir.error().message();
    auto server = SuperviseServer::open(*dir);
    ASSERT_TRUE(server) << server.error().message();
    effects_.emplace(std::move(*dir), std::move(*server));
  }

  /// Makes NAME.new a directory for each file publish writes: no write can replace it.
  void block_publish() {
    for (const char* entry : {"pid.new", "stat.new", "status.svtree.new", "status.new"})
      ASSERT_EQ(::mkdir((tmp_ / "svc/supervise/" + entry).c_str(), 0700), 0) << entry;
  }
  void unblock_publish() {
    for (const char* entry : {"pid.new", "stat.new", "status.svtree.new", "status.new"})
      ASSERT_EQ(::rmdir((tmp_ / "svc/supervise/" + entry).c_str()), 0) << entry;
  }

  TempDir tmp_;
  std::optional<ServiceEffects> effects_;
};

TEST_F(ServiceEffectsTest, ArmThenCancelWithinOneEventStopsTheTimer) {
  effects_->arm_timer(TimerKind::kRestart, 1000);
  effects_->cancel_timer(TimerKind::kRestart);
  effects_->cancel_timer(TimerKind::kKill);
  effects_->arm_timer(TimerKind::kKill, 250);
  const EffectRequests requests = effects_->take_requests();
  ASSERT_TRUE(timer_of(requests, TimerKind::kRestart));
  EXPECT_FALSE(timer_of(requests, TimerKind::kRestart)->armed);
  ASSERT_TRUE(timer_of(requests, TimerKind::kKill));
  EXPECT_TRUE(timer_of(requests, TimerKind::kKill)->armed);
  EXPECT_EQ(timer_of(requests, TimerKind::kKill)->delay_ms, 250);
  // Timers no call named are left as they are.
  EXPECT_FALSE(timer_of(requests, TimerKind::kFinishTimeout));
  // The record starts again empty for the next event.
  const EffectRequests next = effects_->take_requests();
  EXPECT_FALSE(timer_of(next, TimerKind::kRestart));
  EXPECT_FALSE(timer_of(next, TimerKind::kKill));
  EXPECT_FALSE(next.exit_code);
}

TEST_F(ServiceEffectsTest, ReleaseAfterStartLeavesNoReadiness) {
  write_script(tmp_ / "svc/run", "exit 0\n");
  // start_run runs ./run relative to the cwd, which supervise makes DIR: so does this test.
  UniqueFd previous_cwd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(previous_cwd.valid());
  ASSERT_EQ(::chdir((tmp_ / "svc").c_str()), 0);
  ServiceKnobs knobs;
  knobs.notification_fd = 3;

  auto first = effects_->start_run(knobs);
  EffectRequests started = effects_->take_requests();
  auto second = effects_->start_run(knobs);
  effects_->release_run();
  EffectRequests released = effects_->take_requests();
  ASSERT_EQ(::fchdir(previous_cwd.get()), 0);

  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  // Each run waits to exec until the runner releases its gate, after the event's publish.
  EXPECT_TRUE(started.run_exec_gate.valid());
  EXPECT_TRUE(released.run_exec_gate.valid());
  release_exec(started.run_exec_gate);
  release_exec(released.run_exec_gate);
  for (const pid_t pid : {*first, *second}) {
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  }
  // A start drops the previous run's watches and asks for its readiness pipe to be watched.
  EXPECT_TRUE(started.drop_run_watches);
  EXPECT_TRUE(started.readiness.valid());
  // Released in the same event: nothing is left to watch.
  EXPECT_TRUE(released.drop_run_watches);
  EXPECT_FALSE(released.readiness.valid());
}

TEST_F(ServiceEffectsTest, FailedPublishThenGoodPublishClearsTheRetry) {
  StatusRecord record;
  block_publish();
  effects_->publish(record, false);
  EXPECT_EQ(effects_->take_requests().publish_retry, Retry::kArm);
  // Still failing when the retry timer fires: armed again.
  effects_->retry_publish();
  EXPECT_EQ(effects_->take_requests().publish_retry, Retry::kArm);

  unblock_publish();
  effects_->publish(record, false);
  EXPECT_EQ(effects_->take_requests().publish_retry, Retry::kStop);
  EXPECT_TRUE(file_exists(tmp_ / "svc/supervise/status"));

  // Both within one event: the good one wins.
  block_publish();
  effects_->publish(record, false);
  unblock_publish();
  effects_->publish(record, true);
  EXPECT_EQ(effects_->take_requests().publish_retry, Retry::kStop);
}

TEST_F(ServiceEffectsTest, ExitAndCheckStopAreRecordedNotDone) {
  effects_->stop_check();
  effects_->exit(111);
  const EffectRequests requests = effects_->take_requests();
  ASSERT_EQ(requests.checks.size(), 1U);
  EXPECT_EQ(requests.checks.front().kind, EffectRequests::Check::Kind::kStop);
  ASSERT_TRUE(requests.exit_code);
  EXPECT_EQ(*requests.exit_code, 111);
}

}  // namespace
}  // namespace svtree::supervise
