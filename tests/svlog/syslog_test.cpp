// SPDX-License-Identifier: MIT
// svlog -s: syslog framing as byte vectors, then the real binary with util-linux's
// `logger -u` as the client on a socket of the test's own (never the host's /dev/log).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "svlog/options.hpp"
#include "svlog_harness.hpp"
#include "svlog/syslog.hpp"

namespace svtree::svlog::testing {
namespace {

TEST(SyslogFormat, Rfc3164KeepsFacilitySeverityAndTagDropsTheTimestamp) {
  EXPECT_EQ(format_syslog_datagram("<27>Nov 30 15:37:59 web[12]: hello world"),
            "daemon.err: web[12]: hello world\n");
  EXPECT_EQ(format_syslog_datagram("<13>Nov  3 01:02:03 host x: y"), "user.notice: host x: y\n");
  EXPECT_EQ(format_syslog_datagram("<191>tag: no timestamp"), "local7.debug: tag: no timestamp\n");
  EXPECT_EQ(format_syslog_datagram("<0>k"), "kern.emerg: k\n");
}

TEST(SyslogFormat, Rfc5424KeepsAppProcidMsgidAndStructuredData) {
  EXPECT_EQ(format_syslog_datagram("<13>1 2026-11-30T15:37:59.866320+00:00 vm app 1124 ID47 "
                                   "[a b=\"x\\]y\"] hi 5424"),
            "user.notice: app[1124]: ID47 [a b=\"x\\]y\"] hi 5424\n");
  EXPECT_EQ(format_syslog_datagram("<165>1 - - - - - - \xef\xbb\xbfmsg"), "local4.notice: msg\n");
  EXPECT_EQ(format_syslog_datagram("<14>1 2026-01-01T00:00:00Z h app - - -"), "user.info: app:\n");
  EXPECT_EQ(format_syslog_datagram("<14>1 truncated"), "user.info: truncated\n");
}

TEST(SyslogFormat, OneDatagramIsExactlyOneLine) {
  const std::string trailing("<30>x: a\nforged: line\n\n\r\0", 25);
  EXPECT_EQ(format_syslog_datagram(trailing), "daemon.info: x: a#012forged: line\n");
  EXPECT_EQ(format_syslog_datagram(""), "user.notice: \n");
  // Not a PRI: kept whole as user.notice (RFC 3164 4.3.3).
  EXPECT_EQ(format_syslog_datagram("<192>x"), "user.notice: <192>x\n");
  EXPECT_EQ(format_syslog_datagram("<013>x"), "user.notice: <013>x\n");
  EXPECT_EQ(format_syslog_datagram("<5"), "user.notice: <5\n");
  EXPECT_EQ(format_syslog_datagram(std::string("\0bin\xff", 5)),
            std::string("user.notice: \0bin\xff\n", 19));
}

TEST(SyslogFormat, OptionTakesOnePath) {
  std::string error;
  auto options = parse_options({"-s", "/run/log.sock", "./main"}, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->socket_path, "/run/log.sock");
  EXPECT_FALSE(parse_options({"-s", "a", "-s", "b", "./main"}, error));
  EXPECT_FALSE(parse_options({"./main", "-s"}, error));
}

/// Sends one datagram to path as a syslog(3) client would (blocking: waits for room).
bool send_datagram(const std::string& path, std::string_view datagram) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const ssize_t sent = ::sendto(fd, datagram.data(), datagram.size(), 0,
                                reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::close(fd);
  return sent == static_cast<ssize_t>(datagram.size());
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

class SvlogSyslog : public ::testing::Test {
 protected:
  void SetUp() override {
    if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set (run through meson test)";
    if (!have_program("logger")) GTEST_SKIP() << "logger (util-linux) not installed";
  }
  CommandResult logger(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"logger", "-u", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  TempDir temp_;
  std::string dir_ = temp_ / "log";
  std::string socket_ = temp_ / "log.sock";
};

TEST_F(SvlogSyslog, LogRunStyleTakesDatagramsBesideTheServicePipeAndEndsWithThePipe) {
  RunningSvlog svlog({"-s", socket_, dir_});
  ASSERT_TRUE(wait_until([&] { return is_socket(socket_); })) << svlog.process().stderr_text();
  svlog.write("from the service\n");
  // Two sources have no order between them: the test orders them by waiting.
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "from the service\n"; }));
  ASSERT_EQ(logger({"-t", "web", "-p", "daemon.err", "hello from syslog"}).exit_code, 0);
  ASSERT_EQ(logger({"--rfc5424", "-t", "app", "--msgid", "ID47", "structured"}).exit_code, 0);
  ASSERT_TRUE(send_datagram(socket_, "<30>Nov 30 15:00:00 sneaky: one\nlocal0.emerg: forged"));
  ASSERT_TRUE(wait_until([&] { return split_lines(read_file(dir_ + "/current")).size() == 4; }))
      << read_file(dir_ + "/current") << svlog.process().stderr_text();
  svlog.close_input();  // as svscan does at shutdown: the pipe's end ends svlog
  ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
  const auto lines = split_lines(read_file(dir_ + "/current"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "from the service");
  EXPECT_EQ(lines[1], "daemon.err: web: hello from syslog");
  // logger adds its own structured data (timeQuality): kept, between MSGID and MSG.
  EXPECT_TRUE(lines[2].starts_with("user.notice: app: ID47 [")) << lines[2];
  EXPECT_TRUE(lines[2].ends_with("] structured")) << lines[2];
  EXPECT_EQ(lines[3], "daemon.info: sneaky: one#012local0.emerg: forged");
  EXPECT_FALSE(file_exists(socket_)) << "the socket is removed at exit";
}

TEST_F(SvlogSyslog, DedicatedServiceRunsUntilSigtermAndWritesEveryQueuedDatagram) {
  Process svlog({svlog_binary(), "-tt", "-s", socket_, dir_});  // stdin: /dev/null
  ASSERT_TRUE(wait_until([&] { return is_socket(socket_); })) << svlog.stderr_text();
  ASSERT_EQ(logger({"-t", "cron", "-p", "cron.info", "first"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return contains(read_file(dir_ + "/current"), "cron.info: cron: first"); }))
      << svlog.stderr_text();
  EXPECT_TRUE(svlog.running()) << "the end of /dev/null does not end a syslog sink";
  constexpr int kDatagrams = 3000;  // more than a socket queues: senders wait, none is lost
  for (int i = 0; i < kDatagrams; ++i)
    ASSERT_TRUE(send_datagram(socket_, "<14>burst: " + std::to_string(i)));
  svlog.signal(SIGTERM);
  ASSERT_EQ(svlog.wait_exit_code(), 0) << svlog.stderr_text();
  const auto lines = split_lines(read_file(dir_ + "/current"));
  ASSERT_EQ(lines.size(), 1u + kDatagrams);
  for (int i = 0; i < kDatagrams; ++i)
    ASSERT_EQ(lines[1 + static_cast<size_t>(i)].substr(26), "user.info: burst: " + std::to_string(i));
  EXPECT_FALSE(file_exists(socket_));
}

TEST_F(SvlogSyslog, DatagramsNeverEnterALineStandardInputHasBegun) {
  RunningSvlog svlog({"-s", socket_, dir_});
  ASSERT_TRUE(wait_until([&] { return is_socket(socket_); }));
  svlog.write("begun");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "begun"; }));
  ASSERT_EQ(logger({"-t", "t", "between"}).exit_code, 0);
  svlog.write(" and ended\n");
  ASSERT_TRUE(wait_until([&] { return split_lines(read_file(dir_ + "/current")).size() == 2; }));
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "begun and ended\nuser.notice: t: between\n");
}

