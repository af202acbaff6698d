// SPDX-License-Identifier: MIT
// Tree against fakes: what it starts, signals and re-wires for each scan and each exit.

// GCC 12 at -O3 (the release build) reports a bogus -Wrestrict inside libstdc++'s inlined
// `"literal" + std::string` (GCC bug 105329); this file only. Before any include, so that
// it covers the inlined library code the warning points into.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "svscan/tree.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "svtree/diag.hpp"
#include "svtree/pipe.hpp"

namespace svtree::svscan {
namespace {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] int64_t monotonic_ms() const override { return now; }
  [[nodiscard]] Tai64n wall() const override { return {}; }
  int64_t now = 1'000'000;
};

struct Started {
  std::string dir;
  pid_t pid;
  int stdin_fd;
  int stdout_fd;
};

class FakeEffects final : public TreeEffects {
 public:
  Result<pid_t> start_supervise(const std::string& dir, int stdin_fd, int stdout_fd) override {
    if (fail_starts > 0) {
      --fail_starts;
      return SysError{EAGAIN, "spawn supervise"};
    }
    const pid_t pid = next_pid++;
    started.push_back({dir, pid, stdin_fd, stdout_fd});
    return pid;
  }
  void send_signal(pid_t pid, int signo) override { signals.emplace_back(pid, signo); }
  Result<Pipe> make_log_pipe() override {
    if (fail_pipes > 0) {
      --fail_pipes;
      return SysError{EMFILE, "create pipe"};
    }
    return make_pipe();
  }
  void forward_to_stdout(UniqueFd read_end, const std::string& /*name*/) override {
    forwarded.push_back(std::move(read_end));
  }
  std::optional<int> last_run_wait_status(const std::string& dir) override {
    const auto found = run_status.find(dir);
    if (found == run_status.end()) return std::nullopt;
    return found->second;
  }
  int watch_service(const std::string&) override { return next_watch++; }
  void unwatch_service(int watch) override { unwatched.push_back(watch); }
  void note(std::string_view text) override { notes.emplace_back(text); }
  void warn(std::string_view text) override { warnings.emplace_back(text); }
  std::vector<std::string> dependencies_of(const std::string& dir) override {
    const auto found = depends.find(dir);
    return found == depends.end() ? std::vector<std::string>{} : found->second;
  }
  // Issue 15, `stderr separate`.
  bool wants_separate_stderr(const std::string& dir) override { return separate.count(dir) > 0; }
  Result<pid_t> start_supervise_with_stderr(const std::string& dir, int stdin_fd, int stdout_fd,
                                            int stderr_fd) override {
    auto pid = start_supervise(dir, stdin_fd, stdout_fd);
    if (pid) stderr_fds[*pid] = stderr_fd;
    return pid;
  }
  Result<pid_t> start_stderr_logger(const std::string& dir, int stdin_fd) override {
    return start_supervise("svlog " + dir, stdin_fd, -1);
  }

  [[nodiscard]] bool signalled(pid_t pid, int signo) const {
    for (const auto& [p, s] : signals)
      if (p == pid && s == signo) return true;
    return false;
  }
  [[nodiscard]] const Started* last_start_of(const std::string& dir) const {
    for (auto it = started.rbegin(); it != started.rend(); ++it)
      if (it->dir == dir) return &*it;
    return nullptr;
  }

  pid_t next_pid = 100;
  int next_watch = 1;
  int fail_starts = 0;
  int fail_pipes = 0;
  std::vector<Started> started;
  std::vector<std::pair<pid_t, int>> signals;
  std::vector<int> unwatched;
  std::vector<UniqueFd> forwarded;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  std::map<std::string, int> run_status;
  std::map<std::string, std::vector<std::string>> depends;  // DIR -> DIR/depends/
  std::set<std::string> separate;        // services whose `stderr` says separate
  std::map<pid_t, int> stderr_fds;       // supervise pid -> the stderr pipe it was given
};

