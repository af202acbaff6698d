// SPDX-License-Identifier: MIT
// A full disk for real: a tiny tmpfs in a private mount namespace (the test re-executes
// itself through `unshare --mount`), filled up, then freed; and one remounted read-only.
// Skipped where not permitted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>

#include "svlog_harness.hpp"

namespace svtree::svlog::testing {
namespace {

constexpr const char* kInnerVariable = "SVLOG_TEST_IN_MOUNT_NAMESPACE";

/// Outside: runs this very test inside `unshare --mount` and reports its result. Inside:
/// sets *inside and the caller runs the body.
void enter_private_mount_namespace(bool* inside) {
  *inside = std::getenv(kInnerVariable) != nullptr;
  if (*inside) return;
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    ADD_FAILURE() << "cannot find our own executable";
    return;
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter =
      std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name();
  const auto result = run_command(
      {"/usr/bin/unshare", "--mount", "--propagation", "private", std::string(self, static_cast<size_t>(n)),
       filter},
      120s, {std::string(kInnerVariable) + "=1"});
  if (result.exit_code != 0 && result.err.find("unshare") != std::string::npos &&
      result.err.find("ermi") != std::string::npos) {
    GTEST_SKIP() << "no private mount namespace here: " << result.err;
  }
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  if (result.out.find("[  SKIPPED ]") != std::string::npos)
    GTEST_SKIP() << "skipped inside the namespace: " << result.out;
}

/// A tmpfs of `size` at path, unmounted on destruction.
class TinyTmpfs {
 public:
  TinyTmpfs(const std::string& path, const std::string& size) : path_(path) {
    make_dirs(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~TinyTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  TinyTmpfs(const TinyTmpfs&) = delete;
  TinyTmpfs& operator=(const TinyTmpfs&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

/// Writes path until the filesystem is full.
void fill(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const std::string block(4096, 'f');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  ::close(fd);
}

std::string numbered_lines(int first, int count) {
  std::string text;
  for (int i = first; i < first + count; ++i) text += "line " + std::to_string(i) + " of the log\n";
  return text;
}

TEST(SvlogDiskFull, KeepsEveryLineWarnsOnceAndResumesWhenSpaceReturns) {
  if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set";
  bool inside = false;
  enter_private_mount_namespace(&inside);
  if (!inside) return;
  TempDir temp;
  TinyTmpfs fs(temp / "fs", "256k");
  if (!fs.mounted()) GTEST_SKIP() << "mount tmpfs not permitted";
  const std::string dir = temp / "fs/log";
  make_dirs(dir);
  fill(temp / "fs/filler");
  RunningSvlog svlog({dir});
  const std::string before = numbered_lines(0, 2000);  // ~45 kB: cannot fit
  svlog.write(before);
  ASSERT_TRUE(wait_until([&] {
    return svlog.process().stderr_text().find("No space left on device") != std::string::npos;
  }));
  const std::string after = numbered_lines(2000, 2000);
  svlog.write(after);  // waits in the pipe: svlog reads nothing while it cannot write
  ::unlink((temp / "fs/filler").c_str());
  ASSERT_TRUE(wait_until([&] { return read_file(dir + "/current").size() == (before + after).size(); }))
      << svlog.process().stderr_text();
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(read_file(dir + "/current"), before + after);
  const std::string err = svlog.process().stderr_text();
  size_t warnings = 0;
  for (size_t at = err.find("No space left"); at != std::string::npos;
       at = err.find("No space left", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << err;
  EXPECT_NE(err.find("works again; nothing was lost"), std::string::npos) << err;
}

TEST(SvlogDiskFull, DeletesOldFilesDownToCapitalNFirst) {
  if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set";
  bool inside = false;
  enter_private_mount_namespace(&inside);
  if (!inside) return;
  TempDir temp;
  TinyTmpfs fs(temp / "fs", "256k");
  if (!fs.mounted()) GTEST_SKIP() << "mount tmpfs not permitted";
  const std::string dir = temp / "fs/log";
  make_dirs(dir);
  write_file(dir + "/config", "n10\nN1\n");
  const std::string old_names[] = {"@400000000000000100000000.s", "@400000000000000200000000.s",
                                   "@400000000000000300000000.s"};
  for (const auto& name : old_names) write_file(dir + "/" + name, std::string(40000, 'o'));
  fill(temp / "fs/filler");
  const std::string lines = numbered_lines(0, 3000);  // ~70 kB: needs two old files' room
  const auto result = run_svlog({dir}, lines);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(dir + "/current"), lines);
  const auto kept = old_files(dir);
  ASSERT_EQ(kept.size(), 1u) << result.err;
  EXPECT_EQ(kept[0], old_names[2]) << "the newest old file stays (N1)";
  EXPECT_NE(result.err.find("out of disk space: deleted " + dir + "/" + old_names[0]),
            std::string::npos)
      << result.err;
}

// Issue #16: on a read-only root, `main -> /run/log/web` whose target cannot be made names
// the target and the link, and says what to do.
TEST(SvlogReadOnlyRoot, ErrorsNameTheSymlinkTargetWithAHint) {
  if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set";
  bool inside = false;
  enter_private_mount_namespace(&inside);
  if (!inside) return;
  TempDir temp;
  TinyTmpfs fs(temp / "ro", "64k");
  if (!fs.mounted()) GTEST_SKIP() << "mount tmpfs not permitted";
  // A real read-only mount: root ignores file modes.
  ASSERT_EQ(::mount(nullptr, (temp / "ro").c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  const std::string target = temp / "ro/log/web";
  ASSERT_EQ(::symlink(target.c_str(), (temp / "main").c_str()), 0);
  const auto result = run_svlog({temp / "main"}, "x\n");
  EXPECT_EQ(result.exit_code, 111);
  EXPECT_NE(result.err.find("unable to create " + temp / "ro/log"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("the target of the symbolic link " + temp / "main"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("Read-only file system"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("make the link's target writable"), std::string::npos) << result.err;
  // A plain directory on the read-only file system gets the other hint.
  const auto plain = run_svlog({temp / "ro/main"}, "x\n");
  EXPECT_EQ(plain.exit_code, 111);
  EXPECT_NE(plain.err.find("unable to create " + temp / "ro/main: Read-only file system"),
            std::string::npos)
      << plain.err;
  EXPECT_NE(plain.err.find("a symbolic link into a writable place"), std::string::npos)
      << plain.err;
}

}  // namespace
}  // namespace svtree::svlog::testing
