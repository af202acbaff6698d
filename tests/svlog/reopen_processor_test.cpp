// SPDX-License-Identifier: MIT
// svlog's SIGHUP and processor faults (issue #12), each against the real binary: a config
// changed under a running processor, a processor that always fails, files left waiting at
// exit, a directory replaced before SIGHUP; and a log directory behind a dangling symlink
// (issue #16).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include "svlog_harness.hpp"

namespace svtree::svlog::testing {
namespace {

/// Rotated files (.s and .u), without a running processor's .t output.
std::vector<std::string> rotated(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& name : old_files(dir))
    if (name.back() != 't') names.push_back(name);
  return names;
}

size_t count_suffix(const std::vector<std::string>& names, char suffix) {
  size_t count = 0;
  for (const auto& name : names) count += name.back() == suffix ? 1 : 0;
  return count;
}

class SvlogFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (svlog_binary().empty()) GTEST_SKIP() << "SVTREE_SVLOG is not set (run through meson test)";
    make_dirs(dir_);
  }
  /// Writes line, waits until current ends with it, then rotates with SIGALRM and waits
  /// for the rotated file to appear (old files: `before` + 1).
  void write_and_rotate(RunningSvlog& svlog, const std::string& line) {
    const size_t before = rotated(dir_).size();
    svlog.write(line);
    ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == line; }))
        << read_file(dir_ + "/current");
    svlog.process().signal(SIGALRM);
    ASSERT_TRUE(wait_until([&] { return rotated(dir_).size() == before + 1; }))
        << svlog.process().stderr_text();
  }
  TempDir temp_;
  std::string dir_ = temp_ / "log";
};

// Issue #12 item 1: the `!` line removed by SIGHUP while a processor runs used to clear
// the queue under it (heap use after free under ASan; the processed file deleted).
TEST_F(SvlogFaults, SighupRemovingTheProcessorWhileItRunsLosesNothing) {
  write_file(dir_ + "/config", "n0\n!while ! test -e ../go; do sleep 0.02; done; tr a-z A-Z\n");
  RunningSvlog svlog({"-v", dir_});
  write_and_rotate(svlog, "first\n");
  ASSERT_TRUE(wait_until([&] { return contains(svlog.process().stderr_text(), "processing"); }));
  write_and_rotate(svlog, "second\n");  // queued behind the running processor
  write_file(dir_ + "/config", "n0\n");
  svlog.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return contains(svlog.process().stderr_text(), "reopened"); }));
  write_and_rotate(svlog, "third\n");  // rotated without a processor: .s at once
  write_file(temp_ / "go", "");
  ASSERT_TRUE(wait_until([&] { return count_suffix(old_files(dir_), 's') == 3; }))
      << svlog.process().stderr_text();
  svlog.write("fourth\n");
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
  const std::string err = svlog.process().stderr_text();
  EXPECT_FALSE(contains(err, "Sanitizer")) << err;
  // Files rotated under the old config keep its processor; the later one has none.
  EXPECT_EQ(all_logs(dir_), "FIRST\nSECOND\nthird\nfourth\n") << err;
  EXPECT_FALSE(file_exists(dir_ + "/newstate")) << err;
}

