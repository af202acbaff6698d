// SPDX-License-Identifier: MIT
// A service directory that changes under a running tree (issue 7): run replaced while it
// runs, the whole scan directory renamed, the whole scan directory deleted.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include "support/tree_fixture.hpp"

namespace svtree::testing {
namespace {

bool have_tree_binaries() {
  return !binary_from_env("SVTREE_SVSCAN").empty() && !binary_from_env("SVTREE_SUPERVISE").empty();
}

/// Are services a and b of the scan dir scan both running, with their pids published?
bool both_running(const std::string& scan) {
  return run_pid(scan + "/a") > 0 && run_pid(scan + "/b") > 0;
}

/// Starts tree with two long-running services, a and b, and waits until both run.
void start_two_services(Tree& tree) {
  for (const char* name : {"a", "b"}) {
    make_dirs(tree.service_dir(name));
    write_script(tree.service_dir(name) + "/run", "exec sleep 1000\n");
  }
  tree.start();
  ASSERT_TRUE(wait_until([&] { return both_running(tree.scan_dir()); }))
      << tree.svscan().stderr_text();
}

TEST(ChangesUnderTheTree, RunReplacedWhileRunningTakesEffectAtTheNextStart) {
  if (!have_tree_binaries()) GTEST_SKIP() << "SVTREE_SVSCAN or SVTREE_SUPERVISE is not set";
  Tree tree;
  const std::string service = tree.service_dir("app");
  make_dirs(service);
  write_script(service + "/run", "echo v1 >> ../../versions\nexec sleep 1000\n");
  tree.start();
  const std::string versions = tree.root() / "versions";
  // run can write v1 before supervise has written supervise/pid: wait for both.
  pid_t first = 0;
  ASSERT_TRUE(wait_until([&] {
    first = run_pid(service);
    return first > 0 && read_file(versions) == "v1\n";
  })) << tree.svscan().stderr_text();

  // Replaced the way deployments do it (write a new file, rename over): the running
  // process is untouched.
  write_script(service + "/run", "echo v2 >> ../../versions\nexec sleep 1000\n");
  EXPECT_TRUE(process_alive(first));
  EXPECT_EQ(pid_from_file(service + "/supervise/pid"), first);

  ASSERT_TRUE(write_into(service + "/supervise/control", "t"));
  ASSERT_TRUE(wait_until([&] { return read_file(versions) == "v1\nv2\n"; }))
      << read_file(versions) << tree.svscan().stderr_text();
  EXPECT_EQ(tree.stop(), 0);
}

TEST(ChangesUnderTheTree, ScanDirRenamedKeepsEverythingRunning) {
  if (!have_tree_binaries()) GTEST_SKIP() << "SVTREE_SVSCAN or SVTREE_SUPERVISE is not set";
  Tree tree;
  ASSERT_NO_FATAL_FAILURE(start_two_services(tree));
  const pid_t a = pid_from_file(tree.service_dir("a") + "/supervise/pid");

  const std::string moved = tree.root() / "moved";
  ASSERT_EQ(::rename(tree.scan_dir().c_str(), moved.c_str()), 0);
  // Still supervised where it now lives: the same run, controllable.
  EXPECT_TRUE(both_running(moved));
  EXPECT_EQ(pid_from_file(moved + "/a/supervise/pid"), a);
  ASSERT_TRUE(write_into(moved + "/a/supervise/control", "t"));
  EXPECT_TRUE(wait_until([&] {
    const pid_t now = pid_from_file(moved + "/a/supervise/pid");
    return now != 0 && now != a;
  })) << tree.svscan().stderr_text();
  // A service added in its new place is picked up.
  make_dirs(moved + "/c");
  write_script(moved + "/c/run", "exec sleep 1000\n");
  EXPECT_TRUE(wait_until([&] { return read_file(moved + "/c/supervise/stat") == "run\n"; }))
      << tree.svscan().stderr_text();
  EXPECT_EQ(tree.stop(), 0) << tree.svscan().stderr_text();
}

TEST(ChangesUnderTheTree, ScanDirDeletedStopsServicesAndSvscanStaysCalm) {
  if (!have_tree_binaries()) GTEST_SKIP() << "SVTREE_SVSCAN or SVTREE_SUPERVISE is not set";
  Tree tree;
  ASSERT_NO_FATAL_FAILURE(start_two_services(tree));
  const pid_t a = run_pid(tree.service_dir("a"));
  const pid_t b = run_pid(tree.service_dir("b"));
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);

  // Moved away, then deleted. A supervise told to stop (by svscan, which saw its entry go)
  // writes its status while rm -rf empties supervise/, so one rm can meet a new file and
  // fail with "Directory not empty": again until it is gone, as a user would.
  const std::string doomed = tree.root() / "doomed";
  ASSERT_EQ(::rename(tree.scan_dir().c_str(), doomed.c_str()), 0);
  ASSERT_TRUE(wait_until([&] {
    return run_command({"rm", "-rf", doomed}).exit_code == 0 && !file_exists(doomed);
  })) << tree.svscan().stderr_text();
  // Each supervise sees its directory gone and stops its service.
  EXPECT_TRUE(wait_until([&] { return !process_alive(a) && !process_alive(b); }))
      << tree.svscan().stderr_text();
  EXPECT_TRUE(tree.svscan().running()) << tree.svscan().stderr_text();
  const long ticks = cpu_ticks(tree.svscan().pid());
  EXPECT_LT(ticks, 100) << "svscan spun after its directory vanished";
  EXPECT_EQ(tree.stop(), 0) << tree.svscan().stderr_text();
}

}  // namespace
}  // namespace svtree::testing
