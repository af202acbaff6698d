// SPDX-License-Identifier: MIT
// fork_exec_process: set-up as spawn_process; exec failures become exit 111 plus a message.
#include "svtree/fork_exec.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_support.hpp"
#include "svtree/pipe.hpp"

namespace svtree {
namespace {

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

TEST(ForkExec, CwdSessionFdsAndCleanSignals) {
  testing::TempDir dir;
  testing::write_script(dir / "probe",
                        "pwd\n"
                        "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = \"$$\" ] && echo leader\n"
                        "echo \"$1\"\n"
                        "echo to-fd-3 >&3\n"
                        "exec grep -E '^Sig(Blk|Ign)' /proc/self/status\n");
  auto out = make_pipe();
  auto extra = make_pipe();
  ASSERT_TRUE(out.ok() && extra.ok());
  // Our own handler and mask must not reach the child.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  ::sigaction(SIGUSR1, &ignore, &old_action);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t old_mask;
  ::sigprocmask(SIG_BLOCK, &block, &old_mask);
  SpawnRequest request;
  request.path = "./probe";
  request.argv = {"./probe", "argument"};
  request.cwd = dir.path();
  request.new_session = true;
  request.fds = {{1, out->write_end.get()}, {3, extra->write_end.get()}};
  auto pid = fork_exec_process(request, "test: unable to start ./probe");
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_action, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  out->write_end.reset();
  extra->write_end.reset();
  const int status = wait_for(*pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string text = drain(out->read_end.get());
  EXPECT_NE(text.find(dir.path() + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leader\nargument\n"), std::string::npos) << text;
  EXPECT_NE(text.find("SigBlk:\t0000000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("SigIgn:\t0000000000000000"), std::string::npos) << text;
  EXPECT_EQ(drain(extra->read_end.get()), "to-fd-3\n");
}

TEST(ForkExec, ExecFailureIsExit111WithTheMessageOnStderr) {
  testing::TempDir dir;
  testing::write_file(dir / "run", "#!/bin/sh\n", 0644);
  auto err = make_pipe();
  ASSERT_TRUE(err.ok());
  SpawnRequest request;
  request.path = "./run";
  request.argv = {"./run"};
  request.cwd = dir.path();
  request.fds = {{2, err->write_end.get()}};
  auto pid = fork_exec_process(request, "supervise: warning: unable to start ./run");
  ASSERT_TRUE(pid.ok());
  err->write_end.reset();
  const int status = wait_for(*pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 111);
  EXPECT_EQ(drain(err->read_end.get()),
            "supervise: warning: unable to start ./run: Permission denied\n");
}

}  // namespace
}  // namespace svtree
