// SPDX-License-Identifier: MIT
// `svscan DIR -- CMD` as a drop-in for tini and dumb-init (issue #11, DESIGN.md §5): the
// scenarios of their own test suites (krallin/tini test/, Yelp/dumb-init tests/), each
// test naming the one it comes from, run with svscan in place of the init, as a plain
// child and as PID 1 of a PID namespace. Where Debian's tini and dumb-init are installed,
// the same scenario runs against them too, so a difference shows as a failure here.
// Flag-specific upstream tests are listed in tests/README.md with what svscan does instead.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/tree_fixture.hpp"
#include "svscan/svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

using namespace std::chrono_literals;

enum class Init { kSvscan, kSvscanPid1, kTini, kDumbInit };

std::string init_name(Init init) {
  switch (init) {
    case Init::kSvscan: return "svscan";
    case Init::kSvscanPid1: return "svscan_pid1";
    case Init::kTini: return "tini";
    case Init::kDumbInit: return "dumb_init";
  }
  return "?";
}

bool pid_namespaces_work() {
  static const bool works = file_exists("/usr/bin/unshare") &&
                            run_command({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc",
                                         "true"})
                                    .exit_code == 0;
  return works;
}

// Why init cannot run here, or empty.
std::string unavailable(Init init) {
  switch (init) {
    case Init::kSvscan: return "";
    case Init::kSvscanPid1:
      return pid_namespaces_work() ? "" : "unshare --pid --fork --mount-proc is not permitted";
    case Init::kTini: return file_exists("/usr/bin/tini") ? "" : "tini is not installed";
    case Init::kDumbInit:
      return file_exists("/usr/bin/dumb-init") ? "" : "dumb-init is not installed";
  }
  return "unknown init";
}

std::string print_signals() { return binary_from_env("SVTREE_PRINT_SIGNALS"); }

/// One init (svscan, or a peer) running one main command. svscan gets its own scan dir
/// (empty unless the test adds services) and its own state directory.
// svscan's writer children (svscan(8), Output) lead sessions of their own (setsid right
// after fork) and are named svscan-output, or still svscan (or exe) before their exec and
// prctl; svscan's main command stays in its session (dumb-init's leads one, named as it is).
bool is_svscan_writer(pid_t pid) {
  const std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (comm != "svscan-output\n" && comm != "svscan\n" && comm != "exe\n") return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(stat.substr(paren + 2));
  std::string state;
  long ppid = 0, pgrp = 0, session = 0;
  fields >> state >> ppid >> pgrp >> session;
  return session == pid;
}

class InitRun {
 public:
  struct Options {
    std::vector<std::string> svscan_options;  // before the scan dir
    std::vector<std::string> wrapper;         // argv prefix: e.g. sigconf
    std::string cwd;
    int stdin_fd = -1;
    bool tini_subreaper = false;  // tini -s: what svscan always is when not PID 1
  };