ScanEntry entry(const std::string& name, ino_t ino, std::optional<ino_t> log = std::nullopt) {
  ScanEntry e;
  e.name = name;
  e.id = {1, ino};
  if (log) e.log = FileId{1, *log};
  return e;
}

constexpr int kExited0 = 0;
int exited(int code) { return code << 8; }
constexpr int kKilled = SIGKILL;

class TreeTest : public ::testing::Test {
 protected:
  FakeEffects effects;
  FakeClock clock;
  Tree tree{effects, clock, 8};
};

TEST_F(TreeTest, StartsOneSupervisePerServiceWithoutPipe) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10), entry("b", 11)});
  ASSERT_EQ(effects.started.size(), 2u);
  EXPECT_EQ(effects.started[0].dir, "a");
  EXPECT_EQ(effects.started[0].stdin_fd, -1);
  EXPECT_EQ(effects.started[0].stdout_fd, -1);
  EXPECT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.services_alive(), 2u);
  EXPECT_FALSE(tree.has_pipe("a"));
}

TEST_F(TreeTest, LogWithoutPipeRunsUnpairedAndIsPairedAtALaterRescan) {
  effects.fail_pipes = 2;  // at the first scan and at the first retry
  const std::vector<ScanEntry> listing{entry("web", 10, 20)};
  tree.sync(listing);
  EXPECT_NE(effects.last_start_of("web"), nullptr) << "the service runs without its logger";
  EXPECT_EQ(effects.last_start_of("web/log"), nullptr);
  EXPECT_FALSE(tree.has_pipe("web"));
  EXPECT_TRUE(tree.pairing_pending());
  ASSERT_EQ(effects.warnings.size(), 1u);
  tree.sync(listing);  // still no descriptor: no second warning, still pending
  EXPECT_EQ(effects.warnings.size(), 1u);
  EXPECT_TRUE(tree.pairing_pending());
  const pid_t unpaired = effects.last_start_of("web")->pid;
  tree.sync(listing);  // descriptors are back
  EXPECT_FALSE(tree.pairing_pending());
  EXPECT_TRUE(tree.has_pipe("web"));
  EXPECT_NE(effects.last_start_of("web/log"), nullptr);
  // Its supervise is replaced so the next run writes to the logger.
  EXPECT_TRUE(effects.signalled(unpaired, SIGKILL));
}

