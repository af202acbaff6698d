// SPDX-License-Identifier: MIT
// svscan as PID 1 with 200 services that each crash and restart every few seconds: the
// tree stays responsive (svctl status of all of them answers within a bound), leaves no
// zombie, and neither svscan nor a supervise grows in descriptors or memory (issue 7).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <map>
#include <algorithm>
#include <sstream>

#include "support/tree_fixture.hpp"

namespace svtree::testing {
namespace {

constexpr int kServices = 200;

int churn_seconds() {
  const char* text = std::getenv("SVTREE_CHURN_SECONDS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 20;
}

/// The first child of pid (unshare --fork's child is the namespace's PID 1).
pid_t first_child(pid_t pid) {
  std::istringstream children(
      read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  pid_t child = 0;
  children >> child;
  return child;
}

size_t open_fds(pid_t pid) {
  size_t count = 0;
  if (DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
  }
  return count;
}

/// Anonymous memory (heap, stacks), in kB: what a leak grows. Private_Clean would also
/// count svscan's own code pages as they are first touched (no other process maps them).
long private_kb(pid_t pid) {
  std::istringstream text(read_file("/proc/" + std::to_string(pid) + "/smaps_rollup"));
  long total = 0;
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("Anonymous:", 0) != 0) continue;
    std::istringstream fields(line);
    std::string key;
    long kb = 0;
    fields >> key >> kb;
    total += kb;
  }
  return total;
}

TEST(Churn, TwoHundredCrashLoopsAsPid1) {
  for (const char* variable : {"SVTREE_SVSCAN", "SVTREE_SUPERVISE", "SVTREE_SVCTL"})
    if (binary_from_env(variable).empty()) GTEST_SKIP() << variable << " is not set";
  if (run_command({"unshare", "--pid", "--fork", "--mount-proc", "true"}).exit_code != 0)
    GTEST_SKIP() << "unshare --pid --fork --mount-proc is not permitted here";

  Tree tree;
  for (int i = 0; i < kServices; ++i) {
    const std::string dir = tree.service_dir("crash" + std::to_string(i));
    make_dirs(dir);
    // Lives 1 to 3 s, then crashes; restarted by supervise (runit's 1 s minimum).
    write_script(dir + "/run", "exec 2>/dev/null\nsleep $(( $$ % 3 + 1 ))\nexit 1\n");
  }
  Process pid1({"unshare", "--pid", "--fork", "--mount-proc", binary_from_env("SVTREE_SVSCAN"),
                tree.scan_dir()});
  pid_t svscan = 0;
  ASSERT_TRUE(wait_until([&] { return (svscan = first_child(pid1.pid())) > 0; }));
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  const std::vector<std::string> env{"SVDIR=" + tree.scan_dir()};
  auto all_supervised = [&] {
    for (int i = 0; i < kServices; ++i)
      if (!file_exists(tree.service_dir("crash" + std::to_string(i)) + "/supervise/status"))
        return false;
    return true;
  };
  ASSERT_TRUE(wait_until(all_supervised, 60s)) << pid1.stderr_text();
  const pid_t sample_supervise = find_process({"supervise", "crash7"}, tree.service_dir("crash7"));
  ASSERT_GT(sample_supervise, 0);

  // Warm-up: every service has crashed and restarted at least once.
  ASSERT_TRUE(wait_until([&] {
    return read_file(tree.service_dir("crash0") + "/supervise/stat") == "run\n";
  }));
  const size_t fds_before = open_fds(svscan);
  const size_t supervise_fds_before = open_fds(sample_supervise);
  const long memory_before = private_kb(svscan);
  const long supervise_memory_before = private_kb(sample_supervise);

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(churn_seconds());
  int rounds = 0;
  while (std::chrono::steady_clock::now() < end) {
    // Every supervisor answers while its service crash-loops: status of all 200 through
    // their status files. How fast is bench/'s question, not a test's (the machine may be
    // loaded): the deadline only tells "answers" from "hangs".
    const auto status = run_command({svctl, "status"}, 60s, env);
    ASSERT_NE(status.exit_code, -1) << "svctl status did not answer within 60 s";
    EXPECT_GE(std::count(status.out.begin(), status.out.end(), '\n'), kServices) << status.out;
    ++rounds;
    // Zombies are reaped: any one seen must be gone shortly after.
    const auto seen = zombies_below(svscan);
    if (!seen.empty()) {
      EXPECT_TRUE(wait_until([&] {
        const auto now = zombies_below(svscan);
        for (pid_t z : seen)
          if (std::find(now.begin(), now.end(), z) != now.end()) return false;
        return true;
      }, 10s)) << "a zombie outlived 10 s under svscan";
    }
  }
  EXPECT_GT(rounds, 0);
  std::printf("churn: %d s, %d status rounds; svscan fds %zu->%zu, anonymous %ld->%ld kB; "
              "supervise fds %zu->%zu, anonymous %ld->%ld kB\n",
              churn_seconds(), rounds, fds_before, open_fds(svscan), memory_before,
              private_kb(svscan), supervise_fds_before, open_fds(sample_supervise),
              supervise_memory_before, private_kb(sample_supervise));
  EXPECT_EQ(::kill(svscan, 0), 0) << "svscan died";
  EXPECT_EQ(::kill(sample_supervise, 0), 0) << "a supervise died or was replaced";
  // A process caught mid-restart holds a few descriptors for a moment (the spawn's error
  // pipe, a record being written: CI's ASan run saw supervise at 14 against 13); a leak
  // stays. So the count must come back down, within a deadline.
  EXPECT_TRUE(wait_until([&] { return open_fds(svscan) <= fds_before; }, 10s))
      << "svscan leaks descriptors: " << fds_before << " -> " << open_fds(svscan);
  EXPECT_TRUE(wait_until([&] { return open_fds(sample_supervise) <= supervise_fds_before; }, 10s))
      << "supervise leaks descriptors: " << supervise_fds_before << " -> "
      << open_fds(sample_supervise);
#ifndef __SANITIZE_ADDRESS__
  // A little slack for malloc's arenas settling; a leak per restart would be far more.
  // (Under ASan freed memory sits in its quarantine, and LeakSanitizer checks leaks.)
  EXPECT_LE(private_kb(svscan), memory_before + 64) << "svscan's memory grew";
  EXPECT_LE(private_kb(sample_supervise), supervise_memory_before + 16) << "supervise's memory grew";
#endif

  ::kill(svscan, SIGTERM);
  EXPECT_EQ(pid1.wait_exit_code(60s), 0) << pid1.stderr_text();
}

}  // namespace
}  // namespace svtree::testing
