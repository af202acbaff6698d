// SPDX-License-Identifier: MIT
// spawn_process: exec errors reach the caller; fds, cwd, session and signals as asked.
#include "svtree/spawn.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_support.hpp"
#include "svtree/pipe.hpp"
#include "svtree/process.hpp"

namespace svtree {
namespace {

using testing::TempDir;

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Spawn, MissingProgramIsAnErrorNotAChild) {
  SpawnRequest request;
  request.path = "/nonexistent/run";
  request.argv = {"run"};
  auto pid = spawn_process(request);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().code, ENOENT);
}

TEST(Spawn, NonExecutableIsEacces) {
  TempDir dir;
  testing::write_file(dir / "run", "#!/bin/sh\n", 0644);
  SpawnRequest request;
  request.path = dir / "run";
  request.argv = {"run"};
  auto pid = spawn_process(request);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.error().code, EACCES);
}

TEST(Spawn, CwdSessionFdsAndCleanSignals) {
  TempDir dir;
  // The child reports its cwd, whether it leads its session, and its ignored/blocked
  // signal masks: all must be clean whatever the parent had.
  testing::write_script(dir / "probe",
                        "pwd\n"
                        "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = \"$$\" ] && echo leader\n"
                        "echo to-fd-3 >&3\n"
                        // /proc/self of the exec'd grep: the shell's own status can show a
                        // fork in progress.
                        "exec grep -E '^Sig(Blk|Ign)' /proc/self/status\n");
  auto out = make_pipe();
  auto extra = make_pipe();
  ASSERT_TRUE(out.ok() && extra.ok());
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &block, &old);
  SpawnRequest request;
  request.path = dir / "probe";
  request.argv = {"probe"};
  request.cwd = dir.path();
  request.new_session = true;
  request.fds = {{1, out->write_end.get()}, {3, extra->write_end.get()}};
  auto pid = spawn_process(request);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  out->write_end.reset();
  extra->write_end.reset();
  const int status = wait_for(*pid);
  EXPECT_TRUE(WIFEXITED(status));
  std::string text(4096, '\0');
  text.resize(static_cast<size_t>(::read(out->read_end.get(), text.data(), text.size())));
  EXPECT_NE(text.find(dir.path() + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leader"), std::string::npos) << text;
  EXPECT_NE(text.find("SigBlk:\t0000000000000000"), std::string::npos) << text;
  // Only the standard signals: glibc reserves 32 and 33 for itself.
  const size_t ignored_at = text.find("SigIgn:\t");
  ASSERT_NE(ignored_at, std::string::npos) << text;
  const unsigned long long ignored = std::stoull(text.substr(ignored_at + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & 0x7fffffffULL, 0u) << text;
  char extra_text[32] = {};
  EXPECT_GT(::read(extra->read_end.get(), extra_text, sizeof extra_text), 0);
  EXPECT_STREQ(extra_text, "to-fd-3\n");
}

TEST(Spawn, SwappedFdsDoNotClobberEachOther) {
  auto a = make_pipe();
  auto b = make_pipe();
  ASSERT_TRUE(a.ok() && b.ok());
  // Map a's write end to whatever fd number b's write end has, and vice versa.
  const int fa = a->write_end.get();
  const int fb = b->write_end.get();
  SpawnRequest request;
  request.path = "/bin/sh";
  request.argv = {"sh", "-c", "echo A >&" + std::to_string(fb) + "; echo B >&" + std::to_string(fa)};
  request.fds = {{fb, fa}, {fa, fb}};
  auto pid = spawn_process(request);
  ASSERT_TRUE(pid.ok());
  a->write_end.reset();
  b->write_end.reset();
  wait_for(*pid);
  char text[8] = {};
  ASSERT_GT(::read(a->read_end.get(), text, sizeof text), 0);
  EXPECT_STREQ(text, "A\n");
}

TEST(Process, DescribeWaitStatusAsRunitFinishArguments) {
  const auto exited = describe_wait_status(3 << 8);
  EXPECT_EQ(exited.finish_code, 3);
  EXPECT_EQ(exited.finish_status, 0);
  EXPECT_EQ(exited.shell_status, 3);
  const auto killed = describe_wait_status(SIGKILL);
  EXPECT_EQ(killed.finish_code, -1);
  EXPECT_EQ(killed.finish_status, SIGKILL);
  EXPECT_EQ(killed.shell_status, 137);
}

TEST(Process, SignalGuardsNeverHitEverything) {
  EXPECT_FALSE(signal_process(0, 0));
  EXPECT_FALSE(signal_process(-1, 0));
  EXPECT_FALSE(signal_process_group(1, 0));
}

}  // namespace
}  // namespace svtree
