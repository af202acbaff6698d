// SPDX-License-Identifier: MIT
// supervise_location: templates and instances, and where supervise/ is for each kind.
#include "svtree/supervise_location.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/test_support.hpp"
#include "svtree/io.hpp"

namespace svtree::supervise_location {
namespace {

TEST(SuperviseLocation, Classify) {
  EXPECT_EQ(classify("worker@", "worker@"), EntryKind::kTemplate);
  EXPECT_EQ(classify("worker@1", "worker@"), EntryKind::kInstance);
  EXPECT_EQ(classify("worker@blue", "worker@"), EntryKind::kInstance);
  EXPECT_EQ(instance_name("worker@blue"), "blue");
  // The link's name must say which template it runs.
  EXPECT_EQ(classify("other@1", "worker@"), EntryKind::kService);
  EXPECT_EQ(classify("web", "worker@"), EntryKind::kService);
  EXPECT_EQ(classify("a@b", "a@b"), EntryKind::kService);
  EXPECT_EQ(classify("worker-1", "worker"), EntryKind::kService);
  // A template has one '@', at its end.
  EXPECT_EQ(classify("a@b@1", "a@b@"), EntryKind::kService);
}

TEST(SuperviseLocation, ClassifyEntryReadsTheLinkOnlyForAtNames) {
  testing::TempDir scan;
  testing::make_dirs(scan / "worker@/log");
  testing::make_dirs(scan / "web");
  ASSERT_EQ(::symlink("worker@", (scan / "worker@2").c_str()), 0);
  EXPECT_EQ(classify_entry(scan.path(), "worker@"), EntryKind::kTemplate);
  EXPECT_EQ(classify_entry(scan.path(), "worker@2"), EntryKind::kInstance);
  EXPECT_EQ(classify_entry(scan.path(), "worker@2/log"), EntryKind::kInstance);
  EXPECT_EQ(classify_entry(scan.path(), "web"), EntryKind::kService);
  EXPECT_EQ(classify_entry(scan.path(), "gone@1"), EntryKind::kService);
}

TEST(SuperviseLocation, ClientHome) {
  testing::TempDir scan;
  testing::TempDir tree;
  testing::make_dirs(scan / "worker@");
  testing::make_dirs(scan / "web/supervise");
  testing::make_dirs(scan / "ro");
  ASSERT_EQ(::symlink("worker@", (scan / "worker@1").c_str()), 0);
  EXPECT_EQ(client_home(scan.path(), "worker@1", tree.path()), tree / "services/worker@1");
  EXPECT_EQ(client_home(scan.path(), "worker@1/log", tree.path()),
            tree / "services/worker@1/log");
  EXPECT_EQ(client_home(scan.path(), "web", tree.path()), scan / "web");
  // No supervise entry: the state directory's, once supervise made one there.
  EXPECT_EQ(client_home(scan.path(), "ro", tree.path()), scan / "ro");
  testing::make_dirs(tree / "services/ro/supervise");
  EXPECT_EQ(client_home(scan.path(), "ro", tree.path()), tree / "services/ro");
  // No live tree: runit's place.
  EXPECT_EQ(client_home(scan.path(), "worker@1", ""), scan / "worker@1");
}

TEST(SuperviseLocation, ChooseHome) {
  testing::TempDir scan;
  testing::TempDir tree_root;
  const std::string tree_path = tree_root.path();
  const auto tree = [&] { return tree_path; };
  const auto no_tree = [] { return std::string(); };
  testing::make_dirs(scan / "web");
  auto fd = open_file(scan / "web", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd);
  auto home = choose_home(fd->get(), "web", "web", false, no_tree);
  ASSERT_TRUE(home);
  EXPECT_EQ(*home, "web");
  EXPECT_TRUE(testing::file_exists(scan / "web/supervise"));
  // A dangling supervise symlink is runit's idiom: the service directory's (its target is
  // the protocol module's to create).
  testing::make_dirs(scan / "linked");
  ASSERT_EQ(::symlink((tree_root / "nowhere/x").c_str(), (scan / "linked/supervise").c_str()), 0);
  auto linked_fd = open_file(scan / "linked", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(linked_fd);
  home = choose_home(linked_fd->get(), "linked", "linked", false, no_tree);
  ASSERT_TRUE(home);
  EXPECT_EQ(*home, "linked");
  // An instance: always the state directory, made on the way.
  home = choose_home(fd->get(), "web", "web@1", true, tree);
  ASSERT_TRUE(home);
  EXPECT_EQ(*home, tree_root / "services/web@1");
  EXPECT_TRUE(testing::file_exists(tree_root / "services/web@1"));
  EXPECT_FALSE(choose_home(fd->get(), "web", "web@1", true, no_tree));
}

}  // namespace
}  // namespace svtree::supervise_location
