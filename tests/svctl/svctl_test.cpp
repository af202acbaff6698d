// SPDX-License-Identifier: MIT
// svctl against real supervisors: runit's runsv and our supervise, side by side with
// runit's own sv on identical services. Real processes and FIFOs; waits have deadlines.

// GCC 12 at -O3 (the release build) reports a bogus -Wrestrict inside libstdc++'s inlined
// `"literal" + std::string` (GCC bug 105329); this file only. Before any include, so that
// it covers the inlined library code the warning points into.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/status_record.hpp"

namespace svtree::testing {
namespace {

enum class Supervisor { kRunsv, kOurs };

std::string supervisor_name(const ::testing::TestParamInfo<Supervisor>& info) {
  return info.param == Supervisor::kRunsv ? "runsv" : "supervise";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// sv and svctl print seconds and pids that legitimately differ between two services and
// two moments: "(pid 123)" becomes "(pid N)" and the seconds after ") " or ": " become
// "Ns"; everything else is compared byte for byte. (No std::regex: GCC 12 warns inside
// it under the sanitizers.)
std::string normalise(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 5, "(pid ") == 0 && i + 5 < text.size() && is_digit(text[i + 5])) {
      size_t j = i + 5;
      while (j < text.size() && is_digit(text[j])) ++j;
      if (j < text.size() && text[j] == ')') {
        out += "(pid N)";
        i = j + 1;
        continue;
      }
    }
    const bool after_separator =
        i >= 2 && ((text[i - 2] == ')' || text[i - 2] == ':') && text[i - 1] == ' ');
    if (after_separator && is_digit(text[i])) {
      size_t j = i;
      while (j < text.size() && is_digit(text[j])) ++j;
      if (j < text.size() && text[j] == 's') {
        out += "Ns";
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// Splits a table line into its cells and the column each starts at.
std::vector<std::pair<size_t, std::string>> cells_of(const std::string& line) {
  std::vector<std::pair<size_t, std::string>> cells;
  for (size_t i = 0; i < line.size();) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    const size_t end = std::min(line.find(' ', i), line.size());
    cells.emplace_back(i, line.substr(i, end - i));
    i = end;
  }
  return cells;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

std::optional<StatusRecord> read_status(const std::string& dir) {
  // Through the protocol's client half: status plus, when coherent, status.svtree.
  auto record = read_service_status(dir);
  if (!record) return std::nullopt;
  return *record;
}

pid_t running_pid(const std::string& dir) {
  auto rec = read_status(dir);
  return rec && rec->state == RunState::kRun ? rec->pid : 0;
}

pid_t pid_in(const std::string& line) {
  const size_t at = line.find("(pid ");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::stoi(line.substr(at + 5)));
}

class SvctlTest : public ::testing::TestWithParam<Supervisor> {
 protected:
  void SetUp() override {
    svctl_ = binary_from_env("SVTREE_SVCTL");
    if (svctl_.empty()) GTEST_SKIP() << "SVTREE_SVCTL not set: run through meson test";
    if (GetParam() == Supervisor::kRunsv) {
      if (::access("/usr/bin/runsv", X_OK) != 0) GTEST_SKIP() << "runit's runsv is not installed";
      supervisor_ = "/usr/bin/runsv";
    } else {
      supervisor_ = binary_from_env("SVTREE_SUPERVISE");
      if (supervisor_.empty()) GTEST_SKIP() << "our supervise is not built";
    }
    ::chmod(root_.path().c_str(), 0755);
    make_dirs(svdir());
  }

  void TearDown() override {
    // Supervisors first (no restarts behind our back). What they left running (each run in
    // a session of its own) carries this test's tag and is killed by the test support when
    // the test ends: never by a pid read from a status file, which may name a process that
    // has since exited and whose pid now belongs to someone else.
    supervisors_.clear();
  }

  std::string svdir() const { return root_ / "service"; }
  std::string dir(const std::string& name) const { return svdir() + "/" + name; }

  /// A service whose run script is body (after #!/bin/sh).
  std::string make_service(const std::string& name, const std::string& body) {
    const std::string path = dir(name);
    make_dirs(path);
    write_script(path + "/run", body);
    return path;
  }

  /// Starts the supervisor on the service (and on its log/ if there is one: runsv does
  /// that itself, our standalone supervise leaves pairing to svscan) and waits until
  /// supervise/ok answers and status exists.
  void supervise(const std::string& name) {
    const std::string path = dir(name);
    supervisors_.push_back(std::make_unique<Process>(std::vector<std::string>{supervisor_, path}));
    if (file_exists(path + "/log")) {
      if (GetParam() == Supervisor::kOurs)
        supervisors_.push_back(
            std::make_unique<Process>(std::vector<std::string>{supervisor_, path + "/log"}));
    }
    for (const auto& d : {path, path + "/log"}) {
      if (!file_exists(d)) continue;
      ASSERT_TRUE(wait_until([&] {
        return probe_supervisor(d) == SupervisorPresence::kRunning &&
               read_status(d).has_value();
      })) << "supervisor did not come up on " << d;
    }
  }

  void wait_running(const std::string& name) {
    ASSERT_TRUE(wait_until([&] { return running_pid(dir(name)) != 0; })) << name;
  }

  CommandResult svctl(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), svctl_);
    env.push_back("SVDIR=" + svdir());
    return run_command(args, 60s, env);
  }

