// SPDX-License-Identifier: MIT
// svlog as a black box: the real binary, a real pipe, real log directories; svlogd,
// tai64nlocal and a UDP listener on 127.0.0.1 as the other parties.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "svlog/config.hpp"
#include "svlog/pattern.hpp"
#include "svlog_harness.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svlog::testing {
namespace {

class Svlog : public ::testing::Test {
 protected:
  void SetUp() override {
    if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set (run through meson test)";
  }
  TempDir temp_;
  std::string dir_ = temp_ / "log";
};

TEST_F(Svlog, TtStampsAreSvlogdsFormatAndLinesPassThroughUnchanged) {
  std::string input = "hello\n";
  input += std::string("bin\0ary\x01\x80\xff", 10) + "\n";
  input += "last line without newline";
  const auto result = run_svlog({"-tt", dir_}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = split_lines(read_file(dir_ + "/current"));
  ASSERT_EQ(lines.size(), 3u);
  const std::regex stamp(R"(^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} )");
  for (const auto& line : lines) EXPECT_TRUE(std::regex_search(line, stamp)) << line;
  EXPECT_EQ(lines[0].substr(26), "hello");
  EXPECT_EQ(lines[1].substr(26), std::string("bin\0ary\x01\x80\xff", 10));
  // svlogd drops a last line without its newline; svlog writes it, ended by one.
  EXPECT_EQ(lines[2].substr(26), "last line without newline");
  EXPECT_EQ(read_file(dir_ + "/current").back(), '\n');
}

TEST_F(Svlog, TttStampIsIso8601) {
  const auto result = run_svlog({"-ttt", dir_}, "x\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::regex_match(read_file(dir_ + "/current"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{5} x\n)")))
      << read_file(dir_ + "/current");
}

TEST_F(Svlog, TaiStampsAreReadByTai64nlocal) {
  if (!have_program("tai64nlocal")) GTEST_SKIP() << "tai64nlocal (daemontools) not installed";
  const auto result = run_svlog({"-t", dir_}, "one\ntwo\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::regex_match(read_file(dir_ + "/current"),
                               std::regex(R"((@4000[0-9a-f]{20} (one|two)\n){2})")));
  const auto local = run_command({"/bin/sh", "-c", "tai64nlocal < '" + dir_ + "/current'"});
  ASSERT_EQ(local.exit_code, 0);
  EXPECT_TRUE(std::regex_match(
      local.out, std::regex(R"((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} (one|two)\n){2})")))
      << local.out;
}

TEST_F(Svlog, CurrentIs0644WhileWrittenAnd0744AfterACleanExitThenAppended) {
  RunningSvlog svlog({dir_});
  svlog.write("first\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "first\n"; }));
  EXPECT_EQ(file_mode(dir_ + "/current"), 0644);
  EXPECT_EQ(file_mode(dir_ + "/lock"), 0600);
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(file_mode(dir_ + "/current"), 0744);
  ASSERT_EQ(run_svlog({dir_}, "second\n").exit_code, 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "first\nsecond\n");
  EXPECT_TRUE(old_files(dir_).empty());
}

TEST_F(Svlog, LeftoverCurrentWithoutUserExecuteIsKeptAsU) {
  make_dirs(dir_);
  write_file(dir_ + "/current", "from a killed logger\n", 0644);
  ASSERT_EQ(run_svlog({dir_}, "new\n").exit_code, 0);
  const auto old = old_files(dir_);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].substr(25), ".u");
  EXPECT_EQ(read_file(dir_ + "/" + old[0]), "from a killed logger\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "new\n");
}