// Issue #12 item 2: with `!gzip` and no gzip, every .u was kept until the disk was full.
TEST_F(SvlogFaults, FailingProcessorDoesNotDisableN) {
  write_file(dir_ + "/config", "s20\nn3\n!no-such-compressor\n");
  std::string input;
  for (int i = 100; i < 300; ++i) input += "line " + std::to_string(i) + "\n";  // 9 bytes
  const auto result = run_svlog({dir_}, input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto kept = old_files(dir_);
  EXPECT_EQ(kept.size(), 3u) << result.err;
  for (const auto& name : kept) EXPECT_EQ(name.back(), 'u') << name;
  EXPECT_TRUE(contains(result.err, "before its processor ran on it")) << result.err;
  const std::string logs = all_logs(dir_);
  EXPECT_EQ(input.substr(input.size() - logs.size()), logs) << "the newest lines, in order";
}

// Settled in issue #12: files waiting for a processor when svlog ends are not dropped;
// the next svlog on the directory processes them.
TEST_F(SvlogFaults, FilesWaitingForAFailingProcessorAtExitAreProcessedByTheNextSvlog) {
  write_file(dir_ + "/config", "s20\nn0\n!test -e ../works || exit 1; tr a-z A-Z\n");
  const std::string input = "aaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbb\nccccccccccccccc\ndd\n";
  const auto first = run_svlog({dir_}, input);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(count_suffix(old_files(dir_), 'u'), 2u) << first.err;
  EXPECT_TRUE(contains(first.err, "the next svlog on this directory processes them"))
      << first.err;
  write_file(temp_ / "works", "");
  const auto second = run_svlog({dir_}, "eee\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto done = old_files(dir_);
  // The two left over, then the one this run rotated (current was 19 bytes of s20).
  EXPECT_EQ(count_suffix(done, 's'), 3u) << second.err;
  EXPECT_EQ(all_logs(dir_), "AAAAAAAAAAAAAAA\nBBBBBBBBBBBBBBB\nCCCCCCCCCCCCCCC\nDD\neee\n");
}

// Issue #12 item 3: `mv main main.old; mkdir main; kill -HUP` must log into the new main.
TEST_F(SvlogFaults, SighupReopensTheDirectoryByName) {
  RunningSvlog svlog({"-v", dir_});
  svlog.write("before\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "before\n"; }));
  const std::string moved = temp_ / "log.old";
  ASSERT_EQ(::rename(dir_.c_str(), moved.c_str()), 0);
  make_dirs(dir_);
  write_file(dir_ + "/config", "pnew: \n");
  svlog.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return contains(svlog.process().stderr_text(), "reopened"); }));
  svlog.write("after\n");
  ASSERT_TRUE(wait_until([&] { return read_file(dir_ + "/current") == "new: after\n"; }))
      << svlog.process().stderr_text();
  EXPECT_EQ(read_file(moved + "/current"), "before\n");
  EXPECT_EQ(file_mode(moved + "/current"), 0744) << "closed cleanly";
  EXPECT_EQ(file_mode(dir_ + "/lock"), 0600);
  // The old directory's lock was let go: another logger can use it now.
  const auto other = run_svlog({moved}, "other\n");
  EXPECT_EQ(other.exit_code, 0) << other.err;
  // And the new one is held.
  const auto locked = run_svlog({dir_}, "x\n");
  EXPECT_EQ(locked.exit_code, 111) << locked.err;
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
  EXPECT_EQ(read_file(dir_ + "/current"), "new: after\n");
}

// Files rotated before the directory was replaced are processed where they are, in the
// old directory, even the one whose processor starts only after SIGHUP.
TEST_F(SvlogFaults, QueuedFilesOfAReplacedDirectoryAreProcessedInIt) {
  write_file(dir_ + "/config", "n0\n!while ! test -e ../go; do sleep 0.02; done; tr a-z A-Z\n");
  RunningSvlog svlog({"-v", dir_});
  write_and_rotate(svlog, "first\n");
  write_and_rotate(svlog, "second\n");  // waits behind the first
  const std::string moved = temp_ / "log.old";
  ASSERT_EQ(::rename(dir_.c_str(), moved.c_str()), 0);
  make_dirs(dir_);
  svlog.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return contains(svlog.process().stderr_text(), "a new directory"); }))
      << svlog.process().stderr_text();
  write_file(temp_ / "go", "");
  ASSERT_TRUE(wait_until([&] { return count_suffix(rotated(moved), 's') == 2; }))
      << svlog.process().stderr_text();
  svlog.write("third\n");
  svlog.close_input();
  ASSERT_EQ(svlog.wait_exit(), 0) << svlog.process().stderr_text();
  EXPECT_EQ(all_logs(moved), "FIRST\nSECOND\n");
  EXPECT_EQ(read_file(moved + "/state"), "");
  EXPECT_EQ(read_file(dir_ + "/current"), "third\n");
  EXPECT_TRUE(old_files(dir_).empty());
}

// Issue #16: a log directory that is a dangling symlink (read-only root, main -> /run/…).
TEST_F(SvlogFaults, CreatesTheTargetOfADanglingSymlink) {
  const std::string absolute = temp_ / "run/log/web";
  ASSERT_EQ(::symlink(absolute.c_str(), (temp_ / "main").c_str()), 0);
  const auto result = run_svlog({temp_ / "main"}, "through the link\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(absolute + "/current"), "through the link\n");
  // Relative, and a chain of two links.
  ASSERT_EQ(::symlink("run2/web", (temp_ / "link2").c_str()), 0);
  ASSERT_EQ(::symlink("link2", (temp_ / "link1").c_str()), 0);
  const auto chained = run_svlog({temp_ / "link1"}, "chained\n");
  ASSERT_EQ(chained.exit_code, 0) << chained.err;
  EXPECT_EQ(read_file(temp_ / "run2/web/current"), "chained\n");
}

}  // namespace
}  // namespace svtree::svlog::testing
