// SPDX-License-Identifier: MIT
// Security (issue 7): only who owns a service controls it; the whole tree runs under an
// unprivileged uid (also one with no passwd entry, as OpenShift assigns); and a read-only
// service directory works with supervise/ symlinked into a writable place.
// Users are switched with setpriv(1); tests skip, saying why, when not root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/tree_fixture.hpp"

namespace svtree::testing {
namespace {

constexpr const char* kNobody = "65534";
// An OpenShift-style uid: random, no passwd entry, primary group 0.
constexpr const char* kRandomUid = "1000770000";

bool can_switch_users() { return ::geteuid() == 0 && have_program("setpriv"); }

std::vector<std::string> as_user(const std::string& uid, const std::string& gid,
                                 std::vector<std::string> argv) {
  std::vector<std::string> command{"setpriv", "--reuid=" + uid, "--regid=" + gid,
                                   "--clear-groups", "--"};
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

void chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  ASSERT_EQ(run_command({"chown", "-R", std::to_string(uid) + ":" + std::to_string(gid), path})
                .exit_code,
            0);
}

class Security : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_switch_users()) GTEST_SKIP() << "needs root and setpriv(1) to act as other users";
    for (const char* variable : {"SVTREE_SVSCAN", "SVTREE_SUPERVISE", "SVTREE_SVCTL"})
      if (binary_from_env(variable).empty()) GTEST_SKIP() << variable << " is not set";
    // The binaries must be reachable by the unprivileged users.
    for (const char* variable : {"SVTREE_SVSCAN", "SVTREE_SUPERVISE", "SVTREE_SVCTL"}) {
      const auto r = run_command(as_user(kNobody, kNobody, {"test", "-x", binary_from_env(variable)}));
      if (r.exit_code != 0)
        GTEST_SKIP() << binary_from_env(variable) << " is not executable by uid 65534 here";
    }
    ::chmod(root_.path().c_str(), 0755);
  }
  TempDir root_;
};

TEST_F(Security, OnlyTheOwnerControlsAService) {
  const std::string service = root_ / "web";
  make_dirs(service);
  write_script(service + "/run", "exec sleep 1000\n");
  Process supervise({binary_from_env("SVTREE_SUPERVISE"), service});
  ASSERT_TRUE(wait_until([&] { return read_file(service + "/supervise/stat") == "run\n"; }))
      << supervise.stderr_text();

  struct stat st {};
  ASSERT_EQ(::stat((service + "/supervise").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "supervise/ must be 0700, as runit makes it";

  // Another user can neither write control, nor take the lock, nor read the status.
  for (const char* attempt : {"printf d > supervise/control", "exec 9>>supervise/lock",
                              "cat supervise/status"}) {
    const auto r = run_command(
        as_user(kNobody, kNobody, {"/bin/sh", "-c", std::string("cd ") + service + " && " + attempt}));
    EXPECT_NE(r.exit_code, 0) << attempt << " succeeded for uid 65534";
  }

  // svctl tells them so in one clear line that names the service.
  const auto r = run_command(as_user(kNobody, kNobody, {binary_from_env("SVTREE_SVCTL"), "down", service}));
  EXPECT_NE(r.exit_code, 0);
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("permission denied"), std::string::npos) << all;
  EXPECT_NE(all.find(service), std::string::npos) << all;
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 1) << all;
  // And the service is undisturbed.
  EXPECT_EQ(read_file(service + "/supervise/stat"), "run\n");
  EXPECT_TRUE(stop_supervised(supervise, service + "/supervise/control"));
}