TEST_F(Svlog, SigkillLeavesCurrentForTheNextStartToKeep) {
  RunningSvlog svlog({dir_});
  svlog.write("before the kill\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "before the kill\n"; }));
  svlog.process().signal(SIGKILL);
  ASSERT_EQ(svlog.wait_exit(), 128 + SIGKILL);
  ASSERT_EQ(run_svlog({dir_}, "after\n").exit_code, 0);
  ASSERT_EQ(old_files(dir_).size(), 1u);
  EXPECT_EQ(all_logs(dir_), "before the kill\nafter\n");
}

TEST_F(Svlog, RotatesBySizeAtLineBoundariesAndKeepsN) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "s100\nn3\n");
  std::string input;
  for (int i = 0; i < 40; ++i) input += "line number " + std::to_string(100 + i) + "\n";  // 16 B
  const auto result = run_svlog({"-v", dir_}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto old = old_files(dir_);
  ASSERT_EQ(old.size(), 3u) << result.err;
  for (const auto& name : old) {
    EXPECT_EQ(name.substr(25), ".s");
    EXPECT_EQ(file_mode(dir_ + "/" + name), 0744);
    const std::string text = read_file(dir_ + "/" + name);
    EXPECT_LE(text.size(), 100u);
    EXPECT_EQ(text.size(), 96u);  // 6 whole lines: a 7th would pass 100 bytes
  }
  // The kept files and current are the tail of the input, whole lines, in order.
  const std::string kept = all_logs(dir_);
  ASSERT_GE(input.size(), kept.size());
  EXPECT_EQ(input.substr(input.size() - kept.size()), kept);
  EXPECT_TRUE(contains(result.err, "deleted"));
}

TEST_F(Svlog, LineLongerThanTheSizeLimitIsNeverSplit) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "s50\nn0\n");
  const std::string long_line(300, 'L');
  const auto result = run_svlog({dir_}, "a\n" + long_line + "\nb\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(all_logs(dir_), "a\n" + long_line + "\nb\n");
  bool found = false;
  for (const auto& name : old_files(dir_))
    found = found || read_file(dir_ + "/" + name) == long_line + "\n";
  EXPECT_TRUE(found) << "the long line has a file of its own";
}

TEST_F(Svlog, RotatesByTimeWithoutInput) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "t1\n");
  RunningSvlog svlog({dir_});
  svlog.write("aging\n");
  ASSERT_TRUE(wait_until([&] { return old_files(dir_).size() == 1; }));
  EXPECT_EQ(read_file(dir_ + "/" + old_files(dir_)[0]), "aging\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "");
  svlog.close_input();
  EXPECT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(old_files(dir_).size(), 1u) << "an empty current is never rotated";
}

TEST_F(Svlog, SigalrmRotatesNowAndSighupRereadsConfig) {
  RunningSvlog svlog({"-v", dir_});
  svlog.write("one\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "one\n"; }));
  svlog.process().signal(SIGALRM);
  ASSERT_TRUE(wait_until([&] { return old_files(dir_).size() == 1; }));
  EXPECT_EQ(read_file(dir_ + "/current"), "");
  write_file(dir_ + "/config", "pafter hup: \n");
  svlog.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return contains(svlog.process().stderr_text(), "reopened"); }));
  svlog.write("two\n");
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "after hup: two\n");
}

TEST_F(Svlog, SigtermEndsTheOpenLineAndExitsZero) {
  RunningSvlog svlog({dir_});
  svlog.write("complete\npartial");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "complete\npartial"; }));
  svlog.process().signal(SIGTERM);
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "complete\npartial\n");
  EXPECT_EQ(file_mode(dir_ + "/current"), 0744);
}

TEST_F(Svlog, SecondSvlogOnTheSameDirectoryFailsClearly) {
  RunningSvlog first({dir_});
  first.write("x\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "x\n"; }));
  const auto second = run_svlog({dir_}, "y\n");
  EXPECT_EQ(second.exit_code, 111);
  EXPECT_TRUE(contains(second.err, "another svlog or svlogd")) << second.err;
  EXPECT_TRUE(contains(second.err, "no functional log target")) << second.err;
}

TEST_F(Svlog, LockConflictsWithSvlogdBothWays) {
  if (!have_program("svlogd")) GTEST_SKIP() << "svlogd (runit) not installed";
  make_dirs(dir_);
  {
    RunningSvlog svlogd(RunningSvlog::Program{}, {"/usr/bin/svlogd", dir_});
    svlogd.write("from svlogd\n");
    ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "from svlogd\n"; }));
    const auto ours = run_svlog({dir_}, "y\n");
    EXPECT_EQ(ours.exit_code, 111) << ours.err;
    EXPECT_TRUE(contains(ours.err, "another svlog or svlogd")) << ours.err;
    svlogd.close_input();
    EXPECT_EQ(svlogd.wait_exit(), 0);
  }
  RunningSvlog ours({dir_});
  ours.write("from svlog\n");
  ASSERT_TRUE(wait_until([&] { return contains(read_file(dir_ + "/current"), "from svlog\n"); }));
  const auto theirs = run_command({"/bin/sh", "-c", "echo z | svlogd '" + dir_ + "'"});
  EXPECT_EQ(theirs.exit_code, 111) << theirs.err;
  EXPECT_TRUE(contains(theirs.err, "unable to lock")) << theirs.err;
  ours.close_input();
  EXPECT_EQ(ours.wait_exit(), 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "from svlogd\nfrom svlog\n");
}