  CommandResult sv(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/sv");
    return run_command(args, 60s, {"SVDIR=" + svdir()});
  }

  Process::Options env_options() const {
    Process::Options options;
    options.extra_env = {"SVDIR=" + svdir()};
    return options;
  }

  bool have_sv() const { return ::access("/usr/bin/sv", X_OK) == 0; }

  TempDir root_;
  std::string svctl_;
  std::string supervisor_;
  std::vector<std::unique_ptr<Process>> supervisors_;
};

constexpr const char* kSleeper = "exec sleep 1000\n";

TEST_P(SvctlTest, StatusIsByteForByteSvs) {
  if (!have_sv()) GTEST_SKIP() << "runit's sv is not installed";
  make_service("web", kSleeper);
  make_dirs(dir("web/log"));
  write_script(dir("web/log/run"), kSleeper);
  make_service("idle", kSleeper);
  write_file(dir("idle/down"), "");
  make_service("napping", kSleeper);
  make_service("stubborn", "trap '' TERM\n: > traps-set\nexec sleep 1000\n");
  make_service("onetime", kSleeper);
  write_file(dir("onetime/down"), "");
  make_service("finishing", "exit 3\n");
  write_script(dir("finishing/finish"), "exec sleep 1000\n");
  for (const char* name : {"web", "idle", "napping", "stubborn", "onetime", "finishing"})
    supervise(name);
  for (const char* name : {"web", "napping", "stubborn"}) wait_running(name);
  // The pid is published at fork: a TERM before stubborn's trap is set would kill it.
  ASSERT_TRUE(wait_until([&] { return file_exists(dir("stubborn/traps-set")); }));
  ASSERT_EQ(svctl({"pause", "napping"}).exit_code, 0);
  ASSERT_EQ(svctl({"down", "stubborn"}).exit_code, 0);
  ASSERT_EQ(svctl({"once", "onetime"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] {
    auto napping = read_status(dir("napping"));
    auto stubborn = read_status(dir("stubborn"));
    auto finishing = read_status(dir("finishing"));
    return napping && napping->paused && stubborn && stubborn->got_term &&
           running_pid(dir("onetime")) != 0 && finishing &&
           finishing->state == RunState::kFinish;
  }));

  const std::vector<std::string> names = {"web", "idle", "napping", "stubborn", "onetime",
                                          "finishing", dir("web") + "/", dir("idle")};
  std::vector<std::string> args = {"status"};
  args.insert(args.end(), names.begin(), names.end());
  const auto ours = svctl(args);
  const auto theirs = sv(args);
  EXPECT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(theirs.exit_code, 0);
  EXPECT_EQ(normalise(ours.out), normalise(theirs.out));
  // And the flags are really there (normalise must not hide a blank output).
  EXPECT_NE(ours.out.find("run: napping: (pid "), std::string::npos);
  EXPECT_NE(ours.out.find(", paused"), std::string::npos);
  EXPECT_NE(ours.out.find(", want down, got TERM"), std::string::npos);
  EXPECT_NE(ours.out.find("down: idle: "), std::string::npos);
  EXPECT_NE(ours.out.find(", normally down, want down"), std::string::npos);
  EXPECT_NE(ours.out.find("finish: finishing: (pid "), std::string::npos);
  EXPECT_NE(ours.out.find("; run: log: (pid "), std::string::npos);
  ASSERT_EQ(svctl({"cont", "napping"}).exit_code, 0);
}

TEST_P(SvctlTest, WaitingVerbsPrintWhatSvPrints) {
  if (!have_sv()) GTEST_SKIP() << "runit's sv is not installed";
  // hup and 2 must not kill it (a dying service would make the next step racy).
  make_service("mine", "trap '' HUP USR2\nexec sleep 1000\n");
  make_service("theirs", "trap '' HUP USR2\nexec sleep 1000\n");
  supervise("mine");
  supervise("theirs");
  wait_running("mine");
  wait_running("theirs");
  // The order matters: sv checks "up" by "a process runs", so `sv -v up` right after
  // `once` may print the old "want down"; each step starts where sv cannot race.
  const std::vector<std::vector<std::string>> steps = {
      {"-v", "down"}, {"-v", "up"},      {"-v", "pause"},        {"-v", "cont"},
      {"-v", "hup"},  {"reload"},        {"restart"},            {"stop"},
      {"start"},      {"try-restart"},   {"force-restart"},      {"force-reload"},
      {"-v", "term"}, {"-v", "once"},    {"-v", "down"},         {"-v", "up"},
      {"check"},
      {"force-stop"}, {"-v", "2"},       {"start"},              {"shutdown"}};
  for (const auto& step : steps) {
    std::vector<std::string> ours_args = step;
    std::vector<std::string> theirs_args = step;
    ours_args.push_back("mine");
    theirs_args.push_back("theirs");
    const pid_t theirs_before = running_pid(dir("theirs"));
    const auto ours = svctl(ours_args);
    const auto theirs = sv(theirs_args);
    // sv may report a restart before it happened (its same-second race): let it happen
    // before the next step, and let both services settle.
    const std::string& verb = step.back();
    if (verb == "restart" || verb == "try-restart" || verb == "force-restart" ||
        verb == "force-reload" || verb == "term") {
      wait_until([&] {
        const pid_t now = running_pid(dir("theirs"));
        return now != 0 && now != theirs_before;
      });
    }
    for (const char* name : {"mine", "theirs"}) {
      wait_until([&] {
        auto rec = read_status(dir(name));
        if (!rec || rec->got_term) return false;
        if (!rec->want_up) return rec->state != RunState::kFinish;
        // A run's pid is published at fork: until the shell has set its traps and exec'd
        // sleep, a hup or 2 would kill it (seen under load). sleep inherits the ignores.
        return rec->state == RunState::kRun && rec->pid > 0 &&
               read_file("/proc/" + std::to_string(rec->pid) + "/comm") == "sleep\n";
      });
    }
    std::string theirs_text = normalise(theirs.out);
    theirs_text = replace_all(theirs_text, "theirs", "mine");
    theirs_text = replace_all(theirs_text, "runsv not running", "supervisor not running");
    SCOPED_TRACE(verb);
    EXPECT_EQ(ours.exit_code, theirs.exit_code) << ours.out << ours.err;
    EXPECT_EQ(normalise(ours.out), theirs_text);
    EXPECT_EQ(ours.err, "");
  }
  // shutdown: both supervisors are gone.
  EXPECT_EQ(supervisors_[0]->wait_exit_code(20s).has_value(), true);
  EXPECT_EQ(probe_supervisor(dir("mine")), SupervisorPresence::kNotRunning);
}

TEST_P(SvctlTest, SignalVerbsReachTheService) {
  make_service("sig",
               "for s in HUP ALRM INT QUIT USR1 USR2; do trap \"echo $s >> got\" $s; done\n"
               "trap 'echo TERM >> got; kill $! 2>/dev/null; exit 0' TERM\n"
               ": > trapped\n"
               "while :; do sleep 5 & wait $!; done\n");
  supervise("sig");
  wait_running("sig");
  // A signal that arrives before the traps are set kills the shell: wait for them.
  ASSERT_TRUE(wait_until([&] { return file_exists(dir("sig/trapped")); }));
  const pid_t first = running_pid(dir("sig"));
  const std::vector<std::pair<std::string, std::string>> verbs = {
      {"hup", "HUP"}, {"alarm", "ALRM"}, {"interrupt", "INT"}, {"quit", "QUIT"},
      {"1", "USR1"},  {"2", "USR2"},     {"term", "TERM"}};
  std::string expected;
  for (const auto& [verb, name] : verbs) {
    EXPECT_EQ(svctl({verb, "sig"}).exit_code, 0) << verb;
    expected += name + "\n";
    EXPECT_TRUE(wait_until([&] { return read_file(dir("sig/got")) == expected; }))
        << verb << ": got " << read_file(dir("sig/got"));
  }
  // term makes it exit; want is still up, so the supervisor restarts it. The trap's line
  // comes before the exit: until supervise has reaped it, the record names the first run.
  pid_t before = 0;
  ASSERT_TRUE(wait_until([&] {
    before = running_pid(dir("sig"));
    return before != 0 && before != first;
  }));
  EXPECT_EQ(svctl({"kill", "sig"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] {
    const pid_t now = running_pid(dir("sig"));
    return now != 0 && now != before;
  }));
  EXPECT_EQ(svctl({"pause", "sig"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_status(dir("sig"))->paused; }));
  EXPECT_EQ(svctl({"cont", "sig"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return !read_status(dir("sig"))->paused; }));
  EXPECT_EQ(svctl({"down", "sig"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_status(dir("sig"))->state == RunState::kDown; }));
  EXPECT_EQ(svctl({"up", "sig"}).exit_code, 0);
  wait_running("sig");
  EXPECT_EQ(svctl({"exit", "sig"}).exit_code, 0);
  EXPECT_TRUE(supervisors_[0]->wait_exit_code(20s).has_value());
}

TEST_P(SvctlTest, RestartNeverReportsTheOldProcess) {
  make_service("web", kSleeper);
  supervise("web");
  wait_running("web");
  for (int round = 0; round < 5; ++round) {
    const pid_t before = running_pid(dir("web"));
    const auto result = svctl({"-w", "20", "restart", "web"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    ASSERT_EQ(result.out.rfind("ok: run: web: (pid ", 0), 0u) << result.out;
    const pid_t reported = pid_in(result.out);
    EXPECT_NE(reported, before) << "round " << round << ": " << result.out;
    EXPECT_EQ(reported, running_pid(dir("web")));
  }
}

TEST_P(SvctlTest, OneWaitCoversManyServices) {
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back("s" + std::to_string(i));
    make_service(names.back(), kSleeper);
    supervise(names.back());
  }
  std::vector<pid_t> before;
  for (const auto& name : names) {
    wait_running(name);
    before.push_back(running_pid(dir(name)));
  }
  std::vector<std::string> args = {"-w", "30", "restart"};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back("missing");
  const auto result = svctl(args);
  EXPECT_EQ(result.exit_code, 1) << result.out;  // the missing one
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string prefix = "ok: run: " + names[i] + ": (pid ";
    const size_t at = result.out.find(prefix);
    ASSERT_NE(at, std::string::npos) << result.out;
    const pid_t reported = pid_in(result.out.substr(at));
    EXPECT_NE(reported, before[i]);
    EXPECT_EQ(reported, running_pid(dir(names[i])));
  }
  EXPECT_NE(result.out.find("fail: missing: service directory "), std::string::npos);
}

TEST_P(SvctlTest, TimeoutsPrintTimeoutOrKill) {
  make_service("stubborn", "trap '' TERM\n: > trapped\nexec sleep 1000\n");
  supervise("stubborn");
  wait_running("stubborn");
  // A TERM sent before the trap is set kills the shell: wait for it (and for the exec).
  ASSERT_TRUE(wait_until([&] { return file_exists(dir("stubborn/trapped")); }));
  ASSERT_TRUE(wait_until([&] {
    return read_file("/proc/" + std::to_string(running_pid(dir("stubborn"))) + "/comm") ==
           "sleep\n";
  }));
  const pid_t pid = running_pid(dir("stubborn"));
  auto stop = svctl({"-w", "1", "stop", "stubborn"});
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_EQ(normalise(stop.out), "timeout: run: stubborn: (pid N) Ns, want down, got TERM\n");
  EXPECT_EQ(pid_in(stop.out), pid);
  if (have_sv()) {
    auto theirs = sv({"-w", "1", "stop", "stubborn"});
    EXPECT_EQ(theirs.exit_code, 1);
    EXPECT_EQ(normalise(theirs.out), normalise(stop.out));
  }
  auto force = svctl({"-w", "1", "force-stop", "stubborn"});
  EXPECT_EQ(force.exit_code, 1);
  EXPECT_EQ(normalise(force.out), "kill: run: stubborn: (pid N) Ns, want down, got TERM\n");
  EXPECT_TRUE(wait_until([&] { return read_status(dir("stubborn"))->state == RunState::kDown; }));

  // restart: the TERM is ignored, so no new process ever comes.
  ASSERT_EQ(svctl({"-w", "20", "start", "stubborn"}).exit_code, 0);
  auto restart = svctl({"-w", "1", "restart", "stubborn"});
  EXPECT_EQ(restart.exit_code, 1);
  EXPECT_EQ(normalise(restart.out), "timeout: run: stubborn: (pid N) Ns, got TERM\n");

  // force-shutdown: KILL on timeout, after which the supervisor exits.
  auto shutdown = svctl({"-w", "1", "force-shutdown", "stubborn"});
  EXPECT_EQ(shutdown.exit_code, 1);
  EXPECT_EQ(normalise(shutdown.out), "kill: run: stubborn: (pid N) Ns, want down, got TERM\n");
  EXPECT_TRUE(supervisors_[0]->wait_exit_code(20s).has_value());
}

TEST_P(SvctlTest, CheckScriptDecidesStartAndCheck) {
  make_service("web", kSleeper);
  write_script(dir("web/check"), "[ -e healthy ]\n");
  supervise("web");
  wait_running("web");
  auto start = svctl({"-w", "1", "start", "web"});
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(normalise(start.out), "timeout: run: web: (pid N) Ns\n");
  // check without -w answers from one reading: "fail", not the "timeout" a wait would end in.
  auto probe = svctl({"check", "web"});
  EXPECT_EQ(probe.exit_code, 1);
  EXPECT_EQ(normalise(probe.out), "fail: web: ./check failed (exit 1) (run: web: (pid N) Ns)\n");
  // With -w it waits for ./check to pass: let it pass while svctl waits.
  Process waiting({svctl_, "-w", "30", "start", "web"}, env_options());
  write_file(dir("web/healthy"), "");
  EXPECT_EQ(waiting.wait_exit_code(30s), 0);
  EXPECT_EQ(normalise(waiting.stdout_text()), "ok: run: web: (pid N) Ns\n");
  EXPECT_EQ(svctl({"check", "web"}).exit_code, 0);
}

TEST_P(SvctlTest, CheckThatCannotBeExecutedSaysWhy) {
  make_service("web", kSleeper);
  write_file(dir("web/check"), "#!/bin/sh\nexit 0\n", 0644);
  supervise("web");
  wait_running("web");
  // The exec failure comes back through the spawner's report pipe, not as ./check's exit.
  auto probe = svctl({"check", "web"});
  EXPECT_EQ(probe.exit_code, 1);
  EXPECT_EQ(normalise(probe.out), "fail: web: unable to run " + dir("web/check") +
                                      ": Permission denied (run: web: (pid N) Ns)\n");
}

TEST_P(SvctlTest, CheckProbesEveryServiceInSvdir) {
  make_service("web", kSleeper);
  make_service("idle", kSleeper);
  write_file(dir("idle/down"), "");
  supervise("web");
  supervise("idle");
  wait_running("web");
  auto all = svctl({"check"});
  EXPECT_EQ(all.exit_code, 0) << all.out;
  EXPECT_EQ(normalise(all.out), "ok: down: idle: Ns\nok: run: web: (pid N) Ns\n");
  // A service wanted up that keeps dying is unhealthy; so is one nobody supervises.
  make_service("finishing", "exit 0\n");
  write_script(dir("finishing/finish"), "exec sleep 1000\n");
  supervise("finishing");
  ASSERT_TRUE(wait_until([&] {
    auto rec = read_status(dir("finishing"));
    return rec && rec->state == RunState::kFinish;
  }));
  make_service("orphan", kSleeper);
  auto bad = svctl({"check"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("fail: finishing: not up (finish: finishing: (pid "), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("fail: orphan: not supervised: "), std::string::npos) << bad.out;
  // Named services only.
  EXPECT_EQ(svctl({"check", "web", "idle"}).exit_code, 0);
}

TEST_P(SvctlTest, ExitCodesCountFailuresUpTo99) {
  make_service("web", kSleeper);
  supervise("web");
  auto three = svctl({"up", "web", "nope1", "nope2", "./nope3"});
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_NE(three.out.find("fail: nope1: service directory " + dir("nope1") + " does not exist\n"),
            std::string::npos);
  EXPECT_NE(three.out.find("fail: ./nope3: service directory ./nope3 does not exist\n"),
            std::string::npos);
  std::vector<std::string> many = {"status"};
  for (int i = 0; i < 120; ++i) many.push_back("missing" + std::to_string(i));
  EXPECT_EQ(svctl(many).exit_code, 99);
  EXPECT_EQ(svctl({}).exit_code, 100);
  auto help = svctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.rfind("usage: svctl [-v] [-w SEC] COMMAND [SERVICE...]\n", 0), 0u);
  EXPECT_EQ(svctl({"frobnicate", "web"}).exit_code, 100);
  auto usage = svctl({"-w", "x", "up", "web"});
  EXPECT_EQ(usage.exit_code, 100);
  EXPECT_NE(usage.err.find("usage: "), std::string::npos);
  // Not supervised: dir exists, FIFO exists, no reader.
  make_service("stopped", kSleeper);
  supervise("stopped");
  ASSERT_EQ(svctl({"shutdown", "stopped"}).exit_code, 0);
  auto gone = svctl({"up", "stopped"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.out, "fail: stopped: not supervised: no supervisor is running on " +
                          dir("stopped") + "\n");
  // exit on a service nobody supervises is what was wanted: ok.
  auto exit = svctl({"exit", "stopped"});
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.out, "ok: stopped: supervisor not running\n");
}

TEST_P(SvctlTest, WaitEndsWhenTheSupervisorDies) {
  make_service("web", kSleeper);
  write_script(dir("web/check"), "echo >> checked\nexit 1\n");
  supervise("web");
  wait_running("web");
  Process waiting({svctl_, "-w", "60", "start", "web"}, env_options());
  // It is waiting once its ./check has run and failed twice.
  ASSERT_TRUE(wait_until([&] { return read_file(dir("web/checked")).size() >= 2; }));
  supervisors_[0]->signal(SIGKILL);
  EXPECT_EQ(waiting.wait_exit_code(20s), 1);
  EXPECT_EQ(waiting.stdout_text(),
            "fail: web: not supervised: no supervisor is running on " + dir("web") + "\n");
}

TEST_P(SvctlTest, WaitSurvivesASupervisorReplacement) {
  // svscan replaces a service's supervise when log/ comes or goes (DESIGN.md §1).
  make_service("web", kSleeper);
  write_script(dir("web/check"), "echo >> checked\n[ -e healthy ]\n");
  supervise("web");
  wait_running("web");
  const pid_t first = running_pid(dir("web"));
  Process waiting({svctl_, "-w", "60", "start", "web"}, env_options());
  ASSERT_TRUE(wait_until([&] { return !read_file(dir("web/checked")).empty(); }));
  supervisors_[0]->signal(SIGKILL);
  ASSERT_TRUE(supervisors_[0]->wait(20s).has_value());
  // The gap must not end the wait (without the grace it fails at once: see the test above).
  EXPECT_FALSE(wait_until([&] { return !waiting.running(); }, 500ms)) << waiting.stdout_text();
  supervisors_.push_back(
      std::make_unique<Process>(std::vector<std::string>{supervisor_, dir("web")}));
  ASSERT_TRUE(wait_until([&] {
    return probe_supervisor(dir("web")) == SupervisorPresence::kRunning;
  }));
  write_file(dir("web/healthy"), "");
  EXPECT_EQ(waiting.wait_exit_code(60s), 0) << waiting.stdout_text();
  EXPECT_EQ(normalise(waiting.stdout_text()), "ok: run: web: (pid N) Ns\n");
  // runsv adopts nothing: it started a second sleep; the first one is ours to end.
  if (running_pid(dir("web")) != first) ::kill(first, SIGKILL);
}

TEST_P(SvctlTest, PermissionDeniedIsOneClearLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run svctl as another user";
  if (!have_program("setpriv")) GTEST_SKIP() << "setpriv is not installed";
  make_service("web", kSleeper);
  supervise("web");
  ::chmod(dir("web/supervise").c_str(), 0700);
  auto denied = run_command({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             svctl_, "status", "web"},
                            30s, {"SVDIR=" + svdir()});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.out, "fail: web: permission denied: cannot open " + dir("web") +
                            "/supervise/ok (supervise/ is 0700: run as its owner or root)\n");
}

