// SPDX-License-Identifier: MIT
// svscan with the `user` knob (issue 16): a service's logger is its own service directory,
// so log/user drops the logger's privileges, apart from the service's own.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>

#include "svscan_harness.hpp"
#include "svtree/io.hpp"

namespace svtree::svscan::testing {
namespace {

/// The Uid line of /proc/PID/status: "0 0 0 0".
std::string uid_line(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::string out;
    std::string field;
    while (fields >> field) out += (out.empty() ? "" : " ") + field;
    return out;
  }
  return "";
}

/// The pid that DIR/supervise/pid names (runit's text file), 0 when none.
pid_t recorded_pid(const std::string& dir) {
  return static_cast<pid_t>(std::atoi(read_file(dir + "/supervise/pid").c_str()));
}

TEST(SvscanIdentity, LoggerRunsUnderItsOwnUserKnob) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to nobody (CI runs tests as root)";
  ScanTree tree;
  // The logger, as nobody, appends to out/ by its absolute path.
  ASSERT_EQ(::chmod(parent_dir(tree.out()).c_str(), 0755), 0);
  ASSERT_EQ(::chmod(tree.out().c_str(), 0777), 0);
  tree.add_service("web", "echo hello from web\nexec sleep 1000\n",
                   "exec cat >> " + tree.out("log.txt") + "\n", false);
  write_file(tree.staging() + "/web/log/user", "nobody\n");
  tree.move_in_service("web");
  tree.start();
  ASSERT_TRUE(wait_until([&] { return read_file(tree.out("log.txt")) == "hello from web\n"; }))
      << tree.log();
  const std::string web = tree.scan() + "/web";
  ASSERT_TRUE(wait_until([&] {
    return recorded_pid(web) > 0 && recorded_pid(web + "/log") > 0;
  }));
  EXPECT_EQ(uid_line(recorded_pid(web + "/log")), "65534 65534 65534 65534");
  EXPECT_EQ(uid_line(recorded_pid(web)), "0 0 0 0");
}

}  // namespace
}  // namespace svtree::svscan::testing