TEST_F(Svlog, ProcessorRunsOnEachRotatedFileWithState) {
  make_dirs(dir_);
  write_file(dir_ + "/config",
             "s40\nn0\n!tr a-z A-Z && { cat <&4; echo done; } >&5\n");
  const auto result = run_svlog({dir_}, "aaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbb\nccc\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto old = old_files(dir_);
  ASSERT_EQ(old.size(), 1u) << result.err;
  EXPECT_EQ(old[0].substr(25), ".s");
  EXPECT_EQ(read_file(dir_ + "/" + old[0]), "AAAAAAAAAAAAAAAAAAA\nBBBBBBBBBBBBBBBBBBB\n");
  EXPECT_EQ(file_mode(dir_ + "/" + old[0]), 0744);
  EXPECT_EQ(read_file(dir_ + "/state"), "done\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "ccc\n");
  // Second rotation: the processor sees the first one's state on fd 4.
  RunningSvlog svlog({dir_});
  svlog.write("ddd\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "ccc\nddd\n"; }));
  svlog.process().signal(SIGALRM);
  ASSERT_TRUE(wait_until([&] { return old_files(dir_).size() == 2; }));
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  const auto both = old_files(dir_);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(read_file(dir_ + "/" + both[1]), "CCC\nDDD\n");
  EXPECT_EQ(read_file(dir_ + "/state"), "done\ndone\n");
  EXPECT_FALSE(file_exists(dir_ + "/newstate"));
}

TEST_F(Svlog, BusyProcessorNeverBlocksTheInputAndFilesAreProcessedInOrder) {
  make_dirs(dir_);
  // Each processor waits for the test's go-ahead: svlogd would stop reading meanwhile.
  write_file(dir_ + "/config",
             "s20\nn0\n!while ! test -e ../go; do sleep 0.02; done; tr a-z A-Z\n");
  RunningSvlog svlog({dir_});
  const std::string input = "aaaaaaaa\nbbbbbbbb\ncccccccc\ndddddddd\neeeeeeee\nffffffff\ngg\n";
  svlog.write(input);
  auto unprocessed = [&] {
    std::string text;
    for (const auto& name : old_files(dir_)) text += read_file(dir_ + "/" + name);
    return text + read_file(dir_ + "/current");
  };
  ASSERT_TRUE(wait_until([&] { return unprocessed() == input; })) << unprocessed();
  size_t waiting = 0;  // .u files; the running processor's .t output is still empty
  for (const auto& name : old_files(dir_)) waiting += name.substr(25) == ".u" ? 1 : 0;
  EXPECT_EQ(waiting, 3u);
  write_file(temp_ / "go", "");
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
  const auto done = old_files(dir_);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(read_file(dir_ + "/" + done[0]), "AAAAAAAA\nBBBBBBBB\n");
  EXPECT_EQ(read_file(dir_ + "/" + done[1]), "CCCCCCCC\nDDDDDDDD\n");
  EXPECT_EQ(read_file(dir_ + "/" + done[2]), "EEEEEEEE\nFFFFFFFF\n");
  for (const auto& name : done) EXPECT_EQ(name.substr(25), ".s");
  EXPECT_EQ(read_file(dir_ + "/current"), "gg\n");
}

TEST_F(Svlog, FailedProcessorIsRetriedAndItsOutputDiscarded) {
  make_dirs(dir_);
  write_file(dir_ + "/config",
             "n0\n!cat; test -e ../second || { touch ../second; exit 3; }\n");
  RunningSvlog svlog({dir_});
  svlog.write("rotate me\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "rotate me\n"; }));
  svlog.process().signal(SIGALRM);
  ASSERT_TRUE(wait_until([&] {
    const auto old = old_files(dir_);
    return old.size() == 1 && old[0].substr(25) == ".s";
  }));
  EXPECT_TRUE(contains(svlog.process().stderr_text(), "exited with status 3; retrying"))
      << svlog.process().stderr_text();
  EXPECT_EQ(read_file(dir_ + "/" + old_files(dir_)[0]), "rotate me\n");
  svlog.close_input();
  EXPECT_EQ(svlog.wait_exit(), 0);
}

TEST_F(Svlog, PatternsSelectLinesForTheFileAndForStderr) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "pweb: \n-*skip*\n+*keep\neerr*\n");
  const auto result = run_svlog({dir_}, "abc\nskip this\nkeep\nerr one\nfoo keep\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(dir_ + "/current"), "web: abc\nweb: keep\nweb: err one\nweb: foo keep\n");
  EXPECT_EQ(result.err, "web: err one\n");
}

TEST_F(Svlog, LineStartIsHeldUntilPatternsCanDecide) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "-*\n+keep*\n");
  RunningSvlog svlog({dir_});
  svlog.write("keep first\nke");  // one write: "ke" comes in the same read
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "keep first\n"; }));
  svlog.write("ep it\nkeel over\nnot me\n");
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0);
  EXPECT_EQ(read_file(dir_ + "/current"), "keep first\nkeep it\n");
}