  InitRun(Init init, const std::vector<std::string>& command, Options options)
      : init_(init) {
    make_dirs(scan());
    make_dirs(state());
    std::vector<std::string> argv = options.wrapper;
    if (init == Init::kSvscanPid1)
      argv.insert(argv.end(), {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"});
    switch (init) {
      case Init::kSvscan:
      case Init::kSvscanPid1:
        argv.push_back(binary_from_env("SVTREE_SVSCAN"));
        argv.insert(argv.end(), options.svscan_options.begin(), options.svscan_options.end());
        argv.push_back(scan());
        argv.push_back("--");
        break;
      case Init::kTini:
        argv.push_back("/usr/bin/tini");
        if (options.tini_subreaper) argv.push_back("-s");
        argv.push_back("--");
        break;
      case Init::kDumbInit: argv.push_back("/usr/bin/dumb-init"); break;
    }
    argv.insert(argv.end(), command.begin(), command.end());
    Process::Options process_options;
    process_options.cwd = options.cwd;
    process_options.stdin_fd = options.stdin_fd;
    process_options.extra_env = {"SVTREE_STATE_DIR=" + state()};
    process_ = std::make_unique<Process>(argv, process_options);
  }
  InitRun(Init init, const std::vector<std::string>& command) : InitRun(init, command, Options{}) {}
  ~InitRun() {
    if (process_->running()) {
      signal_init(SIGKILL);
      process_->wait(10s);
    }
    // The main command has a process group of its own: kill what is left by hand.
    for (const pid_t pid : leftovers_) ::kill(pid, SIGKILL);
  }
  InitRun(const InitRun&) = delete;
  InitRun& operator=(const InitRun&) = delete;

  [[nodiscard]] std::string scan() const { return root_ / "service"; }
  [[nodiscard]] std::string state() const { return root_ / "state"; }
  Process& process() { return *process_; }

  /// The init's pid as we see it (unshare's child in a PID namespace).
  [[nodiscard]] pid_t init_pid() const {
    return init_ != Init::kSvscanPid1 ? process_->pid() : first_child(process_->pid());
  }
  void signal_init(int signo) const {
    const pid_t pid = init_pid();
    if (pid > 0) ::kill(pid, signo);
  }
  /// print_signals' pid, from its "ready (pid: N)" line (its own namespace's number in
  /// a PID namespace: use main_pid() to signal it from here).
  bool wait_ready() {
    return wait_until([&] { return process_->stdout_text().find("ready (pid: ") != std::string::npos; });
  }
  /// The main command as we see it: the init's only child that is not a supervise.
  [[nodiscard]] pid_t main_pid() const {
    const pid_t init = init_pid();
    const std::string id = std::to_string(init);
    std::istringstream children(read_file("/proc/" + id + "/task/" + id + "/children"));
    // svscan's writer children (svscan(8), Output) are not the main command.
    pid_t pid = 0;
    while (children >> pid)
      if (!is_svscan_writer(pid)) return pid;
    return 0;
  }
  /// The main command has executed program (its command line starts with it).
  [[nodiscard]] bool main_runs(const std::string& program) const {
    const pid_t pid = main_pid();
    return pid > 0 && read_file("/proc/" + std::to_string(pid) + "/cmdline").rfind(program, 0) == 0;
  }
  void remember_leftovers() {
    for (const pid_t pid : list_descendants(process_->pid(), {})) leftovers_.push_back(pid);
  }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 30s) {
    remember_leftovers();
    return process_->wait_exit_code(timeout);
  }
  [[nodiscard]] std::string out() const { return process_->stdout_text(); }
  [[nodiscard]] std::string err() const { return process_->stderr_text(); }
  /// How many whole lines of stdout are exactly line.
  [[nodiscard]] size_t lines_of(const std::string& line) const {
    std::istringstream lines(out());
    std::string got;
    size_t count = 0;
    while (std::getline(lines, got))
      if (got == line) ++count;
    return count;
  }

 private:
  Init init_;
  TempDir root_;
  std::unique_ptr<Process> process_;
  std::vector<pid_t> leftovers_;
};

char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

std::string status_field(const std::string& status, const std::string& key) {
  const size_t at = status.find(key + ":");
  if (at == std::string::npos) return "";
  const size_t begin = status.find_first_not_of(" \t", at + key.size() + 1);
  return status.substr(begin, status.find('\n', begin) - begin);
}

bool has_signal(const std::string& hex_mask, int signo) {
  const unsigned long long mask = std::strtoull(hex_mask.c_str(), nullptr, 16);
  return ((mask >> (signo - 1)) & 1) != 0;
}

class EveryInit : public ::testing::TestWithParam<Init> {
 protected:
  void SetUp() override {
    if (const std::string why = unavailable(GetParam()); !why.empty()) GTEST_SKIP() << why;
  }
  [[nodiscard]] bool is_svscan() const {
    return GetParam() == Init::kSvscan || GetParam() == Init::kSvscanPid1;
  }
};
class Svscan : public EveryInit {};

INSTANTIATE_TEST_SUITE_P(Inits, EveryInit,
                         ::testing::Values(Init::kSvscan, Init::kSvscanPid1, Init::kTini,
                                           Init::kDumbInit),
                         [](const auto& param_info) { return init_name(param_info.param); });
INSTANTIATE_TEST_SUITE_P(Modes, Svscan, ::testing::Values(Init::kSvscan, Init::kSvscanPid1),
                         [](const auto& param_info) { return init_name(param_info.param); });

// --- exit statuses

// tini test/run_inner_tests.py, "exit code test" (every code 0-255, without -e);
// dumb-init tests/exit_status_test.py::test_exit_status_regular_exit.
TEST_P(EveryInit, ExitCodeOfTheMainCommandForEveryCode) {
  // Every code as a plain child; a sample as PID 1 (each run is a new namespace), and
  // under ASan, where every code takes the same path and a run costs half a second (an
  // instrumented start and a leak check at each exit of svscan and its two writers): the
  // debug and release builds run all 256.
  std::vector<int> codes;
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kEveryCode = false;
#else
  constexpr bool kEveryCode = true;
#endif
  if (GetParam() == Init::kSvscan && kEveryCode)
    for (int code = 0; code < 256; ++code) codes.push_back(code);
  else
    codes = {0, 1, 2, 32, 64, 99, 100, 111, 126, 127, 128, 143, 254, 255};
  // Eight inits at once: each run is its own tree.
  constexpr size_t kAtOnce = 8;
  for (size_t first = 0; first < codes.size(); first += kAtOnce) {
    std::vector<std::unique_ptr<InitRun>> runs;
    for (size_t i = first; i < std::min(codes.size(), first + kAtOnce); ++i)
      runs.push_back(std::make_unique<InitRun>(
          GetParam(), std::vector<std::string>{"sh", "-c", "exit " + std::to_string(codes[i])}));
    for (size_t i = 0; i < runs.size(); ++i) {
      const int code = codes[first + i];
      const auto status = runs[i]->wait_exit();
      ASSERT_TRUE(status.has_value()) << code << "\n" << runs[i]->err();
      EXPECT_EQ(*status, code) << runs[i]->err();
    }
  }
}

// dumb-init tests/exit_status_test.py::test_exit_status_terminated_by_signal.
TEST_P(EveryInit, MainCommandKilledBySignalGives128PlusSignal) {
  for (const int signo : {SIGTERM, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGABRT}) {
    InitRun run(GetParam(), {"sh", "-c", "kill -" + std::to_string(signo) + " $$"});
    const auto status = run.wait_exit();
    ASSERT_TRUE(status.has_value()) << signo;
    EXPECT_EQ(*status, 128 + signo) << signo << "\n" << run.err();
  }
}

// tini test/run_inner_tests.py, "signals test" (TERM, USR1, USR2 to the init: its
// status is 128 + the signal, the main command having died of it).
TEST_P(EveryInit, SignalToTheInitKillsTheMainCommandAndIsTheStatus) {
  for (const int signo : {SIGTERM, SIGUSR1, SIGUSR2}) {
    InitRun run(GetParam(), {"sleep", "1000"});
    // Once sleep runs (tini's test waits for the process tree too): dumb-init signals the
    // child's group, which does not exist until the child's setsid.
    ASSERT_TRUE(wait_until([&] { return run.main_runs("sleep"); })) << run.err();
    run.signal_init(signo);
    const auto status = run.wait_exit();
    ASSERT_TRUE(status.has_value()) << signo;
    EXPECT_EQ(*status, 128 + signo) << signo << "\n" << run.err();
  }
}

// DESIGN.md §5: `docker stop` of an app that traps TERM and exits with its own code gives
// that code (tini and dumb-init do the same; the old svscan gave 0).
TEST_P(EveryInit, MainCommandTrappingTermExitsWithItsOwnCode) {
  InitRun run(GetParam(), {print_signals(), "exit-on-term", "3"});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  run.signal_init(SIGTERM);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 3) << run.err();
  EXPECT_EQ(run.lines_of("15"), 1u) << run.out();
}