TEST_F(TreeTest, PairSharesOnePipeHeldByTheTree) {
  tree.sync(std::vector<ScanEntry>{entry("web", 10, 20)});
  const Started* logger = effects.last_start_of("web/log");
  const Started* service = effects.last_start_of("web");
  ASSERT_NE(logger, nullptr);
  ASSERT_NE(service, nullptr);
  EXPECT_GE(logger->stdin_fd, 0);
  EXPECT_EQ(logger->stdout_fd, -1);
  EXPECT_GE(service->stdout_fd, 0);
  EXPECT_EQ(service->stdin_fd, -1);
  EXPECT_TRUE(tree.has_pipe("web"));
  // The service's stdout and the logger's stdin are the two ends of one pipe.
  ASSERT_EQ(write(service->stdout_fd, "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(logger->stdin_fd, &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST_F(TreeTest, TwoNamesForOneDirectoryWarnOnceAndStartOnce) {
  // ln -s worker worker-1 (issue 16): one service, one warning naming both, not repeated.
  const std::vector<ScanEntry> listing = {entry("worker", 10), entry("worker-1", 10)};
  tree.sync(listing);
  tree.sync(listing);
  ASSERT_EQ(effects.started.size(), 1u);
  EXPECT_EQ(effects.started[0].dir, "worker");
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_NE(effects.warnings[0].find("worker-1 is the same directory as worker"),
            std::string::npos);
  // Gone, then back: said again.
  tree.sync(std::vector<ScanEntry>{entry("worker", 10)});
  tree.sync(listing);
  EXPECT_EQ(effects.warnings.size(), 2u);
}

TEST_F(TreeTest, InstancesOfOneTemplateAreStartedEach) {
  std::vector<ScanEntry> listing = {entry("worker@1", 10), entry("worker@2", 10)};
  listing[0].instance = "1";
  listing[1].instance = "2";
  tree.sync(listing);
  ASSERT_EQ(effects.started.size(), 2u);
  EXPECT_TRUE(effects.warnings.empty());
  const pid_t second = tree.service_pid("worker@2");
  tree.sync(std::span(listing).first(1));
  EXPECT_TRUE(effects.signalled(second, SIGTERM));
  EXPECT_FALSE(effects.signalled(tree.service_pid("worker@1"), SIGTERM));
}

TEST_F(TreeTest, RescanWithoutChangeStartsNothing) {
  const std::vector<ScanEntry> listing = {entry("a", 10, 20)};
  tree.sync(listing);
  tree.sync(listing);
  EXPECT_EQ(effects.started.size(), 2u);
  EXPECT_TRUE(effects.signals.empty());
}

TEST_F(TreeTest, RenameIsNotARestart) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  const pid_t pid = tree.service_pid("a");
  tree.sync(std::vector<ScanEntry>{entry("renamed", 10)});
  EXPECT_EQ(effects.started.size(), 1u);
  EXPECT_TRUE(effects.signals.empty());
  EXPECT_EQ(tree.service_pid("renamed"), pid);
  EXPECT_EQ(tree.service_pid("a"), 0);
}

TEST_F(TreeTest, RemovedServiceGetsTermAndIsNotRestarted) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  const pid_t pid = tree.service_pid("a");
  tree.sync(std::vector<ScanEntry>{});
  EXPECT_TRUE(effects.signalled(pid, SIGTERM));
  EXPECT_TRUE(tree.on_child_exit(pid, kExited0));
  tree.on_timer();
  EXPECT_EQ(effects.started.size(), 1u);
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(effects.unwatched, (std::vector<int>{1}));
  EXPECT_FALSE(tree.next_deadline_ms().has_value());
}

TEST_F(TreeTest, RemovedPairHupsLoggerOnlyAfterServiceSideEnded) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t service = tree.service_pid("a");
  const pid_t logger = tree.logger_pid("a");
  tree.sync(std::vector<ScanEntry>{});
  EXPECT_TRUE(effects.signalled(service, SIGTERM));
  EXPECT_FALSE(effects.signalled(logger, SIGHUP));
  EXPECT_FALSE(effects.signalled(logger, SIGTERM));
  ASSERT_TRUE(tree.on_child_exit(service, kExited0));
  EXPECT_TRUE(effects.signalled(logger, SIGHUP));
  EXPECT_EQ(tree.size(), 1u);
  ASSERT_TRUE(tree.on_child_exit(logger, kExited0));
  EXPECT_EQ(tree.size(), 0u);
}

TEST_F(TreeTest, LogAddedStartsLoggerAndRewiresService) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  const pid_t old_service = tree.service_pid("a");
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  EXPECT_NE(tree.logger_pid("a"), 0);
  EXPECT_TRUE(effects.signalled(old_service, SIGKILL));
  EXPECT_TRUE(tree.has_pipe("a"));
  // The new supervise starts when the old one is reaped (it held the lock), at once.
  ASSERT_TRUE(tree.on_child_exit(old_service, kKilled));
  const Started* service = effects.last_start_of("a");
  ASSERT_NE(service, nullptr);
  EXPECT_NE(service->pid, old_service);
  EXPECT_GE(service->stdout_fd, 0);
  EXPECT_EQ(tree.service_pid("a"), service->pid);
}

