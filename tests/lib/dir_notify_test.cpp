// SPDX-License-Identifier: MIT
// DirNotify: a removed entry raises the signal, even when some process has it as its cwd.
#include "svtree/dir_notify.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace svtree {
namespace {

/// Blocks signo for the test's life and reports whether it is pending.
class BlockedSignal {
 public:
  explicit BlockedSignal(int signo) : signo_(signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    ::sigprocmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockedSignal() {
    take();
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedSignal(const BlockedSignal&) = delete;
  BlockedSignal& operator=(const BlockedSignal&) = delete;
  /// Consumes the pending signal; true if there was one.
  bool take() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo_);
    const timespec zero{};
    return ::sigtimedwait(&set, nullptr, &zero) == signo_;
  }

 private:
  int signo_;
  sigset_t old_{};
};

TEST(DirNotify, RemovedSubdirectoryRaisesTheSignal) {
  testing::TempDir dir;
  testing::make_dirs(dir / "service");
  BlockedSignal blocked(SIGIO);
  auto notify = DirNotify::watch(dir.path(), DN_DELETE | DN_RENAME, SIGIO);
  ASSERT_TRUE(notify.ok()) << notify.error().message();
  EXPECT_FALSE(blocked.take());
  ASSERT_EQ(::rmdir((dir / "service").c_str()), 0);
  EXPECT_TRUE(testing::wait_until([&] { return blocked.take(); }));
}

TEST(DirNotify, CreatedEntryRaisesTheSignalUntilStopped) {
  testing::TempDir dir;
  BlockedSignal blocked(SIGIO);
  auto notify = DirNotify::watch(dir.path(), DN_CREATE, SIGIO);
  ASSERT_TRUE(notify.ok());
  testing::write_file(dir / "run", "x");
  EXPECT_TRUE(testing::wait_until([&] { return blocked.take(); }));
  ASSERT_TRUE(notify->change(0).ok());
  blocked.take();
  testing::write_file(dir / "other", "x");
  EXPECT_FALSE(blocked.take());
}

TEST(DirNotify, MissingDirectoryIsAnError) {
  auto notify = DirNotify::watch("/nonexistent/dir", DN_CREATE, SIGIO);
  ASSERT_FALSE(notify.ok());
  EXPECT_EQ(notify.error().code, ENOENT);
}

}  // namespace
}  // namespace svtree
