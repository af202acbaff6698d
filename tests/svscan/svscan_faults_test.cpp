// SPDX-License-Identifier: MIT
// svscan under attack (issue 12): dangling service symlinks, -c overflow, re-enabling a
// stopping service, a relative SVTREE_SUPERVISE, names that would forge log lines, and
// the runlevel switch of runit's runsvchdir. Real svscan, real supervise.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "svscan_harness.hpp"

namespace svtree::svscan::testing {
namespace {

// Item 7: svscan chdirs into the scan directory before it starts anything, so a relative
// SVTREE_SUPERVISE used to pass the start-up check and then fail every exec, forever.
TEST(SvscanFaults, RelativeSuperviseIsResolvedAtStartUp) {
  ScanTree tree;
  TempDir bin;
  const std::string supervise = binary_from_env("SVTREE_SUPERVISE");
  ASSERT_EQ(::symlink(supervise.c_str(), (bin / "supervise").c_str()), 0);
  tree.add_service("a", counting_run(tree, "a"));
  tree.start({}, {}, false, {"-C", bin.path(), "SVTREE_SUPERVISE=./supervise"});
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") == 1; })) << tree.log();
  EXPECT_EQ(tree.count_in_log("fatal"), 0u) << tree.log();
  EXPECT_EQ(tree.count_in_log("restarting"), 0u) << tree.log();
}

// Item 8: a directory entry may hold any byte but '/' and NUL. A name with a newline used
// to forge a whole line of svscan's log; invalid UTF-8 went out raw.
TEST(SvscanFaults, NamesAreEscapedInTheLog) {
  ScanTree tree;
  const std::string forged = "evil\nsvscan: fatal: forged";
  tree.add_service("forger", counting_run(tree, "forger"), "", false);
  ASSERT_EQ(::rename((tree.staging() + "/forger").c_str(), (tree.scan() + "/" + forged).c_str()),
            0);
  tree.add_service("latin", counting_run(tree, "latin"), "", false);
  ASSERT_EQ(::rename((tree.staging() + "/latin").c_str(), (tree.scan() + "/caf\xe9").c_str()), 0);
  tree.start();
  ASSERT_TRUE(wait_until([&] { return starts(tree, "forger") == 1 && starts(tree, "latin") == 1; }))
      << tree.log();
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("supervising ") == 2; })) << tree.log();
  EXPECT_EQ(tree.count_in_log("\nsvscan: fatal: forged"), 0u) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("supervising evil\\nsvscan: fatal: forged (supervise pid "), 1u)
      << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("supervising caf\\xe9 (supervise pid "), 1u) << tree.log();
  EXPECT_EQ(tree.count_in_log("\xe9"), 0u) << tree.log();
}

// Item 6: runit's way to disable and re-enable (rm the link, ln it back) while the old
// supervise still stops. Both slots share one inotify watch (one per inode); the old
// slot's release used to remove it, and later log/ changes went unseen.
TEST(SvscanFaults, ReEnabledWhileStoppingStillSeesLogChanges) {
  ScanTree tree;
  // TERM makes run take a moment to stop, so the re-enable lands while it stops.
  tree.add_service("a",
                   "trap 'sleep 1; exit 0' TERM\necho $$ >> " + tree.out("a.starts") +
                       "\nwhile :; do sleep 0.1; done\n",
                   "", false);
  const std::string target = tree.staging() + "/a";
  const std::string link = tree.scan() + "/a";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  tree.start();
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") == 1; })) << tree.log();
  const pid_t first = tree.wait_supervise_pid("a");
  ASSERT_GT(first, 0) << tree.log();

  ASSERT_EQ(::unlink(link.c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("a removed") == 1; })) << tree.log();
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("supervising a (") == 2; })) << tree.log();
  // The old supervise ends (its slot and its hold on the watch go), the new one takes over.
  ASSERT_TRUE(wait_until([&] { return !pid_alive(first); })) << tree.log();
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") == 2; }, std::chrono::seconds(30)))
      << tree.log();

  // log/ added now must still be seen at once (no rescan timer runs: every watch is in place).
  make_dirs(tree.staging() + "/a-log");
  write_script(tree.staging() + "/a-log/run", "exec cat > " + tree.out("a.log") + "\n");
  ASSERT_EQ(::rename((tree.staging() + "/a-log").c_str(), (target + "/log").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return tree.count_in_log("a: log/ added") == 1; })) << tree.log();
}

// Item 5: with -c, the services left out used to be named one only, and were never
// started when a slot freed.
TEST(SvscanFaults, ServicesBeyondMaxAreNamedAndStartWhenASlotFrees) {
  ScanTree tree;
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  for (const auto& name : names) tree.add_service(name, counting_run(tree, name));
  tree.start({"-c", "2"});
  const auto running = [&] {
    std::vector<std::string> up;
    for (const auto& name : names)
      if (starts(tree, name) > 0) up.push_back(name);
    return up;
  };
  ASSERT_TRUE(wait_until([&] { return running().size() == 2; })) << tree.log();
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("unable to supervise ") == 1; }))
      << tree.log();
  const std::vector<std::string> first = running();
  std::vector<std::string> left_out;
  for (const auto& name : names)
    if (std::find(first.begin(), first.end(), name) == first.end()) left_out.push_back(name);
  // One line names both, in order.
  EXPECT_EQ(tree.count_in_log_once_seen("unable to supervise " + left_out[0] + ", " + left_out[1] +
                              ": already 2 services (raise -c)"),
            1u)
      << tree.log();

  // Disabling one service frees its slot once its supervise has gone: one of the two
  // waiting services starts, and the other stays out and is not named again.
  make_dirs(tree.staging() + "/trash");
  ASSERT_EQ(::rename((tree.scan() + "/" + first[0]).c_str(),
                     (tree.staging() + "/trash/" + first[0]).c_str()),
            0);
  ASSERT_TRUE(wait_until([&] {
    return starts(tree, left_out[0]) + starts(tree, left_out[1]) == 1;
  })) << tree.log();
  ASSERT_EQ(::rename((tree.scan() + "/" + first[1]).c_str(),
                     (tree.staging() + "/trash/" + first[1]).c_str()),
            0);
  EXPECT_TRUE(wait_until([&] {
    return starts(tree, left_out[0]) == 1 && starts(tree, left_out[1]) == 1;
  })) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("unable to supervise "), 1u) << tree.log();
}

