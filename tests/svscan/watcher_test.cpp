// SPDX-License-Identifier: MIT
// Where svscan watches for links (issue 12, items 4 and 9): the directories holding the
// links on the scan path, and the place a dangling link's target will appear.
#include "svscan/watcher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace svtree::svscan {
namespace {

using svtree::testing::make_dirs;
using svtree::testing::TempDir;

TEST(LinkParents, EveryLinkOnTheWayIsNamedByItsDirectory) {
  TempDir root;
  make_dirs(root / "runsvdir/default");
  make_dirs(root / "plain");
  ASSERT_EQ(::symlink("default", (root / "runsvdir/current").c_str()), 0);
  ASSERT_EQ(::symlink((root / "runsvdir/current").c_str(), (root / "service").c_str()), 0);
  if (!link_parents(root.path()).empty())
    GTEST_SKIP() << "the temporary directory's own path goes through a link";
  EXPECT_TRUE(link_parents(root / "plain").empty());
  EXPECT_EQ(link_parents(root / "service"),
            (std::vector<std::string>{root.path(), root / "runsvdir"}));
  // A link in the middle of the path, and `..` after it.
  ASSERT_EQ(::symlink("runsvdir", (root / "levels").c_str()), 0);
  EXPECT_EQ(link_parents(root / "levels/current/../default"),
            (std::vector<std::string>{root.path(), root / "runsvdir"}));
  // A loop ends.
  ASSERT_EQ(::symlink("loop", (root / "loop").c_str()), 0);
  EXPECT_EQ(link_parents(root / "loop").size(), 40u);
}

TEST(DanglingWatchDir, NearestExistingDirectoryAboveTheLastTarget) {
  TempDir root;
  make_dirs(root / "etc");
  EXPECT_EQ(dangling_watch_dir(root / "etc/sv/web"), root / "etc");
  make_dirs(root / "etc/sv");
  EXPECT_EQ(dangling_watch_dir(root / "etc/sv/web"), root / "etc/sv");
  // A link to a link whose target is missing: the end of the chain counts.
  ASSERT_EQ(::symlink("sv/db", (root / "etc/db-current").c_str()), 0);
  EXPECT_EQ(dangling_watch_dir(root / "etc/db-current"), root / "etc/sv");
}

}  // namespace
}  // namespace svtree::svscan