// dumb-init tests/child_processes_test.py::test_fails_nonzero_with_bad_exec; tini's exit
// codes for a failed exec (127 not found, 126 not executable).
TEST_P(EveryInit, BadExecIs127Or126) {
  {
    InitRun run(GetParam(), {"/doesnotexist"});
    const auto status = run.wait_exit();
    ASSERT_TRUE(status.has_value());
    if (GetParam() == Init::kDumbInit) EXPECT_NE(*status, 0);  // dumb-init says 2
    else EXPECT_EQ(*status, 127) << run.err();
    EXPECT_NE(run.err().find("/doesnotexist"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("No such file or directory"), std::string::npos) << run.err();
  }
  {
    TempDir dir;
    write_file(dir / "not-executable", "#!/bin/sh\nexit 0\n", 0644);
    InitRun run(GetParam(), {dir / "not-executable"});
    const auto status = run.wait_exit();
    ASSERT_TRUE(status.has_value());
    if (GetParam() == Init::kDumbInit) EXPECT_NE(*status, 0);
    else EXPECT_EQ(*status, 126) << run.err();
    EXPECT_NE(run.err().find("Permission denied"), std::string::npos) << run.err();
  }
  {
    InitRun run(GetParam(), {"no-such-command-svtree"});
    const auto status = run.wait_exit();
    ASSERT_TRUE(status.has_value());
    if (GetParam() == Init::kDumbInit) EXPECT_NE(*status, 0);
    else EXPECT_EQ(*status, 127) << run.err();
  }
}

// svscan's usage: `--` promises a command (tini and dumb-init print usage too).
TEST(MainCommand, DashDashWithoutCommandIsUsageError) {
  TempDir dir;
  const auto result = run_command({binary_from_env("SVTREE_SVSCAN"), dir.path(), "--"});
  EXPECT_EQ(result.exit_code, 100) << result.err;
  EXPECT_NE(result.err.find("-- wants a command"), std::string::npos) << result.err;
}

// --- signals

// dumb-init tests/proxies_signals_test.py::test_proxies_signals (every normal signal) and
// tini's forwarding of everything but the fault signals. TERM comes last: it also stops
// the tree, and the app trapping it decides the status.
TEST_P(EveryInit, ForwardsEverySignal) {
  InitRun run(GetParam(), {print_signals(), "exit-on-term", "7"});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  std::vector<int> signals = {SIGHUP,  SIGINT,    SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
                              SIGWINCH, SIGCONT, SIGURG,  SIGPWR,  SIGVTALRM, SIGPROF,
                              SIGXCPU, SIGXFSZ,  SIGIO,   SIGSTKFLT};
  // tini leaves SIGABRT to its default action (it would die of it); svscan forwards it.
  if (GetParam() != Init::kTini) signals.push_back(SIGABRT);
  for (const int signo : signals) {
    run.signal_init(signo);
    ASSERT_TRUE(wait_until([&] { return run.lines_of(std::to_string(signo)) == 1; }))
        << "signal " << signo << " not forwarded\n" << run.out() << run.err();
    ASSERT_TRUE(run.process().running()) << "the init died of signal " << signo;
  }
  run.signal_init(SIGTERM);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 7) << run.err();
}

