// SPDX-License-Identifier: MIT
// Debian's real clients against our supervise: runit's sv, daemontools' svstat, svok and
// svc, and tai64nlocal. Each scenario runs once against runsv and once against ours, and the
// transcripts (pids and seconds normalised) must be identical, exit codes included.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "supervise/supervise_harness.hpp"
#include "svtree/status_record.hpp"

namespace svtree::testing {
namespace {

/// One client command, and the state to wait for before the next one (clients such as svc
/// do not wait; runsv also sleeps a second after a quick death, so timing differs).
struct Step {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  std::function<bool(const StatusRecord&)> settle;
  bool new_pid = false;  // also wait until run has a pid other than before the command
};

bool is_down(const StatusRecord& r) { return r.state == RunState::kDown; }
bool is_up(const StatusRecord& r) { return r.state == RunState::kRun && r.pid != 0; }

std::string normalise(std::string text) {
  text = std::regex_replace(text, std::regex("pid [0-9]+"), "pid P");
  text = std::regex_replace(text, std::regex("[0-9]+ seconds"), "N seconds");
  text = std::regex_replace(text, std::regex(" [0-9]+s"), " Ns");
  return text;
}

/// Largest "Ns" or "N seconds" figure in text: a wrong TAI64 offset would show here.
long max_seconds(const std::string& text) {
  long most = 0;
  const std::regex figure("([0-9]+)(s|  ?seconds)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), figure);
       it != std::sregex_iterator(); ++it)
    most = std::max(most, std::stol((*it)[1].str()));
  return most;
}

enum class Peer { kRunsv, kOurs };

class Scenario {
 public:
  Scenario(Peer peer, const std::string& run_body) {
    service_.write_run(run_body);
    const std::string binary = peer == Peer::kRunsv ? program_path("runsv") : supervise_binary();
    Process::Options options;
    options.cwd = service_.temp().path();
    supervisor_ = std::make_unique<Process>(std::vector<std::string>{binary, "svc"}, options);
    started_ = service_.wait_running() != 0;
    // A run that sets traps says so in a file: a signal sent before would find none.
    if (run_body.find("> ready") != std::string::npos)
      started_ = started_ && wait_until([&] { return file_exists(service_.file("ready")); });
  }

  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] const ServiceFixture& service() const { return service_; }
  Process& supervisor() { return *supervisor_; }

  /// Runs the steps; returns the transcript, one line per step.
  std::vector<std::string> play(const std::vector<Step>& steps) {
    std::vector<std::string> transcript;
    for (const Step& step : steps) {
      std::vector<std::string> argv = step.argv;
      std::string shown;
      for (const std::string& arg : argv) shown += (shown.empty() ? "" : " ") + arg;
      argv[0] = program_path(argv[0]);
      Process::Options options;
      options.cwd = service_.temp().path();
      options.extra_env = {"SVDIR=" + service_.temp().path(), "SVWAIT=7"};
      const auto before = read_status(service_.dir());
      Process client(argv, options);
      const auto code = client.wait_exit_code(30s);
      const std::string output = client.stdout_text() + client.stderr_text();
      raw_ += output;
      std::string line =
          shown + " => [" + (code ? std::to_string(*code) : "timeout") + "] " + normalise(output);
      const pid_t old_pid = before ? before->pid : 0;
      if (step.settle && !service_.wait_status([&](const StatusRecord& r) {
            return step.settle(r) && (!step.new_pid || r.pid != old_pid);
          }))
        line += " (never settled)";
      transcript.push_back(line);
    }
    return transcript;
  }
  [[nodiscard]] const std::string& raw_output() const { return raw_; }

 private:
  ServiceFixture service_;
  std::unique_ptr<Process> supervisor_;
  bool started_ = false;
  std::string raw_;
};

#define REQUIRE_PROGRAMS(...)                                                      \
  do {                                                                             \
    for (const char* name : {__VA_ARGS__})                                         \
      if (program_path(name).empty()) GTEST_SKIP() << name << " is not installed"; \
  } while (0)

void expect_same_transcripts(const std::string& run_body, const std::vector<Step>& steps) {
  Scenario theirs(Peer::kRunsv, run_body);
  ASSERT_TRUE(theirs.started()) << "runsv did not start run";
  const auto expected = theirs.play(steps);
  Scenario ours(Peer::kOurs, run_body);
  ASSERT_TRUE(ours.started()) << ours.supervisor().stderr_text();
  const auto actual = ours.play(steps);
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << "step " << i;
  // The transcript goes to the test log, so a reader sees what was compared.
  for (const std::string& line : actual) std::printf("  %s", (line + "\n").c_str());
  EXPECT_LT(max_seconds(ours.raw_output()), 100) << ours.raw_output();
}

TEST(InteropSv, EveryCommandPrintsAndExitsAsAgainstRunsv) {
  REQUIRE_PROGRAMS("sv", "runsv");
  // sv -w only waits where its check is exact (up, down, once, exit); for term and kill
  // its check depends on which second the status stamp falls in, so those are sent
  // without -w and the transcript waits for the outcome instead.
  const std::vector<Step> steps = {
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "-w", "5", "down", "./svc"}, nullptr},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "-w", "5", "up", "./svc"}, nullptr},
      {{"sv", "-w", "5", "once", "./svc"}, nullptr},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "pause", "./svc"}, [](const StatusRecord& r) { return r.paused; }},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "cont", "./svc"}, [](const StatusRecord& r) { return !r.paused; }},
      {{"sv", "term", "./svc"}, is_down},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "-w", "5", "up", "./svc"}, nullptr},
      {{"sv", "kill", "./svc"}, is_up, true},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "-w", "5", "restart", "./svc"}, is_up, true},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "-w", "5", "exit", "./svc"}, nullptr},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "up", "./svc"}, nullptr},
  };
  expect_same_transcripts("exec sleep 1000\n", steps);
}