TEST_F(SvlogSyslog, RefusesAPathThatIsNotASocketAndALiveOneButReplacesAStaleOne) {
  write_file(socket_, "precious");
  const auto refused = run_svlog({"-s", socket_, dir_}, "");
  EXPECT_EQ(refused.exit_code, 100);
  EXPECT_TRUE(contains(refused.err, "svlog: fatal: unable to use " + socket_ +
                                        " as the syslog socket (it exists and is not a socket"))
      << refused.err;
  EXPECT_EQ(read_file(socket_), "precious");
  ::unlink(socket_.c_str());

  RunningSvlog first({"-s", socket_, dir_});
  ASSERT_TRUE(wait_until([&] { return is_socket(socket_); }));
  const auto second = run_svlog({"-s", socket_, temp_ / "other"}, "");
  EXPECT_EQ(second.exit_code, 100);
  EXPECT_TRUE(contains(second.err, "another process listens there")) << second.err;
  EXPECT_TRUE(is_socket(socket_)) << "the live socket is left alone";
  first.process().signal(SIGKILL);
  ASSERT_EQ(first.wait_exit(), 128 + SIGKILL);
  ASSERT_TRUE(is_socket(socket_));  // left behind by the killed logger
  RunningSvlog third({"-s", socket_, temp_ / "third"});
  ASSERT_TRUE(wait_until([&] { return read_file(temp_ / "third/current") == "" && file_exists(temp_ / "third/lock"); }));
  ASSERT_EQ(logger({"-t", "t", "after a stale socket"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return read_file(temp_ / "third/current") == "user.notice: t: after a stale socket\n"; }))
      << third.process().stderr_text();
  third.close_input();
  EXPECT_EQ(third.wait_exit(), 0);
}

}  // namespace
}  // namespace svtree::svlog::testing