TEST_F(Security, WorldWritableRunOrDirectoryIsRunWithOneWarning) {
  const std::string service = root_ / "loose";
  make_dirs(service);
  write_script(service + "/run", "exec sleep 1000\n");
  ASSERT_EQ(::chmod((service + "/run").c_str(), 0777), 0);
  Process supervise({binary_from_env("SVTREE_SUPERVISE"), service});
  pid_t first = 0;
  ASSERT_TRUE(wait_until([&] { return (first = run_pid(service)) > 0; })) << supervise.stderr_text();
  EXPECT_TRUE(wait_until([&] {
    return supervise.stderr_text().find(service + "/run is world-writable") != std::string::npos;
  })) << supervise.stderr_text();
  // A restart with the same cause says nothing new.
  ASSERT_TRUE(write_into(service + "/supervise/control", "t"));
  ASSERT_TRUE(wait_until([&] {
    const pid_t now = pid_from_file(service + "/supervise/pid");
    return now != 0 && now != first;
  }));
  // Warnings only: each exit and restart also has its event line (issue 13).
  const std::string said = supervise.stderr_text();
  size_t warnings = 0;
  for (size_t at = said.find("supervise: warning: "); at != std::string::npos;
       at = said.find("supervise: warning: ", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << said;
  // The file is fixed, the directory opened to everyone: that is said too.
  ASSERT_EQ(::chmod((service + "/run").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(service.c_str(), 0777), 0);
  const pid_t second = pid_from_file(service + "/supervise/pid");
  ASSERT_TRUE(write_into(service + "/supervise/control", "t"));
  EXPECT_TRUE(wait_until([&] {
    return supervise.stderr_text().find("the directory holding " + service + "/run is world-writable") !=
           std::string::npos;
  })) << supervise.stderr_text();
  EXPECT_TRUE(wait_until([&] {
    const pid_t now = pid_from_file(service + "/supervise/pid");
    return now != 0 && now != second;
  }));
  EXPECT_TRUE(stop_supervised(supervise, service + "/supervise/control"));
}

TEST_F(Security, TheWholeTreeRunsAsARandomUidWithoutPasswdEntry) {
  const std::string scan = root_ / "service";
  make_dirs(scan + "/web/log/main");
  write_script(scan + "/web/run", "exec 2>&1\necho \"web up as $(id -u)\"\nexec sleep 1000\n");
  write_script(scan + "/web/log/run", "exec \"$SVLOG\" ./main\n");
  make_dirs(scan + "/web/log/env");
  write_file(scan + "/web/log/env/SVLOG", binary_from_env("SVTREE_SVLOG") + "\n");
  chown_tree(root_.path(), 1000770000, 0);

  Process::Options options;
  Process svscan(as_user(kRandomUid, "0", {binary_from_env("SVTREE_SVSCAN"), scan}), options);
  ASSERT_TRUE(wait_until([&] {
    return read_file(scan + "/web/log/main/current").find("web up as 1000770000") !=
           std::string::npos;
  })) << svscan.stderr_text();

  // The same uid controls its services with svctl.
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  const auto status = run_command(as_user(kRandomUid, "0", {svctl, "status", scan + "/web"}));
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_EQ(status.out.rfind("run: ", 0), 0u) << status.out;
  const auto restart =
      run_command(as_user(kRandomUid, "0", {svctl, "-w", "10", "restart", scan + "/web"}));
  EXPECT_EQ(restart.exit_code, 0) << restart.out << restart.err;

  svscan.signal(SIGTERM);
  EXPECT_EQ(svscan.wait_exit_code(30s), 0) << svscan.stderr_text();
}

TEST_F(Security, ReadOnlyServiceDirWithSuperviseSymlinkedToAWritablePlace) {
  if (run_command({"unshare", "--mount", "true"}).exit_code != 0)
    GTEST_SKIP() << "unshare --mount is not permitted here";
  const std::string service = root_ / "ro/web";
  const std::string run_dir = root_ / "run/web";
  make_dirs(service);
  make_dirs(root_ / "run");
  write_script(service + "/run", "echo started > \"$STATE\"/started\nexec sleep 1000\n");
  make_dirs(service + "/env");
  write_file(service + "/env/STATE", root_ / "run" + "\n");
  // supervise/ points at a directory that does not exist yet: supervise creates it.
  ASSERT_EQ(::symlink(run_dir.c_str(), (service + "/supervise").c_str()), 0);

  // In a private mount namespace, the service dir is remounted read-only.
  const std::string script = "mount --bind " + root_ / "ro" + " " + root_ / "ro" +
                             " && mount -o remount,ro,bind " + root_ / "ro" + " && exec " +
                             binary_from_env("SVTREE_SUPERVISE") + " " + service;
  Process supervise({"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script});
  ASSERT_TRUE(wait_until([&] { return read_file(run_dir + "/stat") == "run\n"; }))
      << supervise.stderr_text();
  // stat says run as soon as run is forked; its first line may not have run yet.
  EXPECT_TRUE(wait_until([&] { return read_file(root_ / "run/started") == "started\n"; }));
  // status is written last of the records (after pid, stat and status.svtree): wait for
  // every file, do not sample them.
  auto missing = [&] {
    std::string names;
    for (const char* name : {"control", "ok", "lock", "status", "status.svtree", "pid"})
      if (!file_exists(run_dir + "/" + name)) names += std::string(" ") + name;
    return names;
  };
  EXPECT_TRUE(wait_until([&] { return missing().empty(); })) << "missing:" << missing();
  EXPECT_TRUE(stop_supervised(supervise, run_dir + "/control"));
}

}  // namespace
}  // namespace svtree::testing
