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

#include <algorithm>
#include <initializer_list>
#include <vector>

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

std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  return text;
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

// hold_exec: nothing runs before release_exec; a gate closed unreleased (the parent gone)
// ends the child with 111 (its line, on the stderr it inherited, is checked by supervise's
// test), without exec.
TEST(Spawner, HeldChildExecsOnlyOnceReleasedAndNeverWhenTheGateCloses) {
  TempDir dir;
  SpawnSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c", "echo ran > " + (dir / "ran")};
  spec.hold_exec = true;
  auto released = spawn(spec);
  auto abandoned = spawn(spec);
  ASSERT_TRUE(released.ok());
  ASSERT_TRUE(abandoned.ok());
  abandoned->gate.reset();
  const int abandoned_status = wait_for(abandoned->pid);
  ASSERT_TRUE(WIFEXITED(abandoned_status));
  EXPECT_EQ(WEXITSTATUS(abandoned_status), 111);
  EXPECT_FALSE(testing::file_exists(dir / "ran"));  // and the held one has not run yet
  release_exec(released->gate);
  EXPECT_FALSE(released->gate.valid());
  EXPECT_EQ(wait_for(released->pid), 0);
  EXPECT_EQ(testing::read_file(dir / "ran"), "ran\n");
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
  note_signal_disposition(SIGHUP, false);
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

// supervise's run (script_spawner.cpp): ./run relative to the service directory, its own
// session, the readiness fd mapped, and a clean signal state whatever ours is.
TEST(Spawner, ScriptStartsCleanWhateverOurSignalStateIs) {
  TempDir dir;
  testing::write_script(dir / "probe",
                        "pwd\n"
                        "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = \"$$\" ] && echo leader\n"
                        "echo \"$1\"\n"
                        "echo to-fd-3 >&3\n"
                        // The exec'd cat's own status: the shell's can show a fork midway,
                        // and grep catches SIGSEGV (its stack-overflow guard).
                        "exec cat /proc/self/status\n");
  auto out = make_pipe();
  auto extra = make_pipe();
  ASSERT_TRUE(out.ok() && extra.ok());
  const int cwd = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction handler {};
  handler.sa_handler = [](int) {};
  struct sigaction old_usr1 {};
  struct sigaction old_usr2 {};
  ::sigaction(SIGUSR1, &ignore, &old_usr1);
  ::sigaction(SIGUSR2, &handler, &old_usr2);
  // As every disposition svtree sets (tests/check_signal_ledger.sh).
  note_signal_disposition(SIGUSR1, true);
  note_signal_disposition(SIGUSR2, false);
  sigset_t block;
  sigset_t old_mask;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &old_mask);
  SpawnSpec spec;
  spec.path = "./probe";
  spec.argv = {"./probe", "argument"};
  spec.cwd_fd = cwd;
  spec.group = SpawnSpec::Group::kNewSession;
  spec.fds = {{1, out->write_end.get()}, {3, extra->write_end.get()}};
  auto spawned = spawn(spec);
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::close(cwd);
  ASSERT_TRUE(spawned.ok()) << spawned.error().message();
  out->write_end.reset();
  extra->write_end.reset();
  const int status = wait_for(spawned->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string text = drain(out->read_end.get());
  EXPECT_NE(text.find(dir.path() + "\nleader\nargument\n"), std::string::npos) << text;
  EXPECT_NE(text.find("SigBlk:\t0000000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("SigIgn:\t0000000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("SigCgt:\t0000000000000000"), std::string::npos) << text;
  EXPECT_EQ(drain(extra->read_end.get()), "to-fd-3\n");
}

// The run that cannot be executed (supervise's case): runit's 111 and one line naming why.
TEST(Spawner, NonExecutableRelativeProgramExits111WithItsReason) {
  TempDir dir;
  testing::write_file(dir / "run", "#!/bin/sh\n", 0644);
  auto err = make_pipe();
  ASSERT_TRUE(err.ok());
  const int cwd = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  SpawnSpec spec;
  spec.path = "./run";
  spec.argv = {"./run"};
  spec.cwd_fd = cwd;
  spec.fds = {{2, err->write_end.get()}};
  spec.exec_failure_prefix = "supervise: warning: unable to start ./run in a";
  spec.failure_exit_code = 111;
  auto spawned = spawn(spec);
  ::close(cwd);
  ASSERT_TRUE(spawned.ok());
  err->write_end.reset();
  const int status = wait_for(spawned->pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 111);
  EXPECT_EQ(drain(err->read_end.get()),
            "supervise: warning: unable to start ./run in a: Permission denied\n");
}

TEST(Spawner, SwappedFdsDoNotClobberEachOther) {
  auto a = make_pipe();
  auto b = make_pipe();
  ASSERT_TRUE(a.ok() && b.ok());
  // a's write end goes to b's write end's number, and the other way round.
  const int fa = a->write_end.get();
  const int fb = b->write_end.get();
  SpawnSpec spec;
  spec.path = "/bin/sh";
  spec.argv = {"sh", "-c",
               "echo A >&" + std::to_string(fb) + "; echo B >&" + std::to_string(fa)};
  spec.fds = {{fb, fa}, {fa, fb}};
  auto spawned = spawn(spec);
  ASSERT_TRUE(spawned.ok());
  a->write_end.reset();
  b->write_end.reset();
  EXPECT_EQ(wait_for(spawned->pid), 0);
  EXPECT_EQ(drain(a->read_end.get()), "A\n");
  EXPECT_EQ(drain(b->read_end.get()), "B\n");
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


// --- which dispositions the child sets (issue #18)

namespace {
sigset_t signal_set(std::initializer_list<int> signals) {
  sigset_t set;
  ::sigemptyset(&set);
  for (const int signo : signals) ::sigaddset(&set, signo);
  return set;
}
std::vector<int> members(const sigset_t& set) {
  std::vector<int> out;
  for (int signo = 1; signo < NSIG; ++signo)
    if (::sigismember(&set, signo) == 1) out.push_back(signo);
  return out;
}
}  // namespace

TEST(SignalDispositions, ParsesSigIgnAndSigCgtOfProcStatus) {
  sigset_t caught = signal_set({});
  sigset_t ignored = signal_set({});
  // SIGPIPE (13, bit 12) ignored; SIGHUP (1), SIGCHLD (17) and SIGRTMIN+2 (36) caught.
  const std::string status =
      "Name:\tsupervise\nSigQ:\t0/62793\nSigPnd:\t0000000000000000\n"
      "ShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n"
      "SigIgn:\t0000000000001000\nSigCgt:\t0000000800010001\nCapInh:\t0000000000000000\n";
  ASSERT_TRUE(parse_signal_dispositions(status, caught, ignored));
  EXPECT_EQ(members(ignored), std::vector<int>{SIGPIPE});
  EXPECT_EQ(members(caught), (std::vector<int>{SIGHUP, SIGCHLD, 36}));
}

TEST(SignalDispositions, RefusesAMissingOrCutLine) {
  sigset_t caught = signal_set({SIGUSR1});
  sigset_t ignored = signal_set({SIGUSR2});
  // A read that stopped inside SigCgt has not seen every digit.
  EXPECT_FALSE(parse_signal_dispositions("SigIgn:\t0000000000001000\nSigCgt:\t00000008", caught,
                                         ignored));
  EXPECT_FALSE(parse_signal_dispositions("SigIgn:\t0000000000001000\n", caught, ignored));
  EXPECT_FALSE(parse_signal_dispositions("SigIgn:\tzz\nSigCgt:\t0\n", caught, ignored));
  // XSigIgn is not SigIgn.
  EXPECT_FALSE(parse_signal_dispositions("XSigIgn:\t1\nXSigCgt:\t1\n", caught, ignored));
  // Unchanged on failure.
  EXPECT_EQ(members(caught), std::vector<int>{SIGUSR1});
  EXPECT_EQ(members(ignored), std::vector<int>{SIGUSR2});
}

TEST(SignalDispositions, ResetsOnlyWhatExecWouldGetWrong) {
  SignalState wanted = SignalState::clean();
  // Nothing caught, nothing ignored, nothing wanted ignored: not one call.
  EXPECT_TRUE(members(signals_to_reset(signal_set({}), signal_set({}), wanted)).empty());
  // A caught signal the child's mask lets in: its handler could run before exec.
  EXPECT_EQ(members(signals_to_reset(signal_set({SIGTERM}), signal_set({}), wanted)),
            std::vector<int>{SIGTERM});
  // Ignored here, not wanted ignored: exec would keep SIG_IGN.
  EXPECT_EQ(members(signals_to_reset(signal_set({}), signal_set({SIGINT}), wanted)),
            std::vector<int>{SIGINT});
  // Wanted ignored, not ignored here (caught or default): set SIG_IGN.
  wanted.ignored = signal_set({SIGTTOU, SIGHUP});
  EXPECT_EQ(members(signals_to_reset(signal_set({SIGHUP}), signal_set({}), wanted)),
            (std::vector<int>{SIGHUP, SIGTTOU}));
  // Ignored here and wanted ignored: exec keeps it, nothing to do.
  EXPECT_TRUE(members(signals_to_reset(signal_set({}), wanted.ignored, wanted)).empty());
  // Caught, but blocked through exec (svscan's supervise): exec drops the handler and the
  // signal waits, pending, for the new program.
  SignalState blocked = SignalState::clean();
  ::sigfillset(&blocked.mask);
  EXPECT_TRUE(
      members(signals_to_reset(signal_set({SIGTERM, SIGHUP, SIGUSR1}), signal_set({}), blocked))
          .empty());
  // KILL and STOP cannot be set.
  sigset_t all;
  ::sigfillset(&all);
  const std::vector<int> reset = members(signals_to_reset(all, signal_set({}), wanted));
  EXPECT_EQ(std::count(reset.begin(), reset.end(), SIGKILL), 0);
  EXPECT_EQ(std::count(reset.begin(), reset.end(), SIGSTOP), 0);
}

// Blocked through exec (svscan's supervise), a caught signal needs no reset: exec drops the
// handler, and a signal sent meanwhile waits, pending, for the program.
TEST(Spawner, ACaughtSignalBlockedThroughExecIsNotResetAndWaits) {
  struct sigaction handler {};
  handler.sa_handler = [](int) {};
  struct sigaction old_usr1 {};
  ::sigaction(SIGUSR1, &handler, &old_usr1);
  note_signal_disposition(SIGUSR1, false);
  SpawnSpec spec;
  spec.path = "/bin/sh";
  // Sent before the exec of cat, which finds it pending (bit 9) and has no handler.
  spec.argv = {"sh", "-c", "kill -USR1 $$; exec cat /proc/self/status"};
  ::sigfillset(&spec.signals.mask);
  const auto [text, status] = output_of(spec);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  EXPECT_EQ(status, 0);
  EXPECT_NE(text.find("ShdPnd:\t0000000000000200"), std::string::npos) << text;
  EXPECT_NE(text.find("SigCgt:\t0000000000000000"), std::string::npos) << text;
}

}  // namespace
}  // namespace svtree
