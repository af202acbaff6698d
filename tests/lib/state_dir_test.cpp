// SPDX-License-Identifier: MIT
// state_dir: the root's choice, tree names, the record, and finding a live tree.
#include "svtree/state_dir.hpp"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "support/test_support.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::state_dir {
namespace {

bool yes(const std::string&) { return true; }
bool no(const std::string&) { return false; }
bool only_xdg(const std::string& dir) { return dir == "/run/user/1000/svtree"; }

TEST(StateDir, RootChoice) {
  EXPECT_EQ(choose_root("/x/state", "/run/user/1000", 1000, yes), "/x/state");
  EXPECT_EQ(choose_root("", nullptr, 0, yes), "/run/svtree");
  EXPECT_EQ(choose_root(nullptr, "/run/user/1000", 1000, only_xdg), "/run/user/1000/svtree");
  EXPECT_EQ(choose_root(nullptr, "relative", 1000, only_xdg), "/tmp/svtree-1000");
  EXPECT_EQ(choose_root(nullptr, nullptr, 7, no), "/tmp/svtree-7");
}

TEST(StateDir, TreeNamesAreDistinctAndFlat) {
  EXPECT_EQ(tree_name("/etc/service"), "%2Fetc%2Fservice");
  EXPECT_NE(tree_name("/a/b"), tree_name("/a%2Fb"));
  EXPECT_EQ(tree_name("/a%2Fb"), "%2Fa%252Fb");
  const std::string long_path = "/" + std::string(300, 'x');
  const std::string hashed = tree_name(long_path);
  EXPECT_EQ(hashed.size(), 17u);
  EXPECT_EQ(hashed[0], '#');
  EXPECT_NE(hashed, tree_name(long_path + "y"));
}

TEST(StateDir, RecordRoundTripAndBadRecords) {
  Record record;
  ASSERT_TRUE(parse_record(format_record("/srv/service", 42), record));
  EXPECT_EQ(record.scan_dir, "/srv/service");
  EXPECT_EQ(record.pid, 42);
  for (const char* bad : {"", "/srv\n", "relative\n1\n", "/srv\nx\n", "/srv\n0\n", "/srv\n-3\n"})
    EXPECT_FALSE(parse_record(bad, record)) << bad;
}

TEST(StateDir, AbsolutePathNormalises) {
  EXPECT_EQ(absolute_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(absolute_path("/"), "/");
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(absolute_path("x"), std::string(cwd) == "/" ? "/x" : std::string(cwd) + "/x");
}

TEST(StateDir, LiveTreesNeedAHeldLockAndComeOldestFirst) {
  testing::TempDir root;
  // The record's mtime is when its svscan started: set, not waited for, so the order is
  // known whatever the clock's granularity; the newer tree is made first.
  auto make_tree = [&](const std::string& scan, bool hold, time_t started) {
    const std::string dir = tree_dir(root.path(), scan);
    testing::make_dirs(dir);
    testing::write_file(dir + "/scandir", format_record(scan, 1234));
    const timespec times[2] = {{started, 0}, {started, 0}};
    EXPECT_EQ(::utimensat(AT_FDCWD, (dir + "/scandir").c_str(), times, 0), 0);
    UniqueFd fd(::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (hold) {
      EXPECT_EQ(::flock(fd.get(), LOCK_EX), 0);
    }
    return fd;
  };
  UniqueFd newer = make_tree("/newer", true, 2000);
  UniqueFd older = make_tree("/older", true, 1000);
  UniqueFd dead = make_tree("/dead", false, 500);
  const auto trees = live_trees(root.path());
  ASSERT_EQ(trees.size(), 2u);
  EXPECT_EQ(trees[0].record.scan_dir, "/older");
  EXPECT_EQ(trees[1].record.scan_dir, "/newer");
  newer.reset();
  older.reset();
  EXPECT_TRUE(live_trees(root.path()).empty());
}

}  // namespace
}  // namespace svtree::state_dir