// Item 4: runit's idiom makes the link first and the service a moment later. The link
// used to be dropped silently and never looked at again.
TEST(SvscanFaults, SymlinkMadeBeforeItsTargetStartsWhenTheTargetAppears) {
  ScanTree tree;
  tree.start({"-t", "0"});  // no fallback timer: only an event can start it
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("scanning") == 1; })) << tree.log();
  // Two levels missing (as `mkdir -p /etc/sv/web` on a fresh /etc/sv), and a link to it.
  const std::string sv = tree.staging() + "/sv";
  ASSERT_EQ(::symlink((sv + "/web").c_str(), (tree.scan() + "/web").c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("web: its symlink target ") == 1; }))
      << tree.log();
  make_dirs(sv);
  make_dirs(sv + "/web");
  write_script(sv + "/web/run", counting_run(tree, "web"));
  ASSERT_TRUE(wait_until([&] { return starts(tree, "web") == 1; })) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("web: its symlink target " + sv +
                              "/web does not exist yet: starting it when it appears"),
            1u)
      << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("supervising web ("), 1u) << tree.log();

  // A relative link to a link whose target is missing: followed to the end of the chain.
  ASSERT_EQ(::symlink((sv + "/db").c_str(), (tree.staging() + "/db-current").c_str()), 0);
  ASSERT_EQ(::symlink("../staging/db-current", (tree.scan() + "/db").c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return tree.count_in_log("db: its symlink target ") == 1; }))
      << tree.log();
  tree.add_service("db-build", counting_run(tree, "db"), "", false);
  ASSERT_EQ(::rename((tree.staging() + "/db-build").c_str(), (sv + "/db").c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return starts(tree, "db") == 1; })) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("db: its symlink target "), 1u) << tree.log();
}

// Item 9: runit's runlevels. The scan path is a link to a link (/etc/service ->
// /etc/runit/runsvdir/current -> default); runsvchdir re-points `current` with a rename.
// svscan used to keep scanning the old directory.
TEST(SvscanFaults, RunlevelSwitchIsFollowed) {
  ScanTree tree;
  const std::string levels = tree.staging() + "/runsvdir";
  const std::string sv = tree.staging() + "/sv";
  make_dirs(levels + "/default");
  make_dirs(levels + "/single");
  for (const char* name : {"a", "b", "c"}) {
    tree.add_service(name, counting_run(tree, name), "", false);
    make_dirs(sv);
    ASSERT_EQ(::rename((tree.staging() + "/" + name).c_str(), (sv + "/" + name).c_str()), 0);
  }
  const auto link = [](const std::string& target, const std::string& at) {
    ASSERT_EQ(::symlink(target.c_str(), at.c_str()), 0) << at;
  };
  link(sv + "/a", levels + "/default/a");
  link(sv + "/b", levels + "/default/b");
  link(sv + "/a", levels + "/single/a");
  link(sv + "/c", levels + "/single/c");
  link("default", levels + "/current");
  ASSERT_EQ(::rmdir(tree.scan().c_str()), 0);
  link(levels + "/current", tree.scan());
  tree.start({"-t", "0"});
  ASSERT_TRUE(wait_until([&] { return starts(tree, "a") == 1 && starts(tree, "b") == 1; }))
      << tree.log();
  const pid_t b_supervise = tree.wait_supervise_pid("b");
  ASSERT_GT(b_supervise, 0) << tree.log();
  const std::string a_run = read_file(tree.out("a.starts"));

  // runsvchdir single: a new link, renamed over `current`.
  link("single", levels + "/current.new");
  ASSERT_EQ(::rename((levels + "/current.new").c_str(), (levels + "/current").c_str()), 0);
  ASSERT_TRUE(wait_until([&] { return starts(tree, "c") == 1; })) << tree.log();
  EXPECT_TRUE(wait_until([&] { return !pid_alive(b_supervise); })) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("b removed"), 1u) << tree.log();
  // a is in both runlevels (the same directory): untouched.
  EXPECT_EQ(read_file(tree.out("a.starts")), a_run);
  EXPECT_EQ(tree.count_in_log_once_seen("supervising a ("), 1u) << tree.log();
  EXPECT_EQ(tree.count_in_log_once_seen("now leads to another directory"), 1u) << tree.log();

  // And back: b returns, c stops.
  link("default", levels + "/current.new");
  ASSERT_EQ(::rename((levels + "/current.new").c_str(), (levels + "/current").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return starts(tree, "b") == 2; })) << tree.log();
  EXPECT_TRUE(wait_until([&] { return tree.count_in_log("c removed") == 1; })) << tree.log();
  EXPECT_EQ(read_file(tree.out("a.starts")), a_run);
}

}  // namespace
}  // namespace svtree::svscan::testing