TEST_P(SvctlTest, StartOrderIdiomWaitsForTheDependency) {
  make_service("db", GetParam() == Supervisor::kOurs
                         ? "while [ ! -e go ]; do sleep 0.02; done\necho >&3\nexec sleep 1000\n"
                         : "while [ ! -e go ]; do sleep 0.02; done\nexec sleep 1000\n");
  write_file(dir("db/down"), "");
  if (GetParam() == Supervisor::kOurs) {
    write_file(dir("db/notification-fd"), "3\n");
  } else {
    write_script(dir("db/check"), "[ -e go ]\n");  // runsv knows no readiness: ./check does
  }
  make_service("app", "\"" + svctl_ + "\" -w 30 start ../db || exit 1\n"
                      "cat ../db/go > started\nexec sleep 1000\n");
  write_file(dir("db/go.later"), "go\n");
  supervise("db");
  supervise("app");
  // The app's start brought db up; it waits until db is ready.
  wait_running("db");
  EXPECT_FALSE(file_exists(dir("app/started")));
  ASSERT_EQ(::rename(dir("db/go.later").c_str(), dir("db/go").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return read_file(dir("app/started")) == "go\n"; }));
}

TEST_P(SvctlTest, StartOrderUnderSvscanWithHealthProbe) {
  if (GetParam() != Supervisor::kOurs) GTEST_SKIP() << "svscan runs our supervise";
  const std::string svscan = binary_from_env("SVTREE_SVSCAN");
  if (svscan.empty()) GTEST_SKIP() << "svscan is not built";
  make_service("db", "while [ ! -e go ]; do sleep 0.02; done\necho >&3\nexec sleep 1000\n");
  write_file(dir("db/notification-fd"), "3\n");
  make_service("app", "\"" + svctl_ + "\" -w 30 start ../db || exit 1\n"
                      "cat ../db/go > started\nexec sleep 1000\n");
  write_file(dir("db/go.later"), "go\n");
  Process::Options options;
  options.extra_env = {"SVTREE_SUPERVISE=" + supervisor_};
  Process tree({svscan, svdir()}, options);
  wait_running("db");
  // db runs but is not ready: the app waits, and the tree is not healthy yet.
  EXPECT_FALSE(file_exists(dir("app/started")));
  auto unhealthy = svctl({"check"});
  EXPECT_NE(unhealthy.exit_code, 0) << unhealthy.out;
  EXPECT_NE(unhealthy.out.find("fail: db: not ready (run: db: (pid "), std::string::npos)
      << unhealthy.out;
  ASSERT_EQ(::rename(dir("db/go.later").c_str(), dir("db/go").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return read_file(dir("app/started")) == "go\n"; }));
  EXPECT_TRUE(wait_until([&] { return svctl({"check"}).exit_code == 0; }));
  // A clean shutdown of the whole tree: svscan stops every supervise it started.
  tree.signal(SIGTERM);
  EXPECT_EQ(tree.wait_exit_code(30s), 0);
}

