// SPDX-License-Identifier: MIT
// SIGKILL any process of a running tree — the service, its logger, either supervise — at
// moments chosen by progress, while the service streams numbered lines. The tree must
// recover by itself; the log must hold every line in order, without duplicates, except
// at most the one chunk a SIGKILLed logger had read and not yet written; and the service
// must never run twice at once (issue 7).
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>
#include <sstream>

#include "support/tree_fixture.hpp"

namespace svtree::testing {
namespace {

// The producer takes a lock before it writes: a second copy beside a living first one
// (an orphan its new supervise failed to adopt) cannot get it and says DOUBLE in the log.
// Its children (sleep) do not inherit the lock's fd, so nothing else can hold it.
constexpr const char* kProducer =
    "exec 2>&1\n"
    "exec 9>>../../producer.lock\n"
    "flock -w 3 9 || { echo \"DOUBLE $$\"; exit 1; }\n"
    "run=$$\n"
    "i=0\n"
    "trap 'echo \"END $run $i\"; exit 0' TERM\n"
    "while :; do\n"
    "  i=$((i+1))\n"
    "  echo \"L $run $i\"\n"
    "  case $((i % 40)) in 0) sleep 0.02 9>&-;; esac\n"
    "done\n";

enum class Victim { kRun, kLogger, kSupervise, kLogSupervise };

const char* name_of(Victim victim) {
  switch (victim) {
    case Victim::kRun: return "run";
    case Victim::kLogger: return "logger";
    case Victim::kSupervise: return "supervise";
    case Victim::kLogSupervise: return "log supervise";
  }
  return "?";
}

struct Parsed {
  std::vector<long> runs_in_order;              // run ids as they first appear
  std::map<long, std::vector<long>> numbers;    // run id -> numbers as logged
  std::map<long, long> end_of;                  // run id -> i in its END line
  std::vector<std::string> unexpected;          // DOUBLE or garbage
};

Parsed parse(const std::vector<std::string>& lines) {
  Parsed parsed;
  for (const std::string& line : lines) {
    std::istringstream words(line);
    std::string kind;
    long run = 0;
    long number = 0;
    if (!(words >> kind >> run >> number) || (kind != "L" && kind != "END")) {
      parsed.unexpected.push_back(line);
      continue;
    }
    if (parsed.numbers.find(run) == parsed.numbers.end()) parsed.runs_in_order.push_back(run);
    if (kind == "L") parsed.numbers[run].push_back(number);
    else parsed.end_of[run] = number;
  }
  return parsed;
}

TEST(Faults, KillNineAnywhereLosesNoLineAndNeverRunsTwice) {
  for (const char* variable : {"SVTREE_SVSCAN", "SVTREE_SUPERVISE", "SVTREE_SVLOG"})
    if (binary_from_env(variable).empty()) GTEST_SKIP() << variable << " is not set";
  if (!have_program("flock")) GTEST_SKIP() << "flock(1) from util-linux is not installed";

  Tree tree;
  const std::string service = tree.service_dir("counter");
  const std::string logger = service + "/log";
  make_dirs(logger + "/main");
  write_script(service + "/run", kProducer);
  write_script(logger + "/run", "exec \"$SVLOG\" ./main\n");
  write_file(logger + "/main/config", "s200000\nn1000\n");
  // Recovery speed is not what this test is about: restart without runit's 1 s pause.
  write_file(service + "/restart-delay", "50\n");
  write_file(logger + "/restart-delay", "50\n");
  make_dirs(logger + "/env");
  write_file(logger + "/env/SVLOG", binary_from_env("SVTREE_SVLOG") + "\n");
  tree.start();

  const std::string logdir = logger + "/main";
  auto logged = [&] { return logdir_lines(logdir).size(); };
  ASSERT_TRUE(wait_until([&] { return logged() >= 200; }, 30s))
      << "the producer's lines never reached the log\n" << tree.svscan().stderr_text();

  auto pid_of = [&](Victim victim) -> pid_t {
    switch (victim) {
      case Victim::kRun: return pid_from_file(service + "/supervise/pid");
      case Victim::kLogger: return pid_from_file(logger + "/supervise/pid");
      case Victim::kSupervise: return find_process({"supervise", "counter"}, service);
      case Victim::kLogSupervise:
        return find_process({"supervise", "counter/log"}, logger);
    }
    return 0;
  };
  auto whole_tree_up = [&] {
    for (Victim v : {Victim::kRun, Victim::kLogger, Victim::kSupervise, Victim::kLogSupervise})
      if (pid_of(v) <= 0 || ::kill(pid_of(v), 0) != 0) return false;
    return true;
  };

  const unsigned seed = 20261122;
  std::mt19937 random(seed);
  int logger_kills = 0;
  for (int round = 0; round < 16; ++round) {
    const auto victim = static_cast<Victim>(random() % 4);
    ASSERT_TRUE(wait_until(whole_tree_up, 30s)) << "round " << round << ": the tree did not recover\n"
                                                << tree.svscan().stderr_text();
    const pid_t pid = pid_of(victim);
    ASSERT_GT(pid, 1);
    SCOPED_TRACE(std::string("round ") + std::to_string(round) + ": SIGKILL " + name_of(victim) +
                 " pid " + std::to_string(pid) + " (seed " + std::to_string(seed) + ")");
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    if (victim == Victim::kLogger) ++logger_kills;
    // The next moment is chosen by progress, not by time: the stream must move on.
    const size_t before = logged();
    const size_t more = 50 + random() % 400;
    ASSERT_TRUE(wait_until([&] { return logged() >= before + more; }, 30s))
        << "the log stopped growing\n" << tree.svscan().stderr_text();
  }

  // Stop the producer: its TERM handler logs how far it got.
  ASSERT_TRUE(wait_until(whole_tree_up, 30s));
  ASSERT_TRUE(write_into(service + "/supervise/control", "d"));
  ASSERT_TRUE(wait_until([&] {
    const auto lines = logdir_lines(logdir);
    return !lines.empty() && lines.back().rfind("END ", 0) == 0;
  }, 30s)) << "the producer's END line never reached the log";
  EXPECT_EQ(tree.stop(), 0) << tree.svscan().stderr_text();

  const Parsed parsed = parse(logdir_lines(logdir));
  EXPECT_TRUE(parsed.unexpected.empty()) << "unexpected line: " << parsed.unexpected.front();
  ASSERT_FALSE(parsed.runs_in_order.empty());
  // Runs never interleave: once a run's lines stop, that run id never comes back.
  std::vector<long> sequence;
  for (const std::string& line : logdir_lines(logdir)) {
    std::istringstream words(line);
    std::string kind;
    long run = 0;
    words >> kind >> run;
    if (sequence.empty() || sequence.back() != run) sequence.push_back(run);
  }
  EXPECT_EQ(sequence.size(), parsed.runs_in_order.size()) << "two runs' lines interleave";
  // Within each run: strictly increasing (no duplicate, no reordering); gaps only where a
  // logger was killed mid-chunk.
  int gaps = 0;
  for (const auto& [run, numbers] : parsed.numbers) {
    long expected = 1;
    for (long number : numbers) {
      ASSERT_GE(number, expected) << "run " << run << ": line " << number
                                  << " duplicated or out of order";
      if (number > expected) ++gaps;
      expected = number + 1;
    }
  }
  EXPECT_LE(gaps, logger_kills) << "lines were lost other than by a SIGKILLed logger";
  // The last run ended cleanly: every line it wrote before END is there.
  const long last_run = parsed.runs_in_order.back();
  ASSERT_TRUE(parsed.end_of.count(last_run));
  EXPECT_EQ(parsed.numbers.at(last_run).back(), parsed.end_of.at(last_run));
}

}  // namespace
}  // namespace svtree::testing
