// SPDX-License-Identifier: MIT
// The real supervise with the `user` and `limits` knobs (issue 16): as root dropping to an
// unprivileged uid (nobody, 65534:65534, a user with supplementary groups), the identity
// of run, finish and ./check read from /proc, rlimits in /proc/PID/limits, a user that
// does not exist, and an unprivileged supervise naming itself or someone else.
//
// Users: Debian's own `nobody` (65534:65534, no memberships) from the real /etc/passwd;
// for supplementary groups, fixture /etc/passwd and /etc/group bind-mounted over the real
// ones in a mount namespace of supervise's own (`unshare --mount`), so that supervise
// reads the real paths as it does in production: there is no test-only lookup path.
// Limits: these VMs cannot raise hard rlimits, so the tests only lower them.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "supervise_harness.hpp"
#include "svtree/status_record.hpp"

namespace svtree::testing {
namespace {

constexpr uid_t kNobody = 65534;

/// "Uid:\t65534\t65534\t65534\t65534" -> "65534 65534 65534 65534"; likewise Gid and
/// Groups, from a /proc/PID/status text.
std::string status_field(const std::string& status, const std::string& name) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(name.size() + 1));
    std::string out;
    std::string field;
    while (fields >> field) out += (out.empty() ? "" : " ") + field;
    return out;
  }
  return "<no " + name + " line>";
}

/// The variable's value in /proc/PID/environ, or "<unset>".
std::string environ_value(pid_t pid, const std::string& name) {
  const std::string environ = read_file("/proc/" + std::to_string(pid) + "/environ");
  size_t at = 0;
  while (at < environ.size()) {
    const size_t end = environ.find('\0', at);
    const std::string entry = environ.substr(at, end - at);
    if (entry.rfind(name + "=", 0) == 0) return entry.substr(name.size() + 1);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "<unset>";
}

/// The "Max open files" row of /proc/PID/limits: "SOFT HARD".
std::string limits_row(pid_t pid, const std::string& label) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/limits"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(label, 0) != 0) continue;
    std::istringstream fields(line.substr(label.size()));
    std::string soft;
    std::string hard;
    fields >> soft >> hard;
    return soft + " " + hard;
  }
  return "<no " + label + " row>";
}

/// Waits until pid runs `sleep` (run's `exec sleep`): the pid is published at fork, and
/// its ids and environment are final only once it has executed.
bool wait_sleeping(pid_t pid) {
  const std::string comm = "/proc/" + std::to_string(pid) + "/comm";
  return wait_until([&] { return read_file(comm) == "sleep\n"; });
}

/// A service directory an unprivileged run can use: DIR searchable by all (run is
/// executed as ./run), and out/ writable by all for what finish and ./check report.
class IdentityService : public ServiceFixture {
 public:
  IdentityService() {
    ::chmod(temp().path().c_str(), 0755);
    ::chmod(dir().c_str(), 0755);
    make_dirs(file("out"));
    ::chmod(file("out").c_str(), 0777);
  }
};

/// What each script writes about itself: its ids and two variables.
constexpr const char* kReportSelf =
    "{ grep -E '^(Uid|Gid|Groups):' /proc/$$/status; echo \"HOME=$HOME\"; } > out/$1.new\n"
    "mv out/$1.new out/$1\n";

bool root_or_skip() { return ::geteuid() == 0; }