// Read boundaries fall anywhere (random write sizes): the held-line and continuation paths
// must give exactly what a line-at-a-time reference gives.
TEST_F(Svlog, RandomChunkingGivesTheSameLinesAsALineAtATimeReference) {
  const std::vector<Instruction> instructions = {
      {'-', "*"}, {'+', "a*"}, {'-', "ab*"}, {'+', "k+b*"}, {'+', "*k"}};
  std::string config;
  for (const auto& instruction : instructions)
    config += std::string(1, instruction.action) + instruction.pattern + "\n";
  constexpr size_t kLineMax = 5;
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t bound) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % bound;
  };
  for (int round = 0; round < 3; ++round) {
    const std::string dir = temp_ / ("round" + std::to_string(round));
    make_dirs(dir);
    write_file(dir + "/config", config + "s0\n");
    std::string input;
    std::string expected;
    for (int i = 0; i < 1500; ++i) {
      std::string line;
      const uint32_t size = next(12);
      for (uint32_t j = 0; j < size; ++j) line += "abk\x01"[next(4)];
      input += line + "\n";
      bool selected = true;
      for (const auto& instruction : instructions)
        if (pattern_matches(instruction.pattern, std::string_view(line).substr(0, kLineMax)))
          selected = instruction.action == '+';
      if (selected) expected += line + "\n";
    }
    RunningSvlog svlog({"-l", std::to_string(kLineMax), dir});
    for (size_t at = 0; at < input.size();) {
      const size_t size = std::min<size_t>(1 + next(40), input.size() - at);
      svlog.write(std::string_view(input).substr(at, size));
      ASSERT_TRUE(svlog.wait_drained());  // one read per write: boundaries fall anywhere
      at += size;
    }
    svlog.close_input();
    ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
    EXPECT_EQ(read_file(dir + "/current"), expected) << "round " << round;
  }
}

TEST_F(Svlog, SameBytesAsSvlogdForPatternsAndReplacement) {
  if (!have_program("svlogd")) GTEST_SKIP() << "svlogd (runit) not installed";
  const std::string config = "-*\n+a+bc\n+*keep*\n-*drop*\n+x*\ne*\n";
  const std::string input =
      "abbbc\nabc\nac\nkeep me\nkeep but drop\nxylophone\ntab\there\n\x01\x7f\xc3\xa9 bytes\n"
      "zzz\n";
  struct Case {
    std::vector<std::string> options;
  };
  // Not -l: svlogd cuts a line longer than len to len bytes plus "..."; svlog never
  // truncates (len only bounds pattern matching and UDP copies), tested below.
  for (const Case& c : {Case{{}}, Case{{"-r", "#"}}, Case{{"-R", "ae"}}, Case{{"-r", ".", "-R", "kx"}}}) {
    const std::string ours = temp_ / "ours";
    const std::string theirs = temp_ / "theirs";
    for (const auto& d : {ours, theirs}) {
      std::filesystem::remove_all(d);
      make_dirs(d);
      write_file(d + "/config", config);
    }
    std::vector<std::string> args = c.options;
    args.push_back(ours);
    const auto result = run_svlog(args, input);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::vector<std::string> argv{"/usr/bin/svlogd"};
    argv.insert(argv.end(), c.options.begin(), c.options.end());
    argv.push_back(theirs);
    RunningSvlog svlogd(RunningSvlog::Program{}, argv);
    svlogd.write(input);
    svlogd.close_input();
    ASSERT_EQ(svlogd.wait_exit(), 0);
    const std::string what = c.options.empty() ? "no options" : c.options[0];
    EXPECT_EQ(read_file(ours + "/current"), read_file(theirs + "/current")) << what;
    EXPECT_EQ(result.err, svlogd.process().stderr_text()) << what;
  }
}

