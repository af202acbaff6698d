// SPDX-License-Identifier: MIT
// svctl log (issue 15): stamps in local time, the last lines across rotated files, the
// directory the running logger holds, following across rotations, unknown services.
#include "svctl/log_command.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <sstream>

#include "support/test_support.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"

namespace svtree::svctl {
namespace {

using namespace svtree::testing;

/// Runs f with TZ set, restoring it after.
template <class F>
void in_time_zone(const char* zone, F f) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", zone, 1);
  ::tzset();
  f();
  if (old != nullptr) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

TEST(SvctlLogUnit, StampsBecomeLocalTime) {
  in_time_zone("CET-1", [] {
    EXPECT_EQ(localize_stamp("2026-11-30_21:00:01.12345 hello"), "2026-11-30 22:00:01.12345 hello");
    EXPECT_EQ(localize_stamp("2026-11-30T23:59:59.00001 x"), "2026-12-01 00:59:59.00001 x");
    // unix 0 = @400000000000000a (TAI64N, runit's +10 s).
    EXPECT_EQ(localize_stamp("@400000000000000a00000005 boot"), "1970-01-01 01:00:00.000000005 boot");
  });
  EXPECT_EQ(localize_stamp("plain line"), "plain line");
  EXPECT_EQ(localize_stamp("2026-11-30_21:00:01.1234x no"), "2026-11-30_21:00:01.1234x no");
  EXPECT_EQ(localize_stamp("@40000000000000zz00000005 no"), "@40000000000000zz00000005 no");
  EXPECT_EQ(localize_stamp(""), "");
}

TEST(SvctlLogUnit, LastLinesSpanFilesOldestFirst) {
  const std::vector<std::string> texts = {"a\nb\n", "c\nd\n", "e\n"};
  EXPECT_EQ(last_lines(texts, 3), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(last_lines(texts, 10), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(last_lines(texts, 0).empty());
  EXPECT_EQ(last_lines({"x\ny"}, 1), (std::vector<std::string>{"y"}));
  EXPECT_EQ(last_lines({"x\n", ""}, 1), (std::vector<std::string>{"x"}));
}

TEST(SvctlLogUnit, Arguments) {
  std::string error;
  auto request = parse_log_request({"web", "-f", "-n", "3", "--stderr"}, error);
  ASSERT_TRUE(request) << error;
  EXPECT_EQ(request->name, "web");
  EXPECT_TRUE(request->follow);
  EXPECT_EQ(request->lines, 3u);
  EXPECT_TRUE(request->stderr_stream);
  request = parse_log_request({"-n5", "web"}, error);
  ASSERT_TRUE(request) << error;
  EXPECT_EQ(request->lines, 5u);
  EXPECT_FALSE(request->follow);
  EXPECT_FALSE(parse_log_request({}, error));
  EXPECT_FALSE(parse_log_request({"web", "-n", "x"}, error));
  EXPECT_FALSE(parse_log_request({"web", "db"}, error));
  EXPECT_FALSE(parse_log_request({"web", "-x"}, error));
}

class SvctlLog : public ::testing::Test {
 protected:
  void SetUp() override {
    svctl_ = binary_from_env("SVTREE_SVCTL");
    svlog_ = binary_from_env("SVTREE_SVLOG");
    if (svctl_.empty() || svlog_.empty()) GTEST_SKIP() << "run through meson test";
    make_dirs(dir_ / "web/log/main");
    write_script(dir_ / "web/run", "exec sleep 3600\n");
  }
  CommandResult svctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {svctl_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30s, {"SVDIR=" + dir_.path(), "TZ=UTC0"});
  }
  TempDir dir_;
  std::string svctl_;
  std::string svlog_;
};

TEST_F(SvctlLog, LastLinesAcrossARotatedFileInLocalTime) {
  const std::string main = dir_ / "web/log/main";
  write_file(main + "/@400000006900000000000000.s",
             "2026-11-30_20:00:01.00000 one\n2026-11-30_20:00:02.00000 two\n");
  write_file(main + "/@400000006800000000000000.s", "2026-11-30_19:00:00.00000 zero\n");
  write_file(main + "/current", "2026-11-30_20:00:03.00000 three\n");
  const CommandResult result = svctl({"log", "web", "-n", "3"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "2026-11-30 20:00:01.00000 one\n2026-11-30 20:00:02.00000 two\n"
            "2026-11-30 20:00:03.00000 three\n");
  EXPECT_EQ(svctl({"log", "web"}).out.substr(0, 30), "2026-11-30 19:00:00.00000 zero");
}

TEST_F(SvctlLog, UnknownServiceAndServiceWithoutLog) {
  CommandResult result = svctl({"log", "nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("nope"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("does not exist"), std::string::npos) << result.err;
  make_dirs(dir_ / "bare");
  result = svctl({"log", "bare"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("svscan's standard output"), std::string::npos) << result.err;
  // One line that says how to find its lines there, and how to keep them in a directory.
  EXPECT_NE(result.err.find("labelled \"bare: \""), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("log/run"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  result = svctl({"log", "web", "--stderr"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("echo separate >"), std::string::npos) << result.err;
  EXPECT_EQ(svctl({"log"}).exit_code, 100);
}

// The directory comes from the running logger's open lock, not from log/run's text: a
// logger writing to log/elsewhere, under a real supervise, is found there.
TEST_F(SvctlLog, FindsTheDirectoryTheRunningLoggerHolds) {
  const std::string supervise = binary_from_env("SVTREE_SUPERVISE");
  if (supervise.empty()) GTEST_SKIP() << "run through meson test";
  write_script(dir_ / "web/log/run", "dir=else; exec " + svlog_ + " ./${dir}where\n");
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  Process::Options options;
  options.stdin_fd = pipe->read_end.get();
  Process logger({supervise, dir_ / "web/log"}, options);
  pipe->read_end.reset();
  ASSERT_TRUE(write_all(pipe->write_end.get(), "from the logger\n"));
  ASSERT_TRUE(wait_until([&] {
    return read_file(dir_ / "web/log/elsewhere/current") == "from the logger\n";
  })) << logger.stderr_text();
  const CommandResult result = svctl({"log", "web"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "from the logger\n");
  // Down and exit: the logger (in a session of its own) leaves with its supervise.
  ASSERT_TRUE(write_into(dir_ / "web/log/supervise/control", "dx"));
  EXPECT_TRUE(logger.wait_exit_code().has_value());
}

// -f prints what is appended after it started, across rotations (s120: a few lines a
// file), each line once, and sleeps on inotify meanwhile.
TEST_F(SvctlLog, FollowSeesLinesAppendedAfterARotation) {
  const std::string main = dir_ / "web/log/main";
  write_file(main + "/config", "s120\nn0\n");
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  Process::Options options;
  options.cwd = dir_ / "web/log";
  options.stdin_fd = pipe->read_end.get();
  Process logger({svlog_, "-tt", "./main"}, options);
  pipe->read_end.reset();
  ASSERT_TRUE(write_all(pipe->write_end.get(), "before 0\n"));
  ASSERT_TRUE(wait_until([&] { return file_exists(main + "/current") &&
                                      read_file(main + "/current").find("before 0") !=
                                          std::string::npos; }));
  Process::Options follow_options;
  follow_options.extra_env = {"SVDIR=" + dir_.path(), "TZ=UTC0"};
  Process follower({svctl_, "log", "web", "-f", "-n", "1"}, follow_options);
  ASSERT_TRUE(wait_until([&] { return follower.stdout_text().find("before 0\n") != std::string::npos; }))
      << follower.stderr_text();
  constexpr int kLines = 60;  // ~40 bytes each with the stamp: about twenty rotations
  // The follower is stopped while all of them are written and rotated: it wakes to find
  // many rotations at once, whose files it must read between the old one and current.
  follower.signal(SIGSTOP);
  for (int i = 1; i <= kLines; ++i)
    ASSERT_TRUE(write_all(pipe->write_end.get(), "after " + std::to_string(i) + "\n"));
  ASSERT_TRUE(wait_until([&] {
    return read_file(main + "/current").find("after " + std::to_string(kLines) + "\n") !=
           std::string::npos;
  }));
  follower.signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] {
    return follower.stdout_text().find("after " + std::to_string(kLines) + "\n") != std::string::npos;
  })) << follower.stdout_text() << follower.stderr_text();
  std::istringstream lines(follower.stdout_text());
  std::string line;
  int expected = 1;
  while (std::getline(lines, line)) {
    ASSERT_EQ(line.size() > 26 ? line.substr(4, 1) + line.substr(10, 1) : "", "- ") << line;
    if (line.find(" after ") == std::string::npos) continue;
    ASSERT_EQ(line.substr(line.find(" after ") + 7), std::to_string(expected)) << "out of order";
    ++expected;
  }
  EXPECT_EQ(expected, kLines + 1);
  // Rotation really happened while following.
  EXPECT_EQ(run_command({"/bin/sh", "-c", "ls " + main + " | grep -c '^@'"}).out == "0\n", false);
  follower.signal(SIGTERM);
}

}  // namespace
}  // namespace svtree::svctl