TEST(Identity, UserNobodyAppliesToRunFinishAndCheck) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root (CI runs tests as root)";
  IdentityService service;
  write_file(service.file("user"), "nobody\n");
  write_script(service.file("report"), kReportSelf);
  service.write_run("exec sleep 1000\n");
  write_script(service.file("finish"), "./report finish\n");
  write_script(service.file("check"), "./report check\n");
  write_file(service.file("check-interval"), "100\n");
  auto supervise = service.start();
  const pid_t run = service.wait_running();
  ASSERT_NE(run, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(run)) << read_file("/proc/" + std::to_string(run) + "/status");
  const std::string status = read_file("/proc/" + std::to_string(run) + "/status");
  EXPECT_EQ(status_field(status, "Uid"), "65534 65534 65534 65534");
  EXPECT_EQ(status_field(status, "Gid"), "65534 65534 65534 65534");
  // Only nobody's own group: root's supplementary groups never leak into the service.
  EXPECT_EQ(status_field(status, "Groups"), "65534");
  // HOME, USER and LOGNAME follow the user (Docker's USER and login(1) do; chpst does not).
  EXPECT_EQ(environ_value(run, "HOME"), "/nonexistent");
  EXPECT_EQ(environ_value(run, "USER"), "nobody");
  EXPECT_EQ(environ_value(run, "LOGNAME"), "nobody");

  ASSERT_TRUE(wait_until([&] { return file_exists(service.file("out/check")); }))
      << supervise->stderr_text();
  const std::string check = read_file(service.file("out/check"));
  EXPECT_EQ(status_field(check, "Uid"), "65534 65534 65534 65534") << check;
  EXPECT_EQ(status_field(check, "Groups"), "65534") << check;

  ASSERT_TRUE(send_control(service.dir(), "d"));
  ASSERT_TRUE(wait_until([&] { return file_exists(service.file("out/finish")); }))
      << supervise->stderr_text();
  const std::string finish = read_file(service.file("out/finish"));
  EXPECT_EQ(status_field(finish, "Uid"), "65534 65534 65534 65534") << finish;
  EXPECT_EQ(status_field(finish, "Gid"), "65534 65534 65534 65534") << finish;
  EXPECT_EQ(status_field(finish, "Groups"), "65534") << finish;
  EXPECT_NE(finish.find("HOME=/nonexistent"), std::string::npos) << finish;
}

// The probe of `svctl check` (a container's HEALTHCHECK, a Pod's exec probe) runs ./check
// itself, not through supervise: it must run it as supervise does, or a check written for
// the service's user runs as root, with root's HOME and without env/ (it did: svctl ran
// ./check with its own identity, limits and environment).
TEST(Identity, SvctlCheckRunsCheckAsTheServiceUserWithItsLimitsAndEnv) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root (CI runs tests as root)";
  struct rlimit nofile {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  if (nofile.rlim_max < 512) GTEST_SKIP() << "the hard nofile limit is below 512";
  IdentityService service;
  write_file(service.file("user"), "nobody\n");
  write_file(service.file("limits"), "nofile 256 512\n");
  make_dirs(service.file("env"));
  write_file(service.file("env/PROBE_GREETING"), "from env\n");
  write_script(service.file("report"), kReportSelf);
  service.write_run("exec sleep 1000\n");
  // No check-interval: supervise never runs ./check, so what out/check says is svctl's.
  write_script(service.file("check"),
               "./report check\n"
               "{ echo \"GREETING=$PROBE_GREETING\"; grep '^Max open files' /proc/$$/limits; }"
               " >> out/check\n");
  auto supervise = service.start();
  ASSERT_NE(service.wait_running(), 0) << supervise->stderr_text();
  const CommandResult check =
      run_command({binary_from_env("SVTREE_SVCTL"), "check", service.dir()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  ASSERT_TRUE(file_exists(service.file("out/check"))) << check.out << check.err;
  const std::string report = read_file(service.file("out/check"));
  EXPECT_EQ(status_field(report, "Uid"), "65534 65534 65534 65534") << report;
  EXPECT_EQ(status_field(report, "Gid"), "65534 65534 65534 65534") << report;
  EXPECT_EQ(status_field(report, "Groups"), "65534") << report;
  EXPECT_NE(report.find("HOME=/nonexistent"), std::string::npos) << report;
  EXPECT_NE(report.find("GREETING=from env"), std::string::npos) << report;
  EXPECT_NE(report.find("Max open files            256                  512"), std::string::npos)
      << report;
}

TEST(Identity, OneshotRunAndStopAsTheUser) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root (CI runs tests as root)";
  IdentityService service;
  write_file(service.file("user"), "nobody\n");
  write_file(service.file("type"), "oneshot\n");
  write_script(service.file("report"), kReportSelf);
  service.write_run("./report run\n");
  write_script(service.file("stop"), "./report stop\n");
  auto supervise = service.start();
  ASSERT_TRUE(wait_until([&] { return file_exists(service.file("out/run")); }))
      << supervise->stderr_text();
  EXPECT_EQ(status_field(read_file(service.file("out/run")), "Uid"), "65534 65534 65534 65534");
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) {
    return r.extension && r.extension->phase == Phase::kDone;
  })) << supervise->stderr_text();
  ASSERT_TRUE(send_control(service.dir(), "d"));
  ASSERT_TRUE(wait_until([&] { return file_exists(service.file("out/stop")); }))
      << supervise->stderr_text();
  const std::string stop = read_file(service.file("out/stop"));
  EXPECT_EQ(status_field(stop, "Uid"), "65534 65534 65534 65534") << stop;
  EXPECT_EQ(status_field(stop, "Groups"), "65534") << stop;
}

