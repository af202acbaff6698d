// SPDX-License-Identifier: MIT
// Atomic writes and small-file reads.
#include "svtree/io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "support/test_support.hpp"
#include "svtree/atomic_file.hpp"

namespace svtree {
namespace {

using testing::TempDir;

TEST(AtomicFile, ReplacesWithExactModeAndNoLeftover) {
  TempDir dir;
  const mode_t old_mask = ::umask(077);
  ASSERT_TRUE(write_file_atomically(AT_FDCWD, dir / "status", "abc").ok());
  ASSERT_TRUE(write_file_atomically(AT_FDCWD, dir / "status", "defg").ok());
  ::umask(old_mask);
  EXPECT_EQ(testing::read_file(dir / "status"), "defg");
  EXPECT_FALSE(testing::file_exists(dir / "status.new"));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "status").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(AtomicFile, ReportsTheFileItCouldNotWrite) {
  auto result = write_file_atomically(AT_FDCWD, "/nonexistent/dir/status", "x");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("/nonexistent/dir/status.new"), std::string::npos);
}

TEST(Io, ReadSmallFileAndExecutableCheck) {
  TempDir dir;
  testing::write_script(dir / "run", "exit 0\n");
  testing::write_file(dir / "data", "hello");
  EXPECT_EQ(*read_small_file(dir / "data"), "hello");
  EXPECT_TRUE(is_executable_file(dir / "run"));
  EXPECT_FALSE(is_executable_file(dir / "data"));
  EXPECT_FALSE(is_executable_file(dir.path()));
  EXPECT_FALSE(read_small_file(dir / "missing").ok());
}

TEST(Io, WritableByOthers) {
  TempDir dir;
  testing::write_script(dir / "run", "exit 0\n");
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  EXPECT_FALSE(is_writable_by_others(dir / "run"));
  EXPECT_FALSE(is_writable_by_others(dir.path()));
  ASSERT_EQ(::chmod((dir / "run").c_str(), 0757), 0);
  EXPECT_TRUE(is_writable_by_others(dir / "run"));
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
  EXPECT_TRUE(is_writable_by_others(dir.path()));
  // Sticky, like /tmp: others cannot replace what they do not own.
  ASSERT_EQ(::chmod(dir.path().c_str(), 01777), 0);
  EXPECT_FALSE(is_writable_by_others(dir.path()));
  EXPECT_FALSE(is_writable_by_others(dir / "missing"));
}

TEST(Io, MakeDirectoriesReadLinkParentDir) {
  TempDir dir;
  ASSERT_TRUE(make_directories(dir / "a/b/c").ok());
  EXPECT_TRUE(make_directories(dir / "a/b").ok()) << "existing directories are fine";
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  testing::write_file(dir / "file", "");
  const auto blocked = make_directories(dir / "file/sub");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ENOTDIR);
  EXPECT_NE(blocked.error().message().find("create " + dir / "file/sub"), std::string::npos)
      << blocked.error().message();

  ASSERT_EQ(::symlink("../somewhere", (dir / "link").c_str()), 0);
  EXPECT_EQ(*read_link(AT_FDCWD, dir / "link"), "../somewhere");
  const auto not_link = read_link(AT_FDCWD, dir / "file");
  ASSERT_FALSE(not_link.ok());
  EXPECT_EQ(not_link.error().code, EINVAL);
  EXPECT_NE(not_link.error().message().find(dir / "file"), std::string::npos);

  EXPECT_EQ(parent_dir("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_dir("/a/b/"), "/a");
  EXPECT_EQ(parent_dir("/a"), "/");
  EXPECT_EQ(parent_dir("/"), "/");
  EXPECT_EQ(parent_dir("name"), ".");
  EXPECT_EQ(parent_dir("a/b"), "a");
}

}  // namespace
}  // namespace svtree
