// SPDX-License-Identifier: MIT
// A read-only service tree with a tmpfs /run and no per-service preparation (issue 16):
// the example tree under a real read-only bind mount, in a mount namespace of its own
// (root ignores file modes, so only a read-only mount tests this). supervise/ goes to
// svscan's state directory in /run, except where runit's `supervise -> /run/runit/...`
// symlink is used, which supervise follows and creates, so runit's sv still works there.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace svtree::testing {
namespace {

std::string dir_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

class ReadOnlyTree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
    if (run_command({"unshare", "--mount", "true"}).exit_code != 0)
      GTEST_SKIP() << "unshare --mount is not permitted here";
    svscan_ = binary_from_env("SVTREE_SVSCAN");
    svctl_ = binary_from_env("SVTREE_SVCTL");
    const std::string svlog = binary_from_env("SVTREE_SVLOG");
    ASSERT_FALSE(svscan_.empty() || svctl_.empty() || svlog.empty())
        << "run through meson test";
    if (!have_program("busybox")) GTEST_SKIP() << "the example tree needs busybox";
    tree_ = root_ / "service";
    const CommandResult copied =
        run_command({"cp", "-a", std::string(SVTREE_SOURCE_ROOT) + "/examples/service", tree_});
    ASSERT_EQ(copied.exit_code, 0) << copied.err;
    // What a read-only image holds: no supervise/ anywhere (a clean copy), web's log
    // directory a link into /run (svlog makes its target), and one service using runit's
    // own idiom for supervise/.
    run_command({"rm", "-rf", tree_ + "/web/log/main"});
    ASSERT_EQ(::symlink("/run/example/web-log", (tree_ + "/web/log/main").c_str()), 0);
    ASSERT_EQ(::symlink("/run/runit/supervise.worker", (tree_ + "/worker/supervise").c_str()),
              0);
    // Inside the namespace: a tmpfs /run, the tree bound read-only on itself, then svscan
    // with the state directory it picks by default (/run/svtree).
    const std::string path = dir_of(svlog) + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "");
    write_script(root_ / "boot",
                 "set -e\n"
                 "mount -t tmpfs tmpfs /run\n"
                 "mount --bind '" + tree_ + "' '" + tree_ + "'\n"
                 "mount -o remount,bind,ro '" + tree_ + "'\n"
                 "exec env -u SVTREE_STATE_DIR -u SVDIR PATH='" + path + "' '" + svscan_ +
                     "' '" + tree_ + "'\n");
    svscan_process_ = std::make_unique<Process>(
        std::vector<std::string>{"unshare", "--mount", "--propagation", "private", "/bin/sh",
                                 root_ / "boot"});
  }

  void TearDown() override {
    if (!svscan_process_) return;
    // unshare execs the shell, which execs svscan: one pid.
    svscan_process_->signal(SIGTERM);
    svscan_process_->wait();
  }

  /// argv run inside svscan's mount namespace, as `docker exec` would: no SVDIR.
  CommandResult inside(const std::vector<std::string>& argv) {
    std::vector<std::string> full = {
        "nsenter", "--mount=/proc/" + std::to_string(svscan_process_->pid()) + "/ns/mnt", "--",
        "env",     "-u",
        "SVDIR",   "-u",
        "SVTREE_STATE_DIR"};
    full.insert(full.end(), argv.begin(), argv.end());
    return run_command(full);
  }

  TempDir root_;
  std::string tree_;
  std::string svscan_;
  std::string svctl_;
  std::unique_ptr<Process> svscan_process_;
};

TEST_F(ReadOnlyTree, ExampleTreeRunsAndIsDrivenBySvctlAndSv) {
  std::string status;
  ASSERT_TRUE(wait_until([&] {
    status = inside({svctl_, "status"}).out;
    for (const char* row : {"\nweb ", "\nweb/log ", "\nworker ", "\nreport "}) {
      const size_t at = status.find(row);
      if (at == std::string::npos) return false;
      const size_t end = status.find('\n', at + 1);
      if (status.substr(at, end - at).find(" run ") == std::string::npos) return false;
    }
    return true;
  })) << status << svscan_process_->stderr_text();
  // Nothing was written into the tree: no supervise/ in it, the runit link still a link.
  EXPECT_FALSE(file_exists(tree_ + "/web/supervise"));
  EXPECT_FALSE(file_exists(tree_ + "/web/log/supervise"));
  struct stat st {};
  ASSERT_EQ(::lstat((tree_ + "/worker/supervise").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // web's lines reach its log directory through the dangling link svlog followed.
  EXPECT_TRUE(wait_until([&] {
    return inside({"cat", "/run/example/web-log/current"}).out.find("serving ./www") !=
           std::string::npos;
  }));

  // svctl drives a service whose supervise/ is in the state directory...
  CommandResult result = inside({svctl_, "-w", "15", "down", "report"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(inside({svctl_, "status", "report"}).out.find("down: report:"), std::string::npos);
  result = inside({svctl_, "-w", "15", "up", "report"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;

  // ...and runit's sv the one using runit's symlink into /run.
  if (!have_program("sv")) GTEST_SKIP() << "runit's sv is not installed";
  result = inside({"sv", "-w", "15", "down", tree_ + "/worker"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("ok: down:"), std::string::npos) << result.out;
  result = inside({"sv", "-w", "15", "up", tree_ + "/worker"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  result = inside({"sv", "status", tree_ + "/worker"});
  EXPECT_EQ(result.out.rfind("run: ", 0), 0u) << result.out;
  // svctl reads the same place sv does.
  EXPECT_NE(inside({svctl_, "status", "worker"}).out.find("run: worker:"), std::string::npos);
}

}  // namespace
}  // namespace svtree::testing