TEST(Identity, NumericUidGidNeedsNoAccountAndSetsNoVariables) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root (CI runs tests as root)";
  IdentityService service;
  // 4242 is in no /etc/passwd: a numeric UID:GID is never looked up.
  write_file(service.file("user"), "4242:65534\n");
  service.write_run("exec sleep 1000\n");
  auto supervise = service.start();
  const pid_t run = service.wait_running();
  ASSERT_NE(run, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(run)) << supervise->stderr_text();
  const std::string status = read_file("/proc/" + std::to_string(run) + "/status");
  EXPECT_EQ(status_field(status, "Uid"), "4242 4242 4242 4242");
  EXPECT_EQ(status_field(status, "Gid"), "65534 65534 65534 65534");
  EXPECT_EQ(status_field(status, "Groups"), "65534");
  EXPECT_EQ(environ_value(run, "USER"), environ_value(::getpid(), "USER"));
}

/// Starts supervise on service in a mount namespace of its own, where fixture files are
/// bind-mounted over /etc/passwd and /etc/group. nullptr (after a skip) when not permitted.
std::unique_ptr<Process> start_with_accounts(const IdentityService& service,
                                             const std::string& passwd,
                                             const std::string& group) {
  if (run_command({"unshare", "--mount", "true"}).exit_code != 0) return nullptr;
  write_file(service.temp() / "passwd", read_file("/etc/passwd") + passwd);
  write_file(service.temp() / "group", read_file("/etc/group") + group);
  return std::make_unique<Process>(std::vector<std::string>{
      "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
      "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && exec \"$3\" \"$4\"",
      "sh", service.temp() / "passwd", service.temp() / "group", supervise_binary(),
      service.dir()},
      Process::Options{});
}

constexpr const char* kFixturePasswd =
    "svtreeuser:x:4242:4242:svtree test:/home/svtreeuser:/bin/sh\n";
constexpr const char* kFixtureGroup =
    "svtreeuser:x:4242:\n"
    "svtreeextra:x:4243:svtreeuser\n"
    "svtreeother:x:4244:nobody,svtreeuser,daemon\n"
    "svtreenot:x:4245:svtreeusers\n";