// dumb-init tests/shell_background_test.py::test_prints_signals, adapted: TSTP, TTIN and
// TTOU reach the main command (which stops itself, as a job does), and CONT wakes it.
// dumb-init then stops itself too; svscan never stops (its services keep running).
TEST_P(Svscan, SuspendSignalsReachTheMainCommandAndSvscanKeepsRunning) {
  InitRun run(GetParam(), {print_signals()});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  const pid_t main = run.main_pid();
  ASSERT_GT(main, 0);
  int conts = 0;
  for (const int signo : {SIGTSTP, SIGTTIN, SIGTTOU}) {
    run.signal_init(signo);
    ASSERT_TRUE(wait_until([&] { return run.lines_of(std::to_string(signo)) == 1; }))
        << run.out() << run.err();
    ASSERT_TRUE(wait_until([&] { return process_state(main) == 'T'; }));
    EXPECT_NE(process_state(run.init_pid()), 'T');
    run.signal_init(SIGCONT);
    ++conts;
    ASSERT_TRUE(wait_until([&] { return run.lines_of("18") == static_cast<size_t>(conts); }))
        << run.out();
    ASSERT_TRUE(wait_until([&] { return process_state(main) != 'T'; }));
  }
}

// Issue #11: not PID 1 (behind `docker run --init`), no catchable signal may kill or stop
// svscan. Fault signals keep their default action (tini's rule), so they are not sent.
TEST(MainCommand, NoCatchableSignalKillsOrStopsSvscanAsAChild) {
  InitRun run(Init::kSvscan, {print_signals()});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  for (int signo = 1; signo < 32; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP || signo == SIGTERM || signo == SIGCHLD ||
        signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL ||
        signo == SIGTRAP || signo == SIGSYS)
      continue;
    run.signal_init(signo);
    if (signo == SIGPIPE) continue;  // neutralised, not forwarded
    ASSERT_TRUE(wait_until([&] { return run.lines_of(std::to_string(signo)) >= 1; }))
        << signo << "\n" << run.out() << run.err();
    if (signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU) {
      // It stops itself after printing: wake it only once it has (dumb-init's test too).
      const pid_t main = run.main_pid();
      ASSERT_TRUE(wait_until([&] { return process_state(main) == 'T'; }));
      run.signal_init(SIGCONT);
      ASSERT_TRUE(wait_until([&] { return process_state(main) != 'T'; }));
    }
    ASSERT_TRUE(run.process().running()) << "svscan died of signal " << signo << run.err();
    ASSERT_NE(process_state(run.init_pid()), 'T') << signo;
  }
}

// tini test/sigconf: the signal mask and ignored set the init was started with reach the
// main command untouched (TTOU, SEGV, INT ignored; TTIN, ILL, TERM blocked).
TEST_P(EveryInit, SignalConfigurationIsPassedOn) {
  if (GetParam() == Init::kDumbInit)
    GTEST_SKIP() << "tini's contract: dumb-init 1.2.5 resets the mask and dispositions";
  InitRun::Options options;
  options.wrapper = {binary_from_env("SVTREE_SIGCONF")};
  InitRun run(GetParam(), {"cat", "/proc/self/status"}, options);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(*status, 0) << run.err();
  const std::string ignored = status_field(run.out(), "SigIgn");
  const std::string blocked = status_field(run.out(), "SigBlk");
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's runtime installs its own SIGSEGV handler in svscan before main, over
  // the ignore svscan was given, so a sanitized svscan cannot pass that one on.
  const std::vector<int> passed_on = {SIGTTOU, SIGINT};
#else
  const std::vector<int> passed_on = {SIGTTOU, SIGSEGV, SIGINT};
#endif
  for (const int signo : passed_on)
    EXPECT_TRUE(has_signal(ignored, signo)) << signo << " not ignored: " << ignored;
  for (const int signo : {SIGTTIN, SIGILL, SIGTERM})
    EXPECT_TRUE(has_signal(blocked, signo)) << signo << " not blocked: " << blocked;
}

// Issue #11: a SIGTERM blocked by svscan's parent is unblocked in svscan at start, so
// `docker stop` does not wait for SIGKILL; the main command still gets the blocked mask
// (tini sigconf), so here the grace time's KILL ends it: 137.
TEST_P(Svscan, SigtermBlockedByTheParentStillStopsTheTree) {
  InitRun::Options options;
  options.wrapper = {binary_from_env("SVTREE_SIGCONF")};
  options.svscan_options = {"-g", "300"};
  InitRun run(GetParam(), {"sleep", "1000"}, options);
  ASSERT_TRUE(wait_until([&] { return run.main_runs("sleep"); })) << run.err();
  // Read until svscan is out of a fork (the spawner blocks everything for that moment).
  std::string status;
  EXPECT_TRUE(wait_until([&] {
    status = read_file("/proc/" + std::to_string(run.init_pid()) + "/status");
    return !has_signal(status_field(status, "SigBlk"), SIGTERM);
  })) << status;
  run.signal_init(SIGTERM);
  const auto code = run.wait_exit();
  ASSERT_TRUE(code.has_value()) << run.err();
  EXPECT_EQ(*code, 128 + SIGKILL) << run.err();
  EXPECT_NE(run.err().find("got SIGTERM"), std::string::npos) << run.err();
}