TEST_F(TreeTest, LogRemovedStopsLoggerAndRewiresService) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t old_service = tree.service_pid("a");
  const pid_t logger = tree.logger_pid("a");
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  EXPECT_TRUE(effects.signalled(logger, SIGTERM));
  EXPECT_TRUE(effects.signalled(old_service, SIGKILL));
  ASSERT_TRUE(tree.on_child_exit(old_service, kKilled));
  EXPECT_EQ(effects.last_start_of("a")->stdout_fd, -1);
  EXPECT_TRUE(effects.forwarded.empty());
  ASSERT_TRUE(tree.on_child_exit(logger, kExited0));
  EXPECT_FALSE(tree.has_pipe("a"));
  EXPECT_EQ(effects.last_start_of("a/log")->pid, logger);  // not restarted
  // The adopted run may still write into the old pipe: its read end goes to stdout.
  EXPECT_EQ(effects.forwarded.size(), 1u);
}

TEST_F(TreeTest, LogReplacedRestartsLoggerOnTheSamePipe) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t service = tree.service_pid("a");
  const pid_t logger = tree.logger_pid("a");
  const int read_end = effects.last_start_of("a/log")->stdin_fd;
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 21)});
  EXPECT_TRUE(effects.signalled(logger, SIGTERM));
  EXPECT_FALSE(effects.signalled(service, SIGKILL));
  ASSERT_TRUE(tree.on_child_exit(logger, exited(0)));
  EXPECT_NE(tree.logger_pid("a"), logger);
  EXPECT_EQ(effects.last_start_of("a/log")->stdin_fd, read_end);
}

TEST_F(TreeTest, DeadSuperviseIsRestartedThrottled) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  pid_t pid = tree.service_pid("a");
  clock.now += 10;  // died almost at once
  ASSERT_TRUE(tree.on_child_exit(pid, exited(111)));
  EXPECT_EQ(tree.service_pid("a"), 0);
  ASSERT_TRUE(tree.next_deadline_ms().has_value());
  EXPECT_EQ(*tree.next_deadline_ms(), clock.now - 10 + Tree::kMinRestartMs);
  tree.on_timer();
  EXPECT_EQ(effects.started.size(), 1u);  // not yet
  clock.now = *tree.next_deadline_ms();
  tree.on_timer();
  ASSERT_EQ(effects.started.size(), 2u);
  pid = tree.service_pid("a");
  // A second quick death doubles the delay.
  clock.now += 5;
  ASSERT_TRUE(tree.on_child_exit(pid, exited(111)));
  EXPECT_EQ(*tree.next_deadline_ms(), clock.now - 5 + 2 * Tree::kMinRestartMs);
  EXPECT_FALSE(effects.warnings.empty());
}

TEST_F(TreeTest, LongLivedSuperviseRestartsAtOnce) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  clock.now += 60'000;
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("a"), kKilled));
  EXPECT_EQ(*tree.next_deadline_ms(), clock.now);
}

TEST_F(TreeTest, FailedSpawnIsRetriedOnTheTimer) {
  effects.fail_starts = 1;
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  EXPECT_EQ(tree.service_pid("a"), 0);
  ASSERT_TRUE(tree.next_deadline_ms().has_value());
  clock.now = *tree.next_deadline_ms();
  tree.on_timer();
  EXPECT_NE(tree.service_pid("a"), 0);
}

TEST_F(TreeTest, EssentialExitReportsRunStatus) {
  tree.sync(std::vector<ScanEntry>{entry("main", 10), entry("side", 11)});
  effects.run_status["main"] = exited(3);
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("main"), exited(diag::kExitEssentialEnded)));
  ASSERT_TRUE(tree.essential_status().has_value());
  EXPECT_EQ(*tree.essential_status(), 3);
  EXPECT_FALSE(tree.next_deadline_ms().has_value());  // not restarted
}

TEST_F(TreeTest, EssentialKilledBySignalIs128PlusSignal) {
  tree.sync(std::vector<ScanEntry>{entry("main", 10)});
  effects.run_status["main"] = SIGSEGV;
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("main"), exited(diag::kExitEssentialEnded)));
  EXPECT_EQ(*tree.essential_status(), 128 + SIGSEGV);
}

