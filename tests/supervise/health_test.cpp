// SPDX-License-Identifier: MIT
// Health checks made by the real supervise (check-tcp, check-http, ./check with
// check-interval): readiness waits for the first pass, check-retries failures restart run
// with one line per failed check, a hung ./check is killed with its group at check-timeout.
// The servers are busybox httpd (busybox-static, installed by tests/run.sh).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "supervise_harness.hpp"
#include "svtree/health_check.hpp"
#include "svtree/status_record.hpp"

namespace svtree::testing {
namespace {

/// A port nobody listens on right now (the kernel's pick for 127.0.0.1:0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

Health health_of(const StatusRecord& record) {
  return record.extension ? static_cast<Health>(record.extension->health) : Health::kUnknown;
}

bool ready(const StatusRecord& record) { return record.extension && record.extension->ready(); }

class HealthCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("busybox")) GTEST_SKIP() << "busybox is not installed";
    port = free_port();
    ASSERT_NE(port, 0);
    address = "127.0.0.1:" + std::to_string(port);
  }
  /// run serves DIR/www over HTTP on the port once DIR/go exists.
  void serve_when_go() const {
    make_dirs(service.file("www/cgi-bin"));
    write_file(service.file("www/index.html"), "ok\n");
    service.write_run("while [ ! -e go ]; do sleep 0.05; done\n"
                      "exec busybox httpd -f -p " + address + " -h www\n");
  }
  bool stderr_has(const Process& supervise, const std::string& text) const {
    return wait_until([&] { return supervise.stderr_text().find(text) != std::string::npos; });
  }

  ServiceFixture service;
  int port = 0;
  std::string address;
};

TEST_F(HealthCheck, TcpServiceIsReadyOnlyOnceItListens) {
  serve_when_go();
  write_file(service.file("check-tcp"), address + "\n");
  write_file(service.file("check-interval"), "100\n");
  write_file(service.file("check-retries"), "1000\n");  // never restarted by this test
  auto supervise = service.start();
  ASSERT_NE(service.wait_running(), 0) << supervise->stderr_text();
  // Checked and refused: the run is alive, not ready, its health failing.
  ASSERT_TRUE(stderr_has(*supervise, "check failed 1 of 1000: connect to " + address))
      << supervise->stderr_text();
  auto record = read_status(service.dir());
  ASSERT_TRUE(record && record->extension);
  EXPECT_EQ(record->extension->phase, Phase::kStarting);
  EXPECT_FALSE(ready(*record));
  write_file(service.file("go"), "");
  ASSERT_TRUE(service.wait_status(
      [](const StatusRecord& r) { return ready(r) && health_of(r) == Health::kPassing; }))
      << supervise->stderr_text();
  record = read_status(service.dir());
  EXPECT_EQ(record->extension->phase, Phase::kRunning);
  EXPECT_EQ(record->extension->start_count, 1u);
}

TEST_F(HealthCheck, HttpErrorRestartsAfterCheckRetriesWithOneLinePerFailure) {
  serve_when_go();
  write_file(service.file("go"), "");
  write_script(service.file("www/cgi-bin/health"),
               "printf 'HTTP/1.0 500 Internal Server Error\\r\\n\\r\\n'\n");
  write_file(service.file("check-http"), "http://" + address + "/cgi-bin/health\n");
  write_file(service.file("check-interval"), "100\n");
  write_file(service.file("check-retries"), "3\n");
  write_file(service.file("essential"), "");  // a health restart is asked: the tree stays
  auto supervise = service.start();
  const pid_t first = service.wait_running();
  ASSERT_NE(first, 0) << supervise->stderr_text();
  ASSERT_NE(service.wait_running(first), 0) << supervise->stderr_text();
  // Each failed check is one line counting 1, 2, 3 of 3, then one line for the restart,
  // then the count starts again. (The first checks may be refused rather than answered:
  // httpd may not listen yet 100 ms after the start on a loaded machine.)
  ASSERT_TRUE(stderr_has(*supervise, "/cgi-bin/health answered status 500"))
      << supervise->stderr_text();
  std::string err = supervise->stderr_text();
  err.erase(err.rfind('\n') + 1);  // whole lines only: supervise may be writing the next
  std::istringstream lines(err);
  std::string line;
  int expected = 1;
  int restarts = 0;
  bool answered_500 = false;
  const std::string prefix = "supervise: warning: " + service.dir() + ": check failed ";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string rest = line.substr(prefix.size());
    if (expected > 3) {
      EXPECT_EQ(rest, "3 times in a row (check-retries); restarting run with TERM") << err;
      ++restarts;
      expected = 1;
      continue;
    }
    EXPECT_EQ(rest.rfind(std::to_string(expected) + " of 3: ", 0), 0u) << err;
    if (rest.find(": http://" + address + "/cgi-bin/health answered status 500") !=
        std::string::npos)
      answered_500 = true;
    ++expected;
  }
  EXPECT_GE(restarts, 1) << err;
  EXPECT_TRUE(answered_500) << err;
  EXPECT_TRUE(supervise->running());  // essential did not fire
  const auto record = read_status(service.dir());
  ASSERT_TRUE(record && record->extension);
  EXPECT_GE(record->extension->start_count, 2u);
  EXPECT_EQ(record->extension->failed_starts, 0u);
  EXPECT_FALSE(ready(*record));  // the new run has not passed a check either
}