TEST_P(SvctlTest, TableAndJsonListEveryService) {
  make_service("web", kSleeper);
  make_dirs(dir("web/log"));
  write_script(dir("web/log/run"), kSleeper);
  make_service("idle", kSleeper);
  write_file(dir("idle/down"), "");
  make_dirs(dir(".hidden"));
  supervise("web");
  supervise("idle");
  wait_running("web");
  wait_running("web/log");
  auto table = svctl({"status"});
  EXPECT_EQ(table.exit_code, 0) << table.out;
  // Every cell starts in its header's column; runsv records no readiness.
  const auto lines = lines_of(table.out);
  ASSERT_EQ(lines.size(), 4u) << table.out;
  const auto header = cells_of(lines[0]);
  ASSERT_EQ(header.size(), 8u) << table.out;
  const std::vector<std::string> titles = {"SERVICE", "STATE", "PID",       "TIME",
                                           "READY",   "RESTARTS", "LAST-EXIT", "NOTES"};
  for (size_t i = 0; i < titles.size(); ++i) EXPECT_EQ(header[i].second, titles[i]);
  const bool ours = GetParam() == Supervisor::kOurs;
  const std::string ready = ours ? "yes" : "-";
  const std::string restarts = ours ? "0" : "-";
  const std::vector<std::vector<std::string>> expected = {
      {"idle", "down", "-", "Ns", "-", restarts, "-"},
      {"web", "run", "PID", "Ns", ready, restarts, "-"},
      {"web/log", "run", "PID", "Ns", ready, restarts, "-"}};
  for (size_t row = 0; row < expected.size(); ++row) {
    const auto cells = cells_of(lines[row + 1]);
    ASSERT_EQ(cells.size(), expected[row].size()) << lines[row + 1];
    for (size_t i = 0; i < cells.size(); ++i) {
      EXPECT_EQ(cells[i].first, header[i].first) << lines[row + 1];
      std::string value = cells[i].second;
      if (expected[row][i] == "PID" && !value.empty() &&
          std::all_of(value.begin(), value.end(), is_digit))
        value = "PID";
      if (expected[row][i] == "Ns") value = normalise(": " + value).substr(2);
      EXPECT_EQ(value, expected[row][i]) << lines[row + 1];
    }
  }
  auto json = svctl({"status", "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(json.out.front(), '[');
  EXPECT_NE(json.out.find("{\"name\":\"idle\",\"dir\":\"" + dir("idle") +
                          "\",\"supervised\":true,\"state\":\"down\",\"pid\":null"),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"log\":{\"name\":\"web/log\""), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find(".hidden"), std::string::npos);
  if (GetParam() == Supervisor::kOurs) {
    EXPECT_NE(json.out.find("\"ready\":true"), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"start_count\":1,\"phase\":\"running\",\"restarts\":0,"
                            "\"failed_starts\":0"),
              std::string::npos)
        << json.out;
  }
}