TEST_F(TreeTest, EssentialWithoutReadableStatusIs111) {
  tree.sync(std::vector<ScanEntry>{entry("main", 10)});
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("main"), exited(diag::kExitEssentialEnded)));
  EXPECT_EQ(*tree.essential_status(), diag::kExitSystem);
}

TEST_F(TreeTest, ShutdownOrder) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20), entry("b", 11)});
  const pid_t a = tree.service_pid("a");
  const pid_t a_log = tree.logger_pid("a");
  const pid_t b = tree.service_pid("b");
  tree.begin_shutdown();
  EXPECT_TRUE(effects.signalled(a, SIGTERM));
  EXPECT_TRUE(effects.signalled(b, SIGTERM));
  EXPECT_FALSE(effects.signalled(a_log, SIGTERM));
  EXPECT_FALSE(effects.signalled(a_log, SIGHUP));
  EXPECT_EQ(tree.logger_pids(), (std::vector<pid_t>{a_log}));
  ASSERT_TRUE(tree.on_child_exit(b, exited(0)));
  EXPECT_EQ(tree.services_alive(), 1u);
  ASSERT_TRUE(tree.on_child_exit(a, exited(0)));
  EXPECT_TRUE(effects.signalled(a_log, SIGHUP));
  EXPECT_FALSE(tree.has_pipe("a"));
  EXPECT_EQ(tree.services_alive(), 0u);
  EXPECT_EQ(tree.supervisors_alive(), 1u);
  ASSERT_TRUE(tree.on_child_exit(a_log, exited(0)));
  EXPECT_EQ(tree.supervisors_alive(), 0u);
  EXPECT_EQ(effects.started.size(), 3u);  // nothing restarted
  tree.sync(std::vector<ScanEntry>{entry("c", 12)});
  EXPECT_EQ(effects.started.size(), 3u);  // nor started
}

// Issue 14: dependents stop before what they depend on, loggers last.
TEST_F(TreeTest, ShutdownStopsDependentsFirstAlongAChain) {
  effects.depends = {{"web", {"app"}}, {"app", {"db", "init"}}};
  tree.sync(std::vector<ScanEntry>{entry("app", 10), entry("db", 11, 21), entry("init", 12),
                                   entry("web", 13)});
  const pid_t app = tree.service_pid("app"), db = tree.service_pid("db");
  const pid_t init = tree.service_pid("init"), web = tree.service_pid("web");
  const pid_t db_log = tree.logger_pid("db");
  tree.begin_shutdown();
  EXPECT_TRUE(effects.signalled(web, SIGTERM));
  EXPECT_FALSE(effects.signalled(app, SIGTERM));
  EXPECT_FALSE(effects.signalled(db, SIGTERM));
  EXPECT_FALSE(effects.signalled(init, SIGTERM));
  ASSERT_TRUE(tree.on_child_exit(web, exited(0)));
  EXPECT_TRUE(effects.signalled(app, SIGTERM));
  EXPECT_FALSE(effects.signalled(db, SIGTERM));
  ASSERT_TRUE(tree.on_child_exit(app, exited(0)));
  EXPECT_TRUE(effects.signalled(db, SIGTERM));
  EXPECT_TRUE(effects.signalled(init, SIGTERM));
  EXPECT_FALSE(effects.signalled(db_log, SIGHUP)) << "a logger goes after its service";
  ASSERT_TRUE(tree.on_child_exit(db, exited(0)));
  EXPECT_TRUE(effects.signalled(db_log, SIGHUP));
}

TEST_F(TreeTest, ShutdownIgnoresDependenciesThatAreNotInTheTree) {
  effects.depends = {{"web", {"gone", "web"}}};
  tree.sync(std::vector<ScanEntry>{entry("web", 10)});
  tree.begin_shutdown();
  EXPECT_TRUE(effects.signalled(tree.service_pid("web"), SIGTERM));
}