TEST_F(Svlog, LineLengthBoundsMatchingButNeverTruncates) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "-*\n+abc\n");
  // "abc" is the first 3 bytes of both lines, so both are selected (svlogd agrees) ...
  const auto run = run_svlog({"-l", "3", dir_}, "abcdef\nabc\nabx\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // ... and, unlike svlogd's "abc...", written whole.
  EXPECT_EQ(read_file(dir_ + "/current"), "abcdef\nabc\n");
}

TEST_F(Svlog, UdpCopiesGoToTheListenerAndUKeepsThemOutOfTheFile) {
  UniqueFd listener(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t size = sizeof address;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));
  auto receive = [&] {
    pollfd ready{listener.get(), POLLIN, 0};
    if (::poll(&ready, 1, 20000) != 1) return std::string("(nothing within 20 s)");
    char packet[2048];
    const ssize_t n = ::recv(listener.get(), packet, sizeof packet, 0);
    return std::string(packet, n > 0 ? static_cast<size_t>(n) : 0);
  };
  make_dirs(dir_);
  write_file(dir_ + "/config", "u127.0.0.1:" + port + "\npP: \n");
  ASSERT_EQ(run_svlog({dir_}, "hello udp\n").exit_code, 0);
  EXPECT_EQ(receive(), "P: hello udp\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "P: hello udp\n");
  write_file(dir_ + "/config", "U127.0.0.1:" + port + "\n");
  ASSERT_EQ(run_svlog({dir_}, "only udp\n").exit_code, 0);
  EXPECT_EQ(receive(), "only udp\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "P: hello udp\n");
}

TEST_F(Svlog, DashWritesToStdoutWithItsPrefixBesideADirectory) {
  const auto result = run_svlog({"-p", "web: ", "-", dir_}, "a\nb\npartial");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "web: a\nweb: b\nweb: partial\n");
  EXPECT_EQ(read_file(dir_ + "/current"), "a\nb\npartial\n");
}

TEST_F(Svlog, SlowNonBlockingStdoutGetsEveryLineInOrder) {
  auto pipe = make_pipe(O_NONBLOCK);  // both ends non-blocking: svlog sees EAGAIN
  ASSERT_TRUE(pipe);
  ASSERT_TRUE(set_nonblocking(pipe->read_end.get(), false));
  std::string input;
  for (int i = 0; i < 200000; ++i) input += "line " + std::to_string(i) + "\n";
  auto logger_input = make_pipe();
  ASSERT_TRUE(logger_input);
  Process::Options options;
  options.stdin_fd = logger_input->read_end.get();
  options.stdout_fd = pipe->write_end.get();
  Process svlog({svlog_binary(), "-"}, options);
  logger_input->read_end.reset();
  pipe->write_end.reset();
  std::thread feeder([&] {
    (void)write_all(logger_input->write_end.get(), input);
    logger_input->write_end.reset();
  });
  std::string output;
  char chunk[4096];  // small reads: the pipe stays full and svlog keeps hitting EAGAIN
  for (;;) {
    auto n = read_some(pipe->read_end.get(), chunk);
    ASSERT_TRUE(n);
    if (*n == 0) break;
    output.append(chunk, *n);
  }
  feeder.join();
  EXPECT_EQ(svlog.wait_exit_code(), 0) << svlog.stderr_text();
  EXPECT_TRUE(output == input) << output.size() << " bytes of " << input.size();
}