TEST_F(HealthCheck, HttpPassMakesReady) {
  serve_when_go();
  write_file(service.file("go"), "");
  write_file(service.file("check-http"), "http://" + address + "/index.html\n");
  write_file(service.file("check-interval"), "100\n");
  auto supervise = service.start();
  ASSERT_TRUE(service.wait_status(
      [](const StatusRecord& r) { return ready(r) && health_of(r) == Health::kPassing; }))
      << supervise->stderr_text();
}

TEST_F(HealthCheck, ScriptCheckGetsTheServiceEnvironment) {
  service.write_run("exec sleep 1000\n");
  make_dirs(service.file("env"));
  write_file(service.file("env/MODE"), "healthy\n");
  write_script(service.file("check"), "[ \"$MODE\" = healthy ]\n");
  write_file(service.file("check-interval"), "100\n");
  auto supervise = service.start();
  ASSERT_TRUE(service.wait_status(
      [](const StatusRecord& r) { return ready(r) && health_of(r) == Health::kPassing; }))
      << supervise->stderr_text();
}

TEST_F(HealthCheck, HungScriptCheckIsKilledWithItsGroupAtCheckTimeout) {
  service.write_run("exec sleep 1000\n");
  // The check hangs in a child of its own: check-timeout must take the whole group.
  write_script(service.file("check"),
               "echo $$ >> check.pids\nsleep 1000 &\necho $! >> check.pids\nwait\n");
  write_file(service.file("check-interval"), "100\n");
  write_file(service.file("check-timeout"), "300\n");
  write_file(service.file("check-retries"), "1000\n");
  auto supervise = service.start();
  ASSERT_TRUE(stderr_has(*supervise, "check failed 1 of 1000: no answer within 300 ms "
                                     "(check-timeout)"))
      << supervise->stderr_text();
  // A check killed before it wrote both pids (a loaded machine) leaves them to the next.
  pid_t check = 0;
  pid_t child = 0;
  ASSERT_TRUE(wait_until([&] {
    return std::sscanf(read_file(service.file("check.pids")).c_str(), "%d %d", &check,
                       &child) == 2;
  }));
  EXPECT_TRUE(wait_until([&] { return !process_alive(check) && !process_alive(child); }));
  // supervise kills the check, says so, then publishes: the record is waited for.
  EXPECT_TRUE(service.wait_status([](const StatusRecord& r) {
    return health_of(r) == Health::kFailing;
  })) << supervise->stderr_text();
}

TEST_F(HealthCheck, SvctlWaitedStartWaitsForTheFirstPassingCheck) {
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  if (svctl.empty()) GTEST_SKIP() << "SVTREE_SVCTL not set: run through meson test";
  serve_when_go();
  write_file(service.file("down"), "");
  write_file(service.file("check-tcp"), address + "\n");
  write_file(service.file("check-interval"), "100\n");
  write_file(service.file("check-retries"), "1000\n");
  auto supervise = service.start();
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) { return !r.want_up; }));
  Process start({svctl, "-w", "60", "start", service.dir()});
  // Started and refused: svctl is still waiting, for health and not for the process.
  ASSERT_TRUE(stderr_has(*supervise, "check failed 2 of 1000")) << supervise->stderr_text();
  EXPECT_TRUE(start.running()) << start.stdout_text();
  write_file(service.file("go"), "");
  EXPECT_EQ(start.wait_exit_code(), 0) << start.stdout_text() << start.stderr_text();
  EXPECT_EQ(start.stdout_text().rfind("ok: run: ", 0), 0u) << start.stdout_text();
  const auto record = read_status(service.dir());
  ASSERT_TRUE(record);
  EXPECT_EQ(health_of(*record), Health::kPassing);
}

TEST_F(HealthCheck, SvctlCheckReadsTheHealthSuperviseActsOn) {
  const std::string svctl = binary_from_env("SVTREE_SVCTL");
  if (svctl.empty()) GTEST_SKIP() << "SVTREE_SVCTL not set: run through meson test";
  service.write_run("exec sleep 1000\n");
  write_script(service.file("check"), "[ ! -e sick ]\n");
  write_file(service.file("check-interval"), "100\n");
  write_file(service.file("check-retries"), "1000\n");
  auto supervise = service.start();
  ASSERT_TRUE(service.wait_status([](const StatusRecord& r) { return ready(r); }))
      << supervise->stderr_text();
  CommandResult ok = run_command({svctl, "check", service.dir()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  write_file(service.file("sick"), "");
  ASSERT_TRUE(service.wait_status(
      [](const StatusRecord& r) { return health_of(r) == Health::kFailing; }))
      << supervise->stderr_text();
  CommandResult sick = run_command({svctl, "check", service.dir()});
  EXPECT_EQ(sick.exit_code, 1) << sick.out << sick.err;
  EXPECT_NE((sick.out + sick.err).find("health check failing"), std::string::npos)
      << sick.out << sick.err;
}

}  // namespace
}  // namespace svtree::testing