TEST_F(TreeTest, ShutdownStopsACycleTogetherOnceNothingElseIsStopping) {
  effects.depends = {{"x", {"y"}}, {"y", {"x"}}, {"w", {"x"}}};
  tree.sync(std::vector<ScanEntry>{entry("w", 9), entry("x", 10), entry("y", 11)});
  const pid_t w = tree.service_pid("w"), x = tree.service_pid("x"), y = tree.service_pid("y");
  tree.begin_shutdown();
  EXPECT_TRUE(effects.signalled(w, SIGTERM));
  EXPECT_FALSE(effects.signalled(x, SIGTERM));
  ASSERT_TRUE(tree.on_child_exit(w, exited(0)));
  EXPECT_TRUE(effects.signalled(x, SIGTERM));
  EXPECT_TRUE(effects.signalled(y, SIGTERM));
}

TEST_F(TreeTest, ShutdownWhileServiceWaitsForRestartHupsLoggerAtOnce) {
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t logger = tree.logger_pid("a");
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("a"), exited(111)));
  tree.begin_shutdown();
  EXPECT_TRUE(effects.signalled(logger, SIGHUP));
  EXPECT_FALSE(tree.next_deadline_ms().has_value());
}

TEST_F(TreeTest, TableIsBounded) {
  std::vector<ScanEntry> listing;
  for (ino_t i = 0; i < 10; ++i) listing.push_back(entry("s" + std::to_string(i), 100 + i));
  tree.sync(listing);
  EXPECT_EQ(tree.size(), 8u);
  EXPECT_EQ(effects.warnings.size(), 1u);
  tree.sync(listing);
  EXPECT_EQ(effects.warnings.size(), 1u);  // said once
}

TEST_F(TreeTest, UnknownPidIsNotOurs) { EXPECT_FALSE(tree.on_child_exit(4242, 0)); }

// Issue 15: `stderr separate` gives a paired service a second pipe, held for the pair's
// life, and an svlog of svscan's own on its read end, restarted like a supervise.
TEST_F(TreeTest, SeparateStderrGetsItsOwnHeldPipeAndLogger) {
  effects.separate = {"a"};
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20), entry("b", 11, 21)});
  const Started* svlog = effects.last_start_of("svlog a");
  ASSERT_NE(svlog, nullptr);
  EXPECT_EQ(effects.last_start_of("svlog b"), nullptr);
  const pid_t a = tree.service_pid("a");
  ASSERT_EQ(effects.stderr_fds.count(a), 1u);
  const int stderr_write = effects.stderr_fds[a];
  EXPECT_NE(stderr_write, effects.last_start_of("a")->stdout_fd);
  EXPECT_NE(svlog->stdin_fd, effects.last_start_of("a/log")->stdin_fd);
  EXPECT_EQ(effects.stderr_fds.count(tree.service_pid("b")), 0u);
  // A dead supervise comes back on the same stderr pipe.
  ASSERT_TRUE(tree.on_child_exit(a, kKilled));
  clock.now += Tree::kMinRestartMs;
  tree.on_timer();
  EXPECT_EQ(effects.stderr_fds[tree.service_pid("a")], stderr_write);
  // A dead svlog too, on the same read end, after the throttle.
  const int stderr_read = svlog->stdin_fd;
  const pid_t svlog_pid = svlog->pid;
  ASSERT_TRUE(tree.on_child_exit(svlog_pid, kKilled));
  ASSERT_TRUE(tree.next_deadline_ms().has_value());
  clock.now = *tree.next_deadline_ms();
  tree.on_timer();
  const Started* again = effects.last_start_of("svlog a");
  ASSERT_NE(again->pid, svlog_pid);
  EXPECT_EQ(again->stdin_fd, stderr_read);
  // It is a logger: spared by the shutdown's TERM of other descendants.
  const std::vector<pid_t> loggers = tree.logger_pids();
  EXPECT_NE(std::find(loggers.begin(), loggers.end(), again->pid), loggers.end());
}

