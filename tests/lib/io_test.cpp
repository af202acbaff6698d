// SPDX-License-Identifier: MIT
// Atomic writes and small-file reads.
#include "svtree/io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

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

}  // namespace
}  // namespace svtree
