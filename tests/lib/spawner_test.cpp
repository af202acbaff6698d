// SPDX-License-Identifier: MIT
// spawn (lib/spawner): real processes. Exec failure arrives through the report pipe as an
// event; cwd by fd, process group, fd map (with clashes), the signal state passed on.
#include "svtree/spawner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_support.hpp"
#include "svtree/pipe.hpp"

namespace svtree {
namespace {

using testing::TempDir;

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The report is read once readable, as the loop would: poll stands in for the IoWatch.
std::optional<int> report_of(const Spawned& spawned) {
  pollfd p{spawned.report.get(), POLLIN, 0};
  if (::poll(&p, 1, 20000) != 1) return -1;
  return read_exec_report(spawned.report.get());
}

TEST(Spawner, ExecFailureIsReportedAndTheChildExitsLikeAShell) {
  TempDir dir;
  testing::write_file(dir / "not-executable", "#!/bin/sh\n", 0644);
  for (const auto& [path, error, status] :
       {std::tuple{std::string("/nonexistent/x"), ENOENT, 127},
        std::tuple{dir / "not-executable", EACCES, 126}}) {
    SpawnSpec spec;
    spec.path = path;
    spec.argv = {"x"};
    spec.report_exec_failure = true;
    auto spawned = spawn(spec);
    ASSERT_TRUE(spawned.ok());
    EXPECT_EQ(report_of(*spawned), std::optional<int>(error));
    const int wait_status = wait_for(spawned->pid);
    ASSERT_TRUE(WIFEXITED(wait_status));
    EXPECT_EQ(WEXITSTATUS(wait_status), status);
  }
}

TEST(Spawner, SuccessfulExecReportsEndOfFile) {
  SpawnSpec spec;
  spec.path = "/bin/true";
  spec.argv = {"true"};
  spec.report_exec_failure = true;
  auto spawned = spawn(spec);
  ASSERT_TRUE(spawned.ok());
  EXPECT_EQ(report_of(*spawned), std::nullopt);
  EXPECT_EQ(wait_for(spawned->pid), 0);
}

TEST(Spawner, FailureExitCodeAndLineForSupervise) {
  TempDir dir;
  const int err = ::open((dir / "err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  SpawnSpec spec;
  spec.path = "/nonexistent/supervise";
  spec.argv = {"supervise"};
  spec.fds = {{2, err}};
  spec.exec_failure_prefix = "svscan: fatal: unable to start supervise for a";
  spec.failure_exit_code = 111;
  auto spawned = spawn(spec);
  ::close(err);
  ASSERT_TRUE(spawned.ok());
  const int status = wait_for(spawned->pid);
  EXPECT_EQ(WEXITSTATUS(status), 111);
  EXPECT_EQ(testing::read_file(dir / "err"),
            "svscan: fatal: unable to start supervise for a: No such file or directory\n");
}

// Runs spec with its stdout (and fd 5) on a pipe; returns what it wrote and its status.
std::pair<std::string, int> output_of(SpawnSpec spec) {
  auto out = make_pipe();
  if (!out) return {"", -1};
  // fd 1 and fd 5 are both the pipe; the pipe's own fd number may clash with a target.
  spec.fds = {{1, out->write_end.get()}, {5, out->write_end.get()}};
  auto spawned = spawn(spec);
  if (!spawned) return {"", -1};
  out->write_end.reset();
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out->read_end.get(), buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  return {text + "pid " + std::to_string(spawned->pid) + "\n", wait_for(spawned->pid)};
}

TEST(Spawner, CwdByFdProcessGroupAndFdMap) {
  TempDir dir;
  testing::make_dirs(dir / "work");
  const int cwd = ::open((dir / "work").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  SpawnSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c", "pwd; ps -o pgid= -p $$ | tr -d ' '; echo to-fd-5 >&5"};
  spec.cwd_fd = cwd;
  spec.group = SpawnSpec::Group::kNewProcessGroup;
  const auto [text, status] = output_of(spec);
  ::close(cwd);
  EXPECT_EQ(status, 0);
  const std::string pid = text.substr(text.rfind("pid ") + 4);
  EXPECT_EQ(text, dir / "work" + "\n" + pid + "to-fd-5\npid " + pid);
}

TEST(Spawner, SignalMaskAndIgnoredSetArePassedOn) {
  SpawnSpec spec;
  spec.path = "/bin/grep";
  spec.argv = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"};
  ::sigaddset(&spec.signals.mask, SIGUSR1);
  ::sigaddset(&spec.signals.ignored, SIGUSR2);
  const auto [text, status] = output_of(spec);
  EXPECT_EQ(status, 0);
  // SIGUSR1 is 10: bit 9 of SigBlk; SIGUSR2 is 12: bit 11 of SigIgn.
  EXPECT_NE(text.find("SigBlk:\t0000000000000200"), std::string::npos) << text;
  EXPECT_NE(text.find("SigIgn:\t0000000000000800"), std::string::npos) << text;
}

TEST(Spawner, NewSessionAndNoHandlerOfOursSurvives) {
  auto out = make_pipe();
  ASSERT_TRUE(out.ok());
  // A handler here must be SIG_DFL in the child (SigCgt empty), whatever we had.
  struct sigaction action {};
  action.sa_handler = [](int) {};
  ::sigaction(SIGHUP, &action, nullptr);
  SpawnSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c", "ps -o sid= -p $$ | tr -d ' '; grep SigCgt /proc/self/status"};
  spec.group = SpawnSpec::Group::kNewSession;
  spec.fds = {{1, out->write_end.get()}};
  auto spawned = spawn(spec);
  ::signal(SIGHUP, SIG_DFL);
  ASSERT_TRUE(spawned.ok());
  out->write_end.reset();
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out->read_end.get(), buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  wait_for(spawned->pid);
  EXPECT_EQ(text.rfind(std::to_string(spawned->pid) + "\n", 0), 0u) << text;
}

TEST(SignalState, CurrentSeesMaskAndIgnoredSignals) {
  sigset_t block;
  sigset_t old;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  ::signal(SIGUSR2, SIG_IGN);
  const SignalState state = SignalState::current();
  ::signal(SIGUSR2, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(::sigismember(&state.mask, SIGUSR1), 1);
  EXPECT_EQ(::sigismember(&state.ignored, SIGUSR2), 1);
  EXPECT_EQ(::sigismember(&state.ignored, SIGUSR1), 0);
}

}  // namespace
}  // namespace svtree
