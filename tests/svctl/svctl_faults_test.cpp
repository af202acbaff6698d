// SPDX-License-Identifier: MIT
// svctl under attack (issue 12): names that are not printable or not UTF-8, and a
// ./check that hangs. Real supervise processes, real FIFOs.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::testing {
namespace {

class SvctlFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    svctl_ = binary_from_env("SVTREE_SVCTL");
    supervise_ = binary_from_env("SVTREE_SUPERVISE");
    if (svctl_.empty() || supervise_.empty()) GTEST_SKIP() << "run through meson test";
    make_dirs(svdir());
  }
  void TearDown() override {
    for (const auto& dir : dirs_) (void)write_into(dir + "/supervise/control", "x");
    for (auto& process : supervisors_) process->wait(std::chrono::seconds(10));
  }

  std::string svdir() const { return root_ / "service"; }

  /// Makes and supervises svdir()/NAME, and waits until its run runs.
  void supervise(const std::string& name, const std::string& body = "exec sleep 1000\n") {
    const std::string dir = svdir() + "/" + name;
    make_dirs(dir);
    write_script(dir + "/run", body);
    supervisors_.push_back(std::make_unique<Process>(std::vector<std::string>{supervise_, dir}));
    dirs_.push_back(dir);
    // Wait for what svctl reads, the status record: supervise publishes stat before
    // status, so a stat saying "run" can be seen while status does not exist yet (under
    // load svctl then failed with "unable to open …/supervise/status").
    ASSERT_TRUE(wait_until([&] {
      if (probe_supervisor(dir) != SupervisorPresence::kRunning) return false;
      const auto record = read_service_status(dir);
      return record && record->state == RunState::kRun && record->pid > 0;
    })) << name;
  }

  CommandResult svctl(std::vector<std::string> args) {
    args.insert(args.begin(), svctl_);
    return run_command(args, std::chrono::seconds(60), {"SVDIR=" + svdir()});
  }

  TempDir root_;
  std::string svctl_;
  std::string supervise_;
  std::vector<std::unique_ptr<Process>> supervisors_;
  std::vector<std::string> dirs_;
};

// Items 8 and 11: names are whatever bytes a directory entry holds.
TEST_F(SvctlFaults, StrangeNamesAreEscapedAndJsonStaysValidUtf8) {
  ASSERT_NO_FATAL_FAILURE(supervise("caf\xe9"));  // Latin-1: not UTF-8
  ASSERT_NO_FATAL_FAILURE(supervise("two\nlines"));
  ASSERT_NO_FATAL_FAILURE(supervise("ok\xc3\xa9"));  // well-formed UTF-8: unchanged

  const auto json = svctl({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string document = root_ / "status.json";
  write_file(document, json.out);
  // A strict parser: the file is decoded as UTF-8 with errors raised.
  const auto parsed = run_command(
      {"python3", "-c",
       "import json,sys\n"
       "rows = json.load(open(sys.argv[1], encoding='utf-8', errors='strict'))\n"
       "print('\\n'.join(sorted(ascii(r['name']) for r in rows)))\n",
       document});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << json.out;
  EXPECT_EQ(parsed.out, "'caf\\ufffd'\n'ok\\xe9'\n'two\\nlines'\n") << json.out;

  // The table and sv's lines: one line per service, names escaped C style.
  const auto table = svctl({"status"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("\ncaf\\xe9 "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\ntwo\\nlines "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nok\xc3\xa9 "), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("\nlines"), std::string::npos) << table.out;
  const auto line = svctl({"status", "two\nlines", "caf\xe9"});
  EXPECT_EQ(line.out.rfind("run: two\\nlines: (pid ", 0), 0u) << line.out;
  EXPECT_NE(line.out.find("\nrun: caf\\xe9: (pid "), std::string::npos) << line.out;
  EXPECT_EQ(line.out.find('\xe9'), std::string::npos) << line.out;
  const auto missing = svctl({"status", "no\nsuch"});
  EXPECT_EQ(missing.out.rfind("fail: no\\nsuch: service directory ", 0), 0u) << missing.out;
  EXPECT_EQ(std::count(missing.out.begin(), missing.out.end(), '\n'), 1) << missing.out;
}

// Item 11: `check` without -w is a probe that answers at once; a ./check that hangs used
// to hold it for the whole 7 s default wait, and its children outlived it.
TEST_F(SvctlFaults, HangingCheckIsKilledAfterTheProbeTimeout) {
  ASSERT_NO_FATAL_FAILURE(supervise("web"));
  const std::string child = root_ / "check.child";
  write_script(svdir() + "/web/check", "sleep 1000 &\necho $! > " + child + "\nwait\n");
  // Within 5 s, though the default wait (SVWAIT unset) is 7 s: the probe gives ./check 2 s.
  const auto probe = run_command({svctl_, "check", "web"}, std::chrono::seconds(5),
                                 {"SVDIR=" + svdir()});
  ASSERT_EQ(probe.exit_code, 1) << "timed out or wrong status: " << probe.out << probe.err;
  EXPECT_EQ(probe.out.rfind("fail: web: ./check did not answer within 2 s: killed (run: web: "
                            "(pid ", 0), 0u)
      << probe.out;
  // The script's process group was killed, its background child too.
  const pid_t sleeper = static_cast<pid_t>(std::atoi(read_file(child).c_str()));
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(wait_until([&] {
    const std::string stat = read_file("/proc/" + std::to_string(sleeper) + "/stat");
    return stat.empty() || stat.find(") Z") != std::string::npos;
  })) << "the check's child outlived the probe";
}

// svctl(8) DIAGNOSTICS: paths are escaped in every message, rescan's too.
TEST_F(SvctlFaults, RescanEscapesTheServicesDirectory) {
  const std::string strange = root_ / "a\nfail: forged\xff";
  const auto rescan = run_command({svctl_, "rescan"}, std::chrono::seconds(60),
                                  {"SVDIR=" + strange});
  EXPECT_EQ(rescan.exit_code, 1) << rescan.out << rescan.err;
  EXPECT_EQ(rescan.out, "fail: rescan: no svscan runs on " + root_.path() +
                            "/a\\nfail: forged\\xff\n");
}

}  // namespace
}  // namespace svtree::testing