TEST(InteropSv, TimeoutsAndFailuresExitAsAgainstRunsv) {
  REQUIRE_PROGRAMS("sv", "runsv");
  // run ignores TERM: sv -w 1 down times out while it lives, then kill ends it.
  const std::vector<Step> steps = {
      {{"sv", "-w", "1", "down", "./svc"}, nullptr},
      {{"sv", "status", "./svc"}, nullptr},
      {{"sv", "kill", "./svc"}, is_down},
      {{"sv", "status", "./svc", "./missing"}, nullptr},
      {{"sv", "-w", "5", "exit", "./svc"}, nullptr},
  };
  expect_same_transcripts("trap '' TERM\necho > ready\nexec sleep 1000\n", steps);
}

TEST(InteropDaemontools, SvstatSvokSvcAsAgainstRunsv) {
  REQUIRE_PROGRAMS("svstat", "svok", "svc", "runsv");
  const std::vector<Step> steps = {
      {{"svstat", "svc"}, nullptr},
      {{"svok", "svc"}, nullptr},
      {{"svc", "-d", "svc"}, is_down},
      {{"svstat", "svc"}, nullptr},
      {{"svc", "-u", "svc"}, is_up},
      {{"svstat", "svc"}, nullptr},
      {{"svc", "-o", "svc"}, [](const StatusRecord& r) { return !r.want_up; }},
      {{"svstat", "svc"}, nullptr},
      {{"svc", "-u", "svc"}, [](const StatusRecord& r) { return r.want_up; }},
      {{"svc", "-t", "svc"}, is_up, true},
      {{"svstat", "svc"}, nullptr},
      {{"svc", "-k", "svc"}, is_up, true},
      {{"svstat", "svc"}, nullptr},
      {{"svc", "-dx", "svc"}, is_down},
  };
  expect_same_transcripts("exec sleep 1000\n", steps);
}

TEST(InteropDaemontools, SvcTermAndKillGiveANewPid) {
  REQUIRE_PROGRAMS("svc");
  Scenario ours(Peer::kOurs, "exec sleep 1000\n");
  ASSERT_TRUE(ours.started());
  pid_t pid = read_status(ours.service().dir())->pid;
  for (const char* option : {"-t", "-k"}) {
    ours.play({{{"svc", option, "svc"}, nullptr}});
    const pid_t next = ours.service().wait_running(pid);
    EXPECT_NE(next, 0) << option;
    pid = next;
  }
  ours.play({{{"svc", "-dx", "svc"}, nullptr}});
  EXPECT_EQ(ours.supervisor().wait_exit_code(), 0) << "svc -dx: down, then exit (runit's x)";
  EXPECT_EQ(read_status(ours.service().dir())->state, RunState::kDown);
  const auto after = ours.play({{{"svok", "svc"}, nullptr}});
  EXPECT_EQ(after[0], "svok svc => [100] ");
}

/// What tai64nlocal prints for the record's stamp.
std::string tai64nlocal_of(const StatusRecord& record) {
  Process::Options options;
  const std::string line = record.since.label() + " stamp\n";
  TempDir temp;
  write_file(temp / "in", line);
  const auto result =
      run_command({"/bin/sh", "-c", program_path("tai64nlocal") + " < " + temp / "in"});
  return result.out;
}

/// The same instant formatted here from the unix seconds the record implies.
std::string local_time_of(const StatusRecord& record) {
  const time_t seconds = static_cast<time_t>(record.since.unix_seconds());
  tm local{};
  ::localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  char nanos[16];
  std::snprintf(nanos, sizeof nanos, ".%09u", record.since.nanoseconds);
  return std::string(text) + nanos + " stamp\n";
}

TEST(InteropTai64n, Tai64nlocalReadsOurStampAsItReadsRunsvs) {
  REQUIRE_PROGRAMS("tai64nlocal", "runsv");
  for (const Peer peer : {Peer::kRunsv, Peer::kOurs}) {
    const auto before = std::chrono::system_clock::now();
    Scenario scenario(peer, "exec sleep 1000\n");
    ASSERT_TRUE(scenario.started());
    const auto record = read_status(scenario.service().dir());
    ASSERT_TRUE(record);
    EXPECT_EQ(tai64nlocal_of(*record), local_time_of(*record))
        << (peer == Peer::kOurs ? "ours" : "runsv");
    const auto stamp =
        std::chrono::system_clock::time_point(std::chrono::seconds(record->since.unix_seconds()));
    EXPECT_GE(stamp, std::chrono::time_point_cast<std::chrono::seconds>(before) - 1s);
    EXPECT_LE(stamp, std::chrono::system_clock::now());
    ASSERT_TRUE(send_control(scenario.service().dir(), "x"));
    EXPECT_TRUE(scenario.supervisor().wait_exit_code().has_value());
  }
}

}  // namespace
}  // namespace svtree::testing