// dumb-init tests/proxies_signals_test.py, first rewrite case with an empty map: the
// sequence TERM QUIT CONT INT arrives as sent (INT stays INT; TERM does not end an app
// that traps it).
TEST_P(EveryInit, SignalsArriveAsSentInOrder) {
  InitRun run(GetParam(), {print_signals()});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  std::string expected = run.out();
  for (const int signo : {SIGTERM, SIGQUIT, SIGCONT, SIGINT}) {
    run.signal_init(signo);
    expected += std::to_string(signo) + "\n";
    ASSERT_TRUE(wait_until([&] { return run.out() == expected; }))
        << run.out() << "\nwanted\n" << expected << run.err();
  }
}

// --- children, cwd, process groups

// tini test/reaping/stage_1.py and dumb-init tests/test-zombies: orphans the main command
// leaves are reaped; no zombie is left under the init.
TEST_P(EveryInit, ReapsOrphansAndZombies) {
  if (GetParam() == Init::kDumbInit)
    GTEST_SKIP() << "dumb-init not PID 1 is no subreaper: orphans go past it";
  TempDir marks;
  InitRun::Options options;
  options.tini_subreaper = true;  // tini's own reaping test runs it with -s too
  InitRun run(GetParam(),
              {"sh", "-c",
               "i=0; while [ $i -lt 10 ]; do i=$((i+1)); ( sleep 0.1 & ); done; "
               "sh -c 'sleep 0.1 & exec true'; touch " + marks / "forked" + "; exec sleep 1000"},
              options);
  ASSERT_TRUE(wait_until([&] { return file_exists(marks / "forked"); })) << run.err();
  if (GetParam() != Init::kTini) {
    // Past the first five, svscan sums orphans up when its 10 s window ends.
    ASSERT_TRUE(wait_until([&] { return orphans_reaped(run.err()) >= 11; }, 40s)) << run.err();
  }
  // Every orphan gone, none left a zombie under the init.
  // The sleep 1000 alone, besides svscan's writer children (svscan(8), Output).
  const auto others = [&] {
    size_t count = 0;
    for (const pid_t pid : list_descendants(run.init_pid(), {}))
      if (!is_svscan_writer(pid)) ++count;
    return count;
  };
  ASSERT_TRUE(wait_until([&] { return zombies_below(run.init_pid()).empty() && others() == 1; }))
      << others();
}

// dumb-init tests/cwd_test.py: the main command starts in the directory the init was
// started in (the image's WORKDIR), and a relative CMD is found there (issue #11).
TEST_P(EveryInit, MainCommandRunsInTheStartingDirectory) {
  TempDir workdir;
  write_script(workdir / "server", "echo cwd=$(pwd)");
  InitRun::Options options;
  options.cwd = workdir.path();
  InitRun run(GetParam(), {"./server"}, options);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << run.err();
  EXPECT_EQ(run.out(), "cwd=" + workdir.path() + "\n") << run.err();
}

// tini's process group (it calls setpgid for the child; test/pgroup sends to the
// group with -g): the main command leads a process group of its own, so a signal aimed
// at the app's group spares svscan.
TEST_P(Svscan, MainCommandHasItsOwnProcessGroup) {
  TempDir marks;
  InitRun run(GetParam(), {"sh", "-c", "echo $$ > " + marks / "pid" + "; exec sleep 1000"});
  // Once it runs (the pid file is written), not at fork: the group is set in between.
  ASSERT_TRUE(wait_until([&] { return !read_file(marks / "pid").empty(); })) << run.err();
  const pid_t main = run.main_pid();
  EXPECT_EQ(::getpgid(main), main);
  EXPECT_NE(::getpgid(main), ::getpgid(run.init_pid()));
  ASSERT_EQ(::kill(-main, SIGTERM), 0);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 128 + SIGTERM) << run.err();
}

// --- the terminal (dumb-init tests/tty_test.py)