TEST_F(Svlog, ClosedStdoutDoesNotStopTheDirectory) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  pipe->read_end.reset();  // nobody reads standard output: EPIPE
  auto logger_input = make_pipe();
  ASSERT_TRUE(logger_input);
  Process::Options options;
  options.stdin_fd = logger_input->read_end.get();
  options.stdout_fd = pipe->write_end.get();
  Process svlog({svlog_binary(), "-", dir_}, options);
  logger_input->read_end.reset();
  pipe->write_end.reset();
  ASSERT_TRUE(write_all(logger_input->write_end.get(), "one\ntwo\n"));
  logger_input->write_end.reset();
  EXPECT_EQ(svlog.wait_exit_code(), 0);
  EXPECT_TRUE(contains(svlog.stderr_text(), "standard output is closed")) << svlog.stderr_text();
  EXPECT_EQ(read_file(dir_ + "/current"), "one\ntwo\n");
}

TEST_F(Svlog, BadConfigLinesWarnWithFileAndLineAndTheRestApplies) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "pok: \nzap\ns1x\n");
  const auto result = run_svlog({dir_}, "line\n");
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_TRUE(contains(result.err, dir_ + "/config line 2: unknown directive 'z'")) << result.err;
  EXPECT_TRUE(contains(result.err, dir_ + "/config line 3: s needs")) << result.err;
  EXPECT_EQ(read_file(dir_ + "/current"), "ok: line\n");
}

TEST_F(Svlog, SeveralDirectoriesAndOneThatCannotBeOpened) {
  const std::string second = temp_ / "second";
  write_file(temp_ / "file", "not a directory");
  const auto result = run_svlog({dir_, temp_ / "file", second}, "both\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.err, "skipping this log directory")) << result.err;
  EXPECT_EQ(read_file(dir_ + "/current"), "both\n");
  EXPECT_EQ(read_file(second + "/current"), "both\n");
  const auto none = run_svlog({temp_ / "file"}, "x\n");
  EXPECT_EQ(none.exit_code, 111);
  EXPECT_EQ(run_svlog({"-l"}, "").exit_code, 100);
}

// DESIGN.md §6 (issue #12): every program answers --help and --version.
TEST_F(Svlog, AnswersHelpAndVersion) {
  const auto help = run_svlog({"--help"}, "");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(help.out.starts_with("usage: svlog ")) << help.out;
  EXPECT_EQ(help.err, "");
  const auto version = run_svlog({"--version"}, "");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_TRUE(version.out.starts_with("svlog (svtree) ")) << version.out;
  // As every program's (lib/program_info): exit 0 only when the text was written.
  for (const char* option : {"--help", "--version"}) {
    const auto full = run_command(
        {"/bin/sh", "-c", "exec \"$1\" \"$2\" > /dev/full", "sh", svlog_binary(), option});
    EXPECT_EQ(full.exit_code, 111) << option << ": " << full.err;
  }
  const auto unknown = run_svlog({"--frobnicate"}, "");
  EXPECT_EQ(unknown.exit_code, 100);
  EXPECT_TRUE(contains(unknown.err, "unknown option --frobnicate")) << unknown.err;
  // A directory named like an option still works after --.
  const auto escaped = run_svlog({"--", temp_ / "--help"}, "x\n");
  EXPECT_EQ(escaped.exit_code, 0) << escaped.err;
  EXPECT_EQ(read_file(temp_ / "--help/current"), "x\n");
}

TEST_F(Svlog, TwoMillionLinesAllArriveInOrderAcrossRotations) {
  make_dirs(dir_);
  write_file(dir_ + "/config", "s1000000\nn0\n");
  constexpr int kLines = 2000000;
  std::string input;
  input.reserve(kLines * 8);
  char line[16];
  for (int i = 0; i < kLines; ++i) {
    std::snprintf(line, sizeof line, "%07d\n", i);
    input.append(line, 8);
  }
  const auto result = run_svlog({"-tt", dir_}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string logs = all_logs(dir_);
  ASSERT_EQ(logs.size(), static_cast<size_t>(kLines) * (26 + 8));
  EXPECT_GT(old_files(dir_).size(), 60u);
  for (int i = 0; i < kLines; ++i) {
    const size_t at = static_cast<size_t>(i) * 34 + 26;
    std::snprintf(line, sizeof line, "%07d\n", i);
    if (logs.compare(at, 8, line) != 0) {
      FAIL() << "line " << i << " is missing or out of order: " << logs.substr(at - 26, 34);
    }
  }
  for (const auto& name : old_files(dir_)) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/" + name).c_str(), &st), 0);
    EXPECT_LE(st.st_size, 1000000);
    EXPECT_GT(st.st_size, 1000000 - 34);
  }
}

}  // namespace
}  // namespace svtree::svlog::testing