TEST_F(TreeTest, SeparateStderrLoggerDrainsAtShutdownAndKeepsTheSlot) {
  effects.separate = {"a"};
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t a = tree.service_pid("a"), a_log = tree.logger_pid("a");
  const pid_t svlog = effects.last_start_of("svlog a")->pid;
  tree.begin_shutdown();
  EXPECT_FALSE(effects.signalled(svlog, SIGTERM));
  ASSERT_TRUE(tree.on_child_exit(a, exited(0)));
  // No signal: our ends are closed, it reads to end of file and leaves by itself.
  EXPECT_FALSE(effects.signalled(svlog, SIGTERM));
  EXPECT_FALSE(effects.signalled(svlog, SIGHUP));
  ASSERT_TRUE(tree.on_child_exit(a_log, exited(0)));
  EXPECT_EQ(tree.supervisors_alive(), 1u);
  ASSERT_TRUE(tree.on_child_exit(svlog, exited(0)));
  EXPECT_EQ(tree.supervisors_alive(), 0u);
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(effects.started.size(), 3u);  // nothing restarted
}

TEST_F(TreeTest, LogRemovedLetsTheStderrLoggerLeaveAtEndOfFile) {
  effects.separate = {"a"};
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  const pid_t svlog = effects.last_start_of("svlog a")->pid;
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  const pid_t old_service = tree.service_pid("a");
  ASSERT_TRUE(tree.on_child_exit(old_service, kKilled));
  // The new supervise writes stderr where it inherits it: no pipe any more.
  EXPECT_EQ(effects.stderr_fds.count(tree.service_pid("a")), 0u);
  ASSERT_TRUE(tree.on_child_exit(svlog, exited(0)));
  clock.now += 60'000;
  tree.on_timer();
  EXPECT_EQ(effects.last_start_of("svlog a")->pid, svlog);  // not restarted
}

}  // namespace
}  // namespace svtree::svscan

namespace svtree::svscan {
namespace {

// Issue 15: a tree whose effects give catch-all pipes (real pipes, so the fds are real).
class CatchAllEffects final : public TreeEffects {
 public:
  Result<pid_t> start_supervise(const std::string& dir, int, int stdout_fd) override {
    starts.push_back({dir, stdout_fd, -1});
    return next_pid++;
  }
  Result<pid_t> start_supervise_caught(const std::string& dir, int stdout_fd,
                                       int stderr_fd) override {
    starts.push_back({dir, stdout_fd, stderr_fd});
    return next_pid++;
  }
  void send_signal(pid_t, int) override {}
  Result<Pipe> make_log_pipe() override { return make_pipe(); }
  void forward_to_stdout(UniqueFd, const std::string& name) override { forwarded.push_back(name); }
  Result<CatchPipes> open_catch_all(const std::string& name) override {
    auto out = make_pipe();
    if (!out) return out.error();
    opened.push_back(name);
    CatchPipes pipes;
    pipes.id = next_id;
    next_id += 2;
    pipes.out = std::move(out->write_end);
    read_ends.push_back(std::move(out->read_end));
    return pipes;
  }
  void rename_catch_all(int id, const std::string& name) override {
    renamed.emplace_back(id, name);
  }
  void release_catch_all(int id) override { released.push_back(id); }
  std::optional<int> last_run_wait_status(const std::string&) override { return std::nullopt; }
  int watch_service(const std::string&) override { return -1; }
  void unwatch_service(int) override {}
  std::vector<std::string> dependencies_of(const std::string&) override { return {}; }
  void note(std::string_view) override {}
  void warn(std::string_view text) override { warnings.emplace_back(text); }