TEST(Identity, NameGetsItsSupplementaryGroupsFromEtcGroup) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root (CI runs tests as root)";
  IdentityService service;
  write_file(service.file("user"), "svtreeuser\n");
  write_script(service.file("report"), kReportSelf);
  service.write_run("exec sleep 1000\n");
  write_script(service.file("finish"), "./report finish\n");
  auto supervise = start_with_accounts(service, kFixturePasswd, kFixtureGroup);
  if (!supervise) GTEST_SKIP() << "unshare --mount is not permitted here";
  const pid_t run = service.wait_running();
  ASSERT_NE(run, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(run)) << supervise->stderr_text();
  const std::string status = read_file("/proc/" + std::to_string(run) + "/status");
  EXPECT_EQ(status_field(status, "Uid"), "4242 4242 4242 4242");
  EXPECT_EQ(status_field(status, "Gid"), "4242 4242 4242 4242");
  // The kernel lists them sorted; exact member names only (not svtreeusers' group).
  EXPECT_EQ(status_field(status, "Groups"), "4242 4243 4244");
  EXPECT_EQ(environ_value(run, "HOME"), "/home/svtreeuser");

  // NAME:GROUP: the group replaces the primary one; the memberships stay (initgroups).
  write_file(service.file("user"), "svtreeuser:svtreeother\n");
  ASSERT_TRUE(send_control(service.dir(), "t"));
  const pid_t second = service.wait_running(run);
  ASSERT_NE(second, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(second));
  const std::string other = read_file("/proc/" + std::to_string(second) + "/status");
  EXPECT_EQ(status_field(other, "Uid"), "4242 4242 4242 4242");
  EXPECT_EQ(status_field(other, "Gid"), "4244 4244 4244 4244");
  EXPECT_EQ(status_field(other, "Groups"), "4243 4244");
  // finish of the first run had the first identity.
  const std::string finish = read_file(service.file("out/finish"));
  EXPECT_EQ(status_field(finish, "Groups"), "4242 4243 4244") << finish;
}

TEST(Identity, LimitsAreLoweredForRunAndABadLineIsNamed) {
  // These VMs cannot raise hard limits: every limit here is below what the test holds.
  struct rlimit nofile {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  if (nofile.rlim_max < 512) GTEST_SKIP() << "the hard nofile limit is below 512";
  IdentityService service;
  write_file(service.file("limits"),
             "nofile 256 512\n"
             "core 0\n"
             "nproc many\n"
             "fsize 1048576\n");
  service.write_run("exec sleep 1000\n");
  auto supervise = service.start();
  const pid_t run = service.wait_running();
  ASSERT_NE(run, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(run));
  EXPECT_EQ(limits_row(run, "Max open files"), "256 512");
  EXPECT_EQ(limits_row(run, "Max core file size").substr(0, 2), "0 ");
  // Soft only: the hard limit stays what supervise holds.
  struct rlimit fsize {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &fsize), 0);
  const std::string hard =
      fsize.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(fsize.rlim_max);
  EXPECT_EQ(limits_row(run, "Max file size"), "1048576 " + hard);
  EXPECT_NE(supervise->stderr_text().find("supervise: warning: ignoring line 3 of " +
                                          service.dir() + "/limits: a limit is a number or "
                                          "unlimited"),
            std::string::npos)
      << supervise->stderr_text();
  // supervise itself keeps its own limits.
  EXPECT_EQ(limits_row(supervise->pid(), "Max open files"),
            (nofile.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(nofile.rlim_cur)) +
                " " + std::to_string(nofile.rlim_max));
}

TEST(Identity, UnknownUserKeepsTheServiceDownUntilTheFileIsFixed) {
  IdentityService service;
  write_file(service.file("user"), "svtree-no-such-user\n");
  service.write_run("echo started >> out/starts\nexec sleep 1000\n");
  write_script(service.file("finish"), "echo finished >> out/finishes\n");
  auto supervise = service.start();
  const std::string expected = "supervise: warning: unable to find user svtree-no-such-user of " +
                               service.dir() + "/user in /etc/passwd: No such file or directory; "
                               "add svtree-no-such-user to the image's /etc/passwd, or write a "
                               "numeric UID:GID to " + service.dir() + "/user";
  ASSERT_TRUE(wait_until([&] {
    return supervise->stderr_text().find(expected) != std::string::npos;
  })) << supervise->stderr_text();
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) {
    return r.state == RunState::kDown && r.want_up;
  }));
  EXPECT_TRUE(supervise->running());
  EXPECT_FALSE(file_exists(service.file("out/starts")));
  EXPECT_FALSE(file_exists(service.file("out/finishes")));  // nor finish, as anyone
  // svctl check says it is not up (svctl(8)'s exit 1 per failed service).
  const CommandResult check =
      run_command({binary_from_env("SVTREE_SVCTL"), "check", service.dir()});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  // Fixed: DIR changed, so the start comes at once, not after the slow retry.
  write_file(service.file("user"), root_or_skip() ? "nobody\n" : std::to_string(::geteuid()) +
                                                                     ":" +
                                                                     std::to_string(::getegid()));
  ASSERT_NE(service.wait_running(), 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_until([&] { return file_exists(service.file("out/starts")); }));
  // One warning for the whole time it was down, not one per retry.
  const std::string text = supervise->stderr_text();
  EXPECT_EQ(text.find(expected), text.rfind(expected)) << text;
}

