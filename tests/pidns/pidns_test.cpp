// SPDX-License-Identifier: MIT
// svscan as PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc): reaping,
// the shutdown sequence, the grace-time kill, main-command and essential exit statuses.
// When PID 1 exits the kernel kills the rest of the namespace anyway, so these tests check
// what svscan did before it exited (marks written by TERM handlers, lines in logs).

// GCC 12 at -O3 (the release build) reports a bogus -Wrestrict inside libstdc++'s inlined
// `"literal" + std::string` (GCC bug 105329); this file only. Before any include, so that
// it covers the inlined library code the warning points into.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <signal.h>
#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "support/tree_fixture.hpp"
#include "svscan/svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

bool pid_namespaces_work(std::string& why) {
  if (!file_exists("/usr/bin/unshare")) {
    why = "/usr/bin/unshare is not installed";
    return false;
  }
  const auto result = run_command({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "true"});
  if (result.exit_code != 0) {
    why = "unshare --pid --fork --mount-proc is not permitted here: " + result.err;
    return false;
  }
  return true;
}

#define SKIP_WITHOUT_PID_NAMESPACES()                          \
  do {                                                         \
    std::string why;                                           \
    if (!pid_namespaces_work(why)) GTEST_SKIP() << why;        \
  } while (0)

TEST(Pid1, ReapsOrphansOfDoubleForkingServices) {
  SKIP_WITHOUT_PID_NAMESPACES();
  ScanTree tree;
  // Twenty short-lived grandchildren whose parents exit at once: each becomes an orphan
  // that only PID 1 can reap.
  tree.add_service("forker",
                   "i=0\nwhile [ $i -lt 20 ]; do i=$((i+1)); ( sleep 0.05 & ); done\n"
                   "echo forked > " + tree.out("forked") + "\nexec sleep 1000\n");
  tree.start({}, {}, true);
  ASSERT_TRUE(wait_until([&] { return file_exists(tree.out("forked")); })) << tree.log();
  // Past the first five, svscan sums orphans up when its 10 s window ends.
  ASSERT_TRUE(wait_until([&] { return orphans_reaped(tree.log()) >= 20; }, 40s)) << tree.log();
  ASSERT_TRUE(wait_until([&] { return zombies_below(tree.svscan().pid()).empty(); }))
      << zombies_below(tree.svscan().pid()).size() << " zombies left\n" << tree.log();
  EXPECT_EQ(tree.count_in_log("as PID 1"), 1u) << tree.log();
}

TEST(Pid1, SigtermStopsHundredServicesInOrderAndDrainsLoggers) {
  SKIP_WITHOUT_PID_NAMESPACES();
  ScanTree tree;
  make_dirs(tree.out("marks"));
  make_dirs(tree.out("logs"));
  for (int i = 0; i < 100; ++i) {
    const std::string name = "s" + std::to_string(i);
    // The TERM handler speaks into the log pipe and leaves a mark: both can only happen
    // if the TERM came from svscan's sequence, not from the kernel's final SIGKILL.
    // `sleep &` + `wait` leaves an orphaned sleep behind: an "other descendant".
    tree.add_service(name,
                     "trap 'echo \"bye from " + name + "\"; echo term > " + tree.out("marks") +
                         "/" + name + "; exit 0' TERM\necho \"hello from " + name +
                         "\"\nsleep 1000 &\nwait\n",
                     "exec cat >> " + tree.out("logs") + "/" + name + "\n");
  }
  tree.start({"-g", "30000"}, {}, true);
  auto all_logs_have = [&](const std::string& word) {
    for (int i = 0; i < 100; ++i) {
      const std::string name = "s" + std::to_string(i);
      if (read_file(tree.out("logs") + "/" + name).find(word + " from " + name + "\n") ==
          std::string::npos)
        return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return all_logs_have("hello"); }, std::chrono::seconds(60)))
      << tree.log();
  tree.signal_svscan(SIGTERM);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tree.log();
  for (int i = 0; i < 100; ++i) {
    const std::string name = "s" + std::to_string(i);
    EXPECT_EQ(read_file(tree.out("marks") + "/" + name), "term\n") << name << " got no TERM";
  }
  EXPECT_TRUE(all_logs_have("bye")) << "a logger did not drain its pipe";
  // Exits when the last child is gone, not at the grace time: no grace-time KILL was sent
  // (the log says so, whatever the machine's speed).
  EXPECT_EQ(tree.count_in_log("grace time of"), 0u) << tree.log();
  EXPECT_EQ(tree.count_in_log("services down: sent TERM to"), 1u) << tree.log();
  EXPECT_EQ(tree.count_in_log("no child left: exiting with status 0"), 1u) << tree.log();
}

TEST(Pid1, ServiceIgnoringTermIsKilledAtGraceTime) {
  SKIP_WITHOUT_PID_NAMESPACES();
  ScanTree tree;
  tree.add_service("stubborn",
                   "trap '' TERM\necho $$ > " + tree.out("stubborn.pid") + "\nexec sleep 1000\n");
  tree.add_service("polite", "echo $$ > " + tree.out("polite.pid") + "\nexec sleep 1000\n");
  tree.start({"-g", "500"}, {}, true);
  ASSERT_TRUE(wait_until([&] {
    return pid_from_file(tree.out("stubborn.pid")) > 0 && pid_from_file(tree.out("polite.pid")) > 0;
  })) << tree.log();
  const auto began = std::chrono::steady_clock::now();
  tree.signal_svscan(SIGTERM);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << tree.log();  // a grace-time kill does not change the status
  EXPECT_EQ(tree.count_in_log("grace time of 500 ms over: sent KILL"), 1u) << tree.log();
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(500));
  EXPECT_EQ(tree.count_in_log("supervise polite ended (exit code 0)"), 1u) << tree.log();
}

TEST(Pid1, MainCommandStatusIsTheContainerStatus) {
  SKIP_WITHOUT_PID_NAMESPACES();
  ScanTree tree;
  tree.add_service("helper", "trap 'echo term > " + tree.out("helper.term") +
                                 "; exit 0' TERM\necho $$ > " + tree.out("helper.pid") +
                                 "\nsleep 1000 & wait\n");
  tree.start({}, {"--", "/bin/sh", "-c",
                  "while [ ! -s " + tree.out("helper.pid") + " ]; do sleep 0.02; done; exit 42"},
             true);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 42) << tree.log();
  EXPECT_EQ(read_file(tree.out("helper.term")), "term\n");
}

TEST(Pid1, EssentialServiceDecidesTheContainerStatus) {
  SKIP_WITHOUT_PID_NAMESPACES();
  ScanTree tree;
  tree.add_service("helper", "trap 'echo term > " + tree.out("helper.term") +
                                 "; exit 0' TERM\necho $$ > " + tree.out("helper.pid") +
                                 "\nsleep 1000 & wait\n");
  tree.add_service("app", "while [ ! -s " + tree.out("helper.pid") +
                              " ]; do sleep 0.02; done\nkill -TERM $$\n", "", false);
  write_file(tree.staging() + "/app/essential", "");
  tree.move_in_service("app");
  tree.start({}, {}, true);
  const auto code = tree.svscan().wait_exit_code(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGTERM) << tree.log();
  EXPECT_EQ(read_file(tree.out("helper.term")), "term\n");
}

}  // namespace
}  // namespace svtree::svscan::testing