/// The init started on a new pseudo-terminal as its controlling terminal, as pty.fork()
/// does in dumb-init's tests.
class OnPty {
 public:
  explicit OnPty(const std::vector<std::string>& argv,
                 const std::vector<std::string>& env = {}, bool tostop = false) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    const std::string slave = ::ptsname(master_);
    // Raw-ish: no echo, no output processing (dumb-init's ttyflags), so reads compare.
    std::vector<std::string> all_env;
    for (char** e = environ; *e != nullptr; ++e) all_env.emplace_back(*e);
    all_env.insert(all_env.end(), env.begin(), env.end());
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : all_env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      const int fd = ::open(slave.c_str(), O_RDWR);  // becomes the controlling terminal
      if (fd < 0) ::_exit(120);
      struct termios attrs {};
      ::tcgetattr(fd, &attrs);
      attrs.c_oflag &= ~static_cast<tcflag_t>(OPOST);
      attrs.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      if (tostop) attrs.c_lflag |= TOSTOP;
      ::tcsetattr(fd, TCSANOW, &attrs);
      ::dup2(fd, 0);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (fd > 2) ::close(fd);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
  }
  ~OnPty() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  OnPty(const OnPty&) = delete;
  OnPty& operator=(const OnPty&) = delete;

  [[nodiscard]] bool ok() const { return master_ >= 0 && pid_ > 0; }
  void write_text(const std::string& text) const {
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  /// Reads what is there (non-blocking); a closed slave reads as EIO on Linux.
  void pump() {
    char buffer[4096];
    for (;;) {
      const int flags = ::fcntl(master_, F_GETFL);
      ::fcntl(master_, F_SETFL, flags | O_NONBLOCK);
      const ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return;
      output_.append(buffer, static_cast<size_t>(n));
    }
  }
  const std::string& output() {
    pump();
    return output_;
  }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 30s) {
    if (wait_until([&] {
          pump();
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
          return status_.has_value();
        }, timeout)) {
      pump();
      return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : 128 + WTERMSIG(*status_);
    }
    return std::nullopt;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int master() const { return master_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string output_;
};

std::vector<std::string> init_argv(Init init, const std::string& scan,
                                   const std::vector<std::string>& command) {
  std::vector<std::string> argv;
  if (init == Init::kSvscanPid1) argv = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"};
  if (init == Init::kSvscan || init == Init::kSvscanPid1)
    argv.insert(argv.end(), {binary_from_env("SVTREE_SVSCAN"), "-q", scan, "--"});
  if (init == Init::kTini) argv = {"/usr/bin/tini", "--"};
  if (init == Init::kDumbInit) argv = {"/usr/bin/dumb-init"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// dumb-init tests/tty_test.py::test_tty: a program under the init reads and writes the
// terminal (tac through the pty; svscan's own lines made quiet with -q).
TEST_P(EveryInit, MainCommandUsesTheTerminal) {
  TempDir dir;
  make_dirs(dir / "service");
  OnPty pty(init_argv(GetParam(), dir / "service", {"/usr/bin/tac"}),
            {"SVTREE_STATE_DIR=" + dir / "state"});
  ASSERT_TRUE(pty.ok());
  // tac reads only once it is the foreground group: wait for that, then type.
  pty.write_text("1\n2\n3\n");
  pty.write_text("\x04");
  const auto status = pty.wait_exit();
  ASSERT_TRUE(status.has_value()) << pty.output();
  EXPECT_EQ(*status, 0) << pty.output();
  EXPECT_NE(pty.output().find("3\n2\n1\n"), std::string::npos) << pty.output();
}

// dumb-init tests/tty_test.py::test_child_gets_controlling_tty_if_we_had_one: an
// interactive shell under the init has job control ('m' in $-), which needs the terminal's
// foreground group to be its own (tini: tcsetpgrp).
TEST_P(EveryInit, MainCommandGetsTheTerminalForeground) {
  if (!file_exists("/bin/bash")) GTEST_SKIP() << "no bash";
  TempDir dir;
  make_dirs(dir / "service");
  OnPty pty(init_argv(GetParam(), dir / "service", {"/bin/bash", "--norc", "-m"}),
            {"SVTREE_STATE_DIR=" + dir / "state"});
  ASSERT_TRUE(pty.ok());
  pty.write_text("echo \"flags are: [[$-]] fg=$(ps -o tpgid= -p $$ | tr -d ' ') pg=$(ps -o pgid= -p $$ | tr -d ' ')\"\n");
  ASSERT_TRUE(wait_until([&] { return pty.output().find("flags are: [[h") != std::string::npos; }))
      << pty.output();
  pty.write_text("exit 0\n");
  const auto status = pty.wait_exit();
  ASSERT_TRUE(status.has_value()) << pty.output();
  EXPECT_EQ(*status, 0) << pty.output();
  const std::string& out = pty.output();
  // The last one: readline echoes the command line, which holds the text too.
  const size_t flags = out.rfind("flags are: [[");
  const std::string value = out.substr(flags + 13, out.find("]]", flags) - flags - 13);
  EXPECT_NE(value.find('m'), std::string::npos) << out;
  // The shell's group is the terminal's foreground group.
  const size_t fg = out.find("fg=", flags);
  const size_t pg = out.find(" pg=", flags);
  EXPECT_EQ(std::atoi(out.c_str() + fg + 3), std::atoi(out.c_str() + pg + 4)) << out;
}

// Issue #11: Ctrl-C on the terminal interrupts the main command alone (the foreground
// group); svscan then exits 130 with it, as tini does, instead of exiting 0.
TEST_P(EveryInit, CtrlCOnTheTerminalInterruptsTheMainCommand) {
  TempDir dir;
  make_dirs(dir / "service");
  OnPty pty(init_argv(GetParam(), dir / "service",
                      {"/bin/sh", "-c", "echo started; exec sleep 1000"}),
            {"SVTREE_STATE_DIR=" + dir / "state"});
  ASSERT_TRUE(pty.ok());
  ASSERT_TRUE(wait_until([&] { return pty.output().find("started") != std::string::npos; }))
      << pty.output();
  // The sleep must own the foreground before ^C means anything to it.
  ASSERT_TRUE(wait_until([&] {
    const pid_t fg = ::tcgetpgrp(pty.master());
    return fg > 0 && read_file("/proc/" + std::to_string(fg) + "/cmdline").rfind("sleep", 0) == 0;
  })) << pty.output();
  pty.write_text("\x03");
  const auto status = pty.wait_exit();
  ASSERT_TRUE(status.has_value()) << pty.output();
  EXPECT_EQ(*status, 128 + SIGINT) << pty.output();
}

// `stty tostop`: a background process writing to the terminal gets SIGTTOU. svscan, in the
// background once the main command has the terminal, must still write its own lines and
// take the terminal back, neither stopping nor looping (tini ignores TTIN/TTOU likewise).
TEST_P(Svscan, OwnLinesOnATostopTerminalNeitherStopNorLoop) {
  TempDir dir;
  make_dirs(dir / "service");
  // The orphan ends while the command holds the terminal: svscan's line about it is
  // written from the background.
  std::vector<std::string> argv = init_argv(
      GetParam(), dir / "service", {"/bin/sh", "-c", "sleep 0.2; (sleep 0.1 &); sleep 0.4; exit 3"});
  // Without -q: svscan writes while the command holds the terminal.
  argv.erase(std::find(argv.begin(), argv.end(), "-q"));
  OnPty pty(argv, {"SVTREE_STATE_DIR=" + dir / "state"}, true);
  ASSERT_TRUE(pty.ok());
  const auto status = pty.wait_exit();
  ASSERT_TRUE(status.has_value()) << pty.output();
  EXPECT_EQ(*status, 3) << pty.output();
  EXPECT_NE(pty.output().find("svscan: reaped orphan pid"), std::string::npos) << pty.output();
  EXPECT_NE(pty.output().find("svscan: main command ended (exit code 3)"), std::string::npos)
      << pty.output();
}

// --- svscan's own additions for the main command (DESIGN.md §5)

TEST_P(Svscan, MissingScanDirectoryIsNotFatal) {
  TempDir dir;
  std::vector<std::string> argv;
  if (GetParam() == Init::kSvscanPid1) argv = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"};
  argv.insert(argv.end(), {binary_from_env("SVTREE_SVSCAN"), dir / "missing", "--", "sh", "-c",
                           "exit 4"});
  const auto result = run_command(argv, 30s, {"SVTREE_STATE_DIR=" + dir / "state"});
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_NE(result.err.find("running the main command without services"), std::string::npos)
      << result.err;
}

TEST(MainCommand, SvdirIsExportedAndQuietModeSilencesSvscan) {
  InitRun::Options options;
  options.svscan_options = {"-q"};
  InitRun run(Init::kSvscan, {"sh", "-c", "echo \"$SVDIR\""}, options);
  const auto status = run.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_EQ(run.out(), run.scan() + "\n");
  EXPECT_EQ(run.err(), "");
}

TEST(MainCommand, SecondSvscanOnTheSameDirectoryIsRefusedAtOnce) {
  InitRun run(Init::kSvscan, {"sleep", "1000"});
  ASSERT_TRUE(wait_until([&] { return run.main_pid() > 0; })) << run.err();
  const auto second = run_command({binary_from_env("SVTREE_SVSCAN"), run.scan()}, 10s,
                                  {"SVTREE_STATE_DIR=" + run.state()});
  EXPECT_EQ(second.exit_code, 111) << second.err;
  EXPECT_NE(second.err.find("another svscan (pid " + std::to_string(run.init_pid()) + ")"),
            std::string::npos)
      << second.err;
  EXPECT_TRUE(run.process().running());
}

TEST(MainCommand, SvctlSeesTheMainCommandAndAsksForARescan) {
  InitRun run(Init::kSvscan, {print_signals()});
  ASSERT_TRUE(run.wait_ready()) << run.err();
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  // No SVDIR: svctl finds the tree through the state directory.
  const std::vector<std::string> env = {"SVTREE_STATE_DIR=" + run.state(), "SVDIR="};
  // svscan publishes .main's record just after it forks the main command, which may print
  // "ready" first (under load it did): wait for the record, do not assume it.
  CommandResult status;
  EXPECT_TRUE(wait_until([&] {
    status = run_command({svctl, "status", ".main"}, 10s, env);
    return status.exit_code == 0;
  })) << status.out << status.err;
  EXPECT_EQ(status.out.rfind("run: .main: (pid " + std::to_string(run.main_pid()) + ")", 0), 0u)
      << status.out;
  const auto check = run_command({svctl, "check", ".main"}, 10s, env);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto table = run_command({svctl, "status"}, 10s, env);
  EXPECT_NE(table.out.find(".main"), std::string::npos) << table.out << table.err;
  // A service added now is picked up at the rescan svctl asks for (inotify would too;
  // this checks the FIFO's answer in the log).
  const auto rescan = run_command({svctl, "rescan"}, 10s, env);
  EXPECT_EQ(rescan.exit_code, 0) << rescan.out << rescan.err;
  ASSERT_TRUE(wait_until([&] { return run.err().find("rescan asked") != std::string::npos; }))
      << run.err();
  // HUP is the main command's now.
  run.signal_init(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return run.lines_of("1") == 1; })) << run.out();
  // svctl's letters for .main signal the main command.
  const auto hup = run_command({svctl, "hup", ".main"}, 10s, env);
  EXPECT_EQ(hup.exit_code, 0) << hup.out << hup.err;
  ASSERT_TRUE(wait_until([&] { return run.lines_of("1") == 2; })) << run.out();
}

// Issue #16: nested trees each keep their own state; svctl with no SVDIR (docker exec)
// finds the outermost (oldest) one, and a service of the inner tree finds its own through
// the SVDIR svscan exported to it.
TEST(MainCommand, NestedTreesEachKeepTheirOwnAndSvctlFindsTheOutermost) {
  TempDir root;
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  for (const char* tree : {"outer", "inner"}) {
    make_dirs(root / tree);
    make_dirs(root / tree + "/" + tree + "-svc");
    write_script(root / tree + "/" + tree + "-svc/run",
                 "echo \"$SVDIR\" > " + root / tree + ".svdir\n" + "exec sleep 1000");
  }
  Process::Options options;
  options.extra_env = {"SVTREE_STATE_DIR=" + root / "state"};
  Process outer({binary_from_env("SVTREE_SVSCAN"), root / "outer"}, options);
  ASSERT_TRUE(wait_until([&] { return !read_file(root / "outer.svdir").empty(); }))
      << outer.stderr_text();
  Process inner({binary_from_env("SVTREE_SVSCAN"), root / "inner"}, options);
  ASSERT_TRUE(wait_until([&] { return !read_file(root / "inner.svdir").empty(); }))
      << inner.stderr_text();
  EXPECT_EQ(read_file(root / "outer.svdir"), root / "outer\n");
  EXPECT_EQ(read_file(root / "inner.svdir"), root / "inner\n");
  const auto listed = run_command({svctl, "status"}, 10s,
                                  {"SVTREE_STATE_DIR=" + root / "state", "SVDIR="});
  EXPECT_NE(listed.out.find("outer-svc"), std::string::npos) << listed.out << listed.err;
  EXPECT_EQ(listed.out.find("inner-svc"), std::string::npos) << listed.out;
  const auto own = run_command({svctl, "status"}, 10s,
                               {"SVTREE_STATE_DIR=" + root / "state", "SVDIR=" + root / "inner"});
  EXPECT_NE(own.out.find("inner-svc"), std::string::npos) << own.out << own.err;
  for (Process* svscan : {&inner, &outer}) {
    svscan->signal(SIGTERM);
    EXPECT_EQ(svscan->wait_exit_code(30s), std::optional<int>(0)) << svscan->stderr_text();
  }
  // Gone: the records went with them; svctl falls back to /etc/service.
  const auto after = run_command({svctl, "rescan"}, 10s,
                                 {"SVTREE_STATE_DIR=" + root / "state", "SVDIR=" + root / "outer"});
  EXPECT_EQ(after.exit_code, 1) << after.out;
  EXPECT_NE(after.out.find("no svscan runs on"), std::string::npos) << after.out;
}

TEST(MainCommand, WaitHoldsTheMainCommandUntilServicesAreReady) {
  TempDir marks;
  // The service is built before svscan starts: it becomes ready 0.3 s after it runs, and
  // the main command exits 9 only when it runs after that.
  TempDir pre;
  const std::string scan = pre / "service";
  make_dirs(scan + "/slow");
  write_file(scan + "/slow/notification-fd", "3\n");
  write_script(scan + "/slow/run",
               "sleep 0.3; touch " + marks / "ready"  + "; echo >&3; exec sleep 1000");
  std::vector<std::string> argv = {binary_from_env("SVTREE_SVSCAN"), "-W", "20000", scan, "--",
                                   "sh", "-c", "test -e " + marks / "ready" + " && exit 9"};
  Process::Options process_options;
  process_options.extra_env = {"SVTREE_STATE_DIR=" + pre / "state"};
  Process svscan(argv, process_options);
  const auto status = svscan.wait_exit_code(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 9) << svscan.stderr_text();
}

TEST(MainCommand, WaitPastItsDeadlineExitsWithAClearLine) {
  TempDir pre;
  const std::string scan = pre / "service";
  make_dirs(scan + "/never");
  write_file(scan + "/never/notification-fd", "3\n");
  write_script(scan + "/never/run", "exec sleep 1000");
  Process::Options process_options;
  process_options.extra_env = {"SVTREE_STATE_DIR=" + pre / "state"};
  TempDir marks;
  Process svscan({binary_from_env("SVTREE_SVSCAN"), "-W", "300", scan, "--", "touch",
                  marks / "ran"},
                 process_options);
  const auto status = svscan.wait_exit_code(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 111) << svscan.stderr_text();
  EXPECT_NE(svscan.stderr_text().find("not ready after 300 ms (-W): never"), std::string::npos)
      << svscan.stderr_text();
  EXPECT_FALSE(file_exists(marks / "ran"));
}

}  // namespace
}  // namespace svtree::svscan::testing