TEST_P(SvctlTest, InitScriptModeUsesLsbExitCodes) {
  make_service("web", kSleeper);
  supervise("web");
  wait_running("web");
  const std::string link = root_ / "web";
  ASSERT_EQ(::symlink(svctl_.c_str(), link.c_str()), 0);
  auto running = run_command({link, "status"}, 30s, {"SVDIR=" + svdir()});
  EXPECT_EQ(running.exit_code, 0);
  EXPECT_EQ(normalise(running.out), "run: web: (pid N) Ns\n");
  EXPECT_EQ(run_command({link, "stop"}, 30s, {"SVDIR=" + svdir()}).exit_code, 0);
  EXPECT_EQ(run_command({link, "status"}, 30s, {"SVDIR=" + svdir()}).exit_code, 3);
  EXPECT_EQ(run_command({link, "sleep"}, 30s, {"SVDIR=" + svdir()}).exit_code, 2);
  if (have_sv()) {
    const std::string sv_link = root_ / "svlink";
    make_dirs(sv_link);
    ASSERT_EQ(::symlink("/usr/bin/sv", (sv_link + "/web").c_str()), 0);
    auto theirs = run_command({sv_link + "/web", "status"}, 30s, {"SVDIR=" + svdir()});
    auto ours = run_command({link, "status"}, 30s, {"SVDIR=" + svdir()});
    EXPECT_EQ(ours.exit_code, theirs.exit_code);
    EXPECT_EQ(normalise(ours.out), normalise(theirs.out));
  }
}

