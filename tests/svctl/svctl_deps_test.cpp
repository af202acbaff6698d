// SPDX-License-Identifier: MIT
// svctl and issue 14 against our supervise: `svctl wait` waits and sends nothing, a
// oneshot's start waits for it to be done, status names what a held service waits for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "svtree/status_record.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::testing {
namespace {

class SvctlDeps : public ::testing::Test {
 protected:
  void SetUp() override {
    svctl_ = binary_from_env("SVTREE_SVCTL");
    supervise_ = binary_from_env("SVTREE_SUPERVISE");
    if (svctl_.empty() || supervise_.empty()) GTEST_SKIP() << "run through meson test";
    make_dirs(svdir());
  }
  [[nodiscard]] std::string svdir() const { return root_ / "service"; }
  [[nodiscard]] std::string dir(const std::string& name) const { return svdir() + "/" + name; }
  void make_service(const std::string& name, const std::string& body) const {
    make_dirs(dir(name));
    write_script(dir(name) + "/run", body);
  }
  void supervise(const std::string& name) {
    supervisors_.push_back(
        std::make_unique<Process>(std::vector<std::string>{supervise_, dir(name)}));
    ASSERT_TRUE(wait_until([&] {
      return probe_supervisor(dir(name)) == SupervisorPresence::kRunning &&
             static_cast<bool>(read_service_status(dir(name)));
    }));
  }
  CommandResult svctl(std::vector<std::string> args) {
    args.insert(args.begin(), svctl_);
    return run_command(args, 60s, {"SVDIR=" + svdir()});
  }
  [[nodiscard]] Process::Options env() const {
    Process::Options options;
    options.extra_env = {"SVDIR=" + svdir()};
    return options;
  }
  [[nodiscard]] Phase phase(const std::string& name) const {
    auto record = read_service_status(dir(name));
    return record && record->extension ? record->extension->phase : Phase::kExiting;
  }

  TempDir root_;
  std::string svctl_;
  std::string supervise_;
  std::vector<std::unique_ptr<Process>> supervisors_;
};

TEST_F(SvctlDeps, StartOfAOneshotWaitsUntilItIsDone) {
  // init finishes when the test lets it: start -w must not answer before.
  make_service("init", "while [ ! -e go ]; do sleep 0.02; done\nexit 0\n");
  write_file(dir("init/type"), "oneshot\n");
  write_file(dir("init/down"), "");
  supervise("init");
  Process start({svctl_, "-w", "30", "start", "init"}, env());
  ASSERT_TRUE(wait_until([&] { return phase("init") == Phase::kStarting; }));
  EXPECT_TRUE(start.running());
  write_file(dir("init/go"), "");
  const auto code = start.wait_exit_code(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << start.stdout_text();
  EXPECT_EQ(phase("init"), Phase::kDone);
  EXPECT_NE(start.stdout_text().find("ok: "), std::string::npos) << start.stdout_text();
}

TEST_F(SvctlDeps, WaitSendsNothingAndTimesOutAsSv) {
  make_service("db", "exec sleep 1000\n");
  write_file(dir("db/down"), "");
  supervise("db");
  const CommandResult result = svctl({"wait", "-w", "0.3", "up", "db"});
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("timeout: "), std::string::npos) << result.out;
  // Nothing was started and nothing wished: an operator's down stands.
  const auto record = read_service_status(dir("db"));
  ASSERT_TRUE(static_cast<bool>(record));
  EXPECT_FALSE(record->want_up);
  EXPECT_EQ(record->state, RunState::kDown);
  // Down holds at once.
  EXPECT_EQ(svctl({"wait", "down", "db"}).exit_code, 0);
}

TEST_F(SvctlDeps, WaitReadyAndDoneEndWhenTheStateComes) {
  make_service("init", "while [ ! -e go ]; do sleep 0.02; done\nexit 0\n");
  write_file(dir("init/type"), "oneshot\n");
  make_service("web", "exec sleep 1000\n");
  make_dirs(dir("web/depends"));
  write_file(dir("web/depends/init"), "");
  supervise("init");
  supervise("web");
  Process done({svctl_, "wait", "-w", "30", "done", "init"}, env());
  Process ready({svctl_, "-w", "30", "wait", "ready", "web", "init"}, env());
  // web is held: status names what it waits for.
  ASSERT_TRUE(wait_until([&] {
    return svctl({"status", "web"}).out.find("waiting for init") != std::string::npos;
  })) << svctl({"status", "web"}).out;
  EXPECT_NE(svctl({"status"}).out.find("waiting for init"), std::string::npos);
  EXPECT_NE(svctl({"status", "--json", "web"}).out.find("\"waiting_for\":[\"init\"]"),
            std::string::npos)
      << svctl({"status", "--json", "web"}).out;
  EXPECT_TRUE(done.running());
  EXPECT_TRUE(ready.running());
  write_file(dir("init/go"), "");
  EXPECT_EQ(done.wait_exit_code(30s).value_or(-1), 0) << done.stdout_text();
  EXPECT_EQ(ready.wait_exit_code(30s).value_or(-1), 0) << ready.stdout_text();
  EXPECT_NE(svctl({"status", "init"}).out.find(", done"), std::string::npos)
      << svctl({"status", "init"}).out;
  EXPECT_EQ(svctl({"status", "web"}).out.find("waiting for"), std::string::npos);
}

TEST_F(SvctlDeps, WaitUsage) {
  EXPECT_EQ(svctl({"wait", "web"}).exit_code, 100);
  EXPECT_EQ(svctl({"wait", "up"}).exit_code, 100);
  EXPECT_EQ(svctl({"wait", "-w", "x", "up", "web"}).exit_code, 100);
}

}  // namespace
}  // namespace svtree::testing