TEST(Identity, BadUserFileIsOneClearLineAndNoStart) {
  IdentityService service;
  write_file(service.file("user"), "nobody:nogroup:extra\n");
  service.write_run("echo started >> out/starts\nexec sleep 1000\n");
  auto supervise = service.start();
  const std::string expected = "supervise: warning: unable to use " + service.dir() +
                               "/user: Invalid argument; write NAME, NAME:GROUP or UID:GID on "
                               "one line, e.g. echo nobody > " + service.dir() + "/user";
  ASSERT_TRUE(wait_until([&] {
    return supervise->stderr_text().find(expected) != std::string::npos;
  })) << supervise->stderr_text();
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) {
    return r.state == RunState::kDown && r.want_up;
  }));
  EXPECT_FALSE(file_exists(service.file("out/starts")));
  EXPECT_TRUE(supervise->running());
}

/// supervise as nobody, without any capability (setpriv drops them with the uid).
std::unique_ptr<Process> start_as_nobody(const IdentityService& service) {
  if (!have_program("setpriv")) return nullptr;
  // supervise creates DIR/supervise/ and reads its knobs as nobody.
  if (::chown(service.dir().c_str(), kNobody, kNobody) != 0) return nullptr;
  return std::make_unique<Process>(std::vector<std::string>{
      "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", supervise_binary(),
      service.dir()},
      Process::Options{});
}

TEST(Identity, UnprivilegedSuperviseMayNameItself) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root to become nobody (CI runs tests as root)";
  IdentityService service;
  write_file(service.file("user"), "nobody\n");
  write_file(service.file("limits"), "core 0\n");
  service.write_run("exec sleep 1000\n");
  auto supervise = start_as_nobody(service);
  if (!supervise) GTEST_SKIP() << "setpriv is not installed";
  const pid_t run = service.wait_running();
  ASSERT_NE(run, 0) << supervise->stderr_text();
  ASSERT_TRUE(wait_sleeping(run));
  const std::string status = read_file("/proc/" + std::to_string(run) + "/status");
  EXPECT_EQ(status_field(status, "Uid"), "65534 65534 65534 65534");
  EXPECT_EQ(limits_row(run, "Max core file size").substr(0, 2), "0 ");
  EXPECT_EQ(supervise->stderr_text().find("warning"), std::string::npos)
      << supervise->stderr_text();
}

TEST(Identity, UnprivilegedSuperviseNamingSomeoneElseSaysSoAndStaysDown) {
  if (!root_or_skip()) GTEST_SKIP() << "needs root to become nobody (CI runs tests as root)";
  IdentityService service;
  write_file(service.file("user"), "daemon\n");
  service.write_run("echo started >> out/starts\nexec sleep 1000\n");
  auto supervise = start_as_nobody(service);
  if (!supervise) GTEST_SKIP() << "setpriv is not installed";
  const std::string expected =
      "supervise: warning: unable to run " + service.dir() + "/run as daemon (uid 1, gid 1), "
      "named in " + service.dir() + "/user: Permission denied; supervise runs as uid 65534, "
      "gid 65534 without the privilege to change users: run svscan as root, or remove " +
      service.dir() + "/user";
  ASSERT_TRUE(wait_until([&] {
    return supervise->stderr_text().find(expected) != std::string::npos;
  })) << supervise->stderr_text();
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) {
    return r.state == RunState::kDown && r.want_up;
  }));
  EXPECT_FALSE(file_exists(service.file("out/starts")));
  EXPECT_TRUE(supervise->running());
}

}  // namespace
}  // namespace svtree::testing