// Issue 17: the four programs are one binary, chosen by the name it runs under or by its
// first argument; any other name is an init-script link (svctl's LSB mode, tested above).
TEST(MultiCall, DispatchesOnItsFirstArgumentAndAnswersHelpAndVersion) {
  const std::string svtree = binary_from_env("SVTREE_SVTREE");
  ASSERT_FALSE(svtree.empty()) << "SVTREE_SVTREE is not set: run through meson test";
  const auto version = run_command({svtree, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("svtree (svtree) ", 0), 0u) << version.out;
  EXPECT_EQ(run_command({svtree, "--help"}).exit_code, 0);
  const auto unknown = run_command({svtree, "no-such-program"});
  EXPECT_EQ(unknown.exit_code, 100);
  EXPECT_NE(unknown.err.find("usage: svtree PROGRAM"), std::string::npos) << unknown.err;
  // `svtree svctl ...` is svctl: a usage error is svctl's, naming svctl.
  const auto svctl = run_command({svtree, "svctl"});
  EXPECT_EQ(svctl.exit_code, 100);
  EXPECT_EQ(svctl.err.rfind("svctl: usage:", 0), 0u) << svctl.err;
  // `svtree supervise` without a directory is supervise's usage error.
  const auto supervise = run_command({svtree, "supervise"});
  EXPECT_EQ(supervise.exit_code, 100);
  EXPECT_NE(supervise.err.find("supervise"), std::string::npos) << supervise.err;
}

INSTANTIATE_TEST_SUITE_P(Supervisors, SvctlTest,
                         ::testing::Values(Supervisor::kRunsv, Supervisor::kOurs),
                         supervisor_name);

}  // namespace
}  // namespace svtree::testing