  struct Start {
    std::string dir;
    int stdout_fd;
    int stderr_fd;
  };
  std::vector<Start> starts;
  std::vector<std::string> opened;
  std::vector<std::string> forwarded;
  std::vector<std::pair<int, std::string>> renamed;
  std::vector<int> released;
  std::vector<UniqueFd> read_ends;
  std::vector<std::string> warnings;
  pid_t next_pid = 100;
  int next_id = 0;
};

TEST(TreeCatchAll, ServiceWithoutLogGetsOneCatchAllPipeHeldAcrossRestarts) {
  CatchAllEffects effects;
  FakeClock clock;
  Tree tree(effects, clock, 8);
  tree.sync(std::vector<ScanEntry>{entry("a", 10), entry("b", 11, 12)});
  ASSERT_EQ(effects.opened, std::vector<std::string>{"a"});  // b has log/: its logger's pipe
  ASSERT_EQ(effects.starts.size(), 3u);
  const auto start_of = [&](const std::string& dir) {
    for (auto it = effects.starts.rbegin(); it != effects.starts.rend(); ++it)
      if (it->dir == dir) return *it;
    return CatchAllEffects::Start{};
  };
  const int first_fd = start_of("a").stdout_fd;
  EXPECT_GE(first_fd, 0);
  // The supervise dies: the new one gets the same pipe, no new one is opened.
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("a"), kKilled));
  clock.now += Tree::kMaxRestartMs;
  tree.on_timer();
  EXPECT_EQ(start_of("a").stdout_fd, first_fd);
  EXPECT_EQ(effects.opened.size(), 1u);
  // Renamed: the catch-all labels it with the new name.
  tree.sync(std::vector<ScanEntry>{entry("z", 10), entry("b", 11, 12)});
  ASSERT_EQ(effects.renamed.size(), 1u);
  EXPECT_EQ(effects.renamed[0].second, "z");
}

TEST(TreeCatchAll, LogAddedClosesTheCatchAllAndLogRemovedOpensOne) {
  CatchAllEffects effects;
  FakeClock clock;
  Tree tree(effects, clock, 8);
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  ASSERT_EQ(effects.opened.size(), 1u);
  tree.sync(std::vector<ScanEntry>{entry("a", 10, 20)});
  // Issue 17: the catch-all labels by the tree's own name until told it is no longer lent.
  EXPECT_EQ(effects.released, std::vector<int>{0});
  // The replaced supervise (SIGKILLed to re-wire) starts on the logger's pipe.
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("a"), kKilled));
  EXPECT_NE(effects.starts.back().stdout_fd, -1);
  EXPECT_TRUE(tree.has_pipe("a"));
  // Our write end of the catch-all is closed: only its read end remains, at end of file
  // once nothing else holds the write end.
  char byte = 0;
  ASSERT_EQ(::fcntl(effects.read_ends[0].get(), F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(::read(effects.read_ends[0].get(), &byte, 1), 0);
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  EXPECT_EQ(effects.opened.size(), 2u);
}

// Issue 17: the catch-all borrows the tree's name of a service; every way a service's
// slot goes (removed, then freed; the shutdown) tells it first, so that it never reads a
// name that is gone or, through a reused slot, another service's.
TEST(TreeCatchAll, TheLentNameIsReleasedBeforeItsSlotIsFreedOrReused) {
  CatchAllEffects effects;
  FakeClock clock;
  Tree tree(effects, clock, 1);
  tree.sync(std::vector<ScanEntry>{entry("a", 10)});
  const pid_t a = tree.service_pid("a");
  tree.sync(std::vector<ScanEntry>{});
  EXPECT_TRUE(effects.released.empty());  // its supervise still stops: the pipe is kept
  ASSERT_TRUE(tree.on_child_exit(a, kExited0));
  EXPECT_EQ(effects.released, std::vector<int>{0});
  // The one slot is reused by b, whose name replaces a's in the same string.
  tree.sync(std::vector<ScanEntry>{entry("b", 11)});
  ASSERT_EQ(effects.opened, (std::vector<std::string>{"a", "b"}));
  tree.begin_shutdown();
  ASSERT_TRUE(tree.on_child_exit(tree.service_pid("b"), kExited0));
  EXPECT_EQ(effects.released, (std::vector<int>{0, 2}));
}

}  // namespace
}  // namespace svtree::svscan
