// SPDX-License-Identifier: MIT
// The supervise/ protocol module: both halves against each other, and what the server
// refuses (a supervise/ it does not own, symlinks planted where it writes).
#include "svtree/supervise_protocol.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "support/test_support.hpp"
#include "svtree/io.hpp"

namespace svtree {
namespace {

using testing::TempDir;

StatusRecord running(pid_t pid) {
  StatusRecord record;
  record.since = Tai64n{Tai64n::kUnixEpochLabel + 1000, 0};
  record.pid = pid;
  record.want_up = true;
  record.state = RunState::kRun;
  StatusExtension ext;
  ext.start_count = 1;
  ext.phase = Phase::kRunning;
  ext.run_start_time = 12345;
  record.extension = ext;
  return record;
}

TEST(SuperviseProtocol, ServerAndClientAgree) {
  TempDir dir;
  auto service = ServiceDir::open(dir.path());
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(probe_supervisor(dir.path()), SupervisorPresence::kNoFifo);
  {
    auto server = SuperviseServer::open(*service);
    ASSERT_TRUE(server.ok()) << server.error().message();
    EXPECT_EQ(probe_supervisor(dir.path()), SupervisorPresence::kRunning);
    ASSERT_TRUE(server->publish(running(77), false).ok());
    EXPECT_EQ(testing::read_file(dir / "supervise/status").size(), StatusRecord::kRunitSize);
    EXPECT_EQ(testing::read_file(dir / "supervise/stat"), "run\n");
    EXPECT_EQ(testing::read_file(dir / "supervise/pid"), "77\n");
    auto record = read_service_status(dir.path());
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(*record, running(77));
    const std::array<Command, 2> commands{Command::kTerm, Command::kCont};
    ASSERT_TRUE(send_commands(dir.path(), commands).ok());
    std::array<char, 8> got{};
    auto n = read_some(server->control_fd(), got);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string(got.data(), *n), "tc");
    // A second supervisor is refused by the lock.
    auto second = SuperviseServer::open(*service);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, EWOULDBLOCK);
  }
  EXPECT_EQ(probe_supervisor(dir.path()), SupervisorPresence::kNotRunning);
  auto again = SuperviseServer::open(*service);
  ASSERT_TRUE(again.ok());
  const auto previous = again->read_previous();
  ASSERT_TRUE(previous.has_value());
  EXPECT_EQ(*previous, running(77));
}

TEST(SuperviseProtocol, StaleExtendedRecordIsIgnored) {
  TempDir dir;
  auto service = ServiceDir::open(dir.path());
  ASSERT_TRUE(service.ok());
  auto server = SuperviseServer::open(*service);
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(server->publish(running(77), false).ok());
  // runsv takes over and writes its own 20 bytes: status.svtree is left behind, stale.
  StatusRecord theirs = running(88);
  theirs.extension.reset();
  const auto bytes = theirs.pack();
  testing::write_file(dir / "supervise/status", std::string(bytes.begin(), bytes.end()));
  auto record = read_service_status(dir.path());
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->pid, 88);
  EXPECT_FALSE(record->extension.has_value());  // never "ready" from a stale file
}

TEST(SuperviseProtocol, PlantedSymlinkIsNeverWrittenThrough) {
  TempDir dir;
  TempDir elsewhere;
  testing::write_file(elsewhere / "victim", "precious\n", 0600);
  testing::make_dirs(dir / "supervise");
  ::chmod((dir / "supervise").c_str(), 0700);
  ASSERT_EQ(::symlink((elsewhere / "victim").c_str(), (dir / "supervise/status.new").c_str()), 0);
  ASSERT_EQ(::symlink((elsewhere / "victim").c_str(), (dir / "supervise/stat.new").c_str()), 0);
  auto service = ServiceDir::open(dir.path());
  ASSERT_TRUE(service.ok());
  auto server = SuperviseServer::open(*service);
  ASSERT_TRUE(server.ok()) << server.error().message();
  ASSERT_TRUE(server->publish(running(77), false).ok());
  EXPECT_EQ(testing::read_file(elsewhere / "victim"), "precious\n");
  struct stat st {};
  ASSERT_EQ(::stat((elsewhere / "victim").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SuperviseProtocol, SuperviseDirOthersCanWriteIsRefused) {
  TempDir dir;
  testing::make_dirs(dir / "supervise");
  ::chmod((dir / "supervise").c_str(), 0777);
  auto service = ServiceDir::open(dir.path());
  ASSERT_TRUE(service.ok());
  auto server = SuperviseServer::open(*service);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message().find("chmod 0700"), std::string::npos)
      << server.error().message();
}

TEST(SuperviseProtocol, SuperviseDirOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  testing::make_dirs(dir / "supervise");
  ::chmod((dir / "supervise").c_str(), 0700);
  ASSERT_EQ(::chown((dir / "supervise").c_str(), 65534, 65534), 0);
  auto service = ServiceDir::open(dir.path());
  ASSERT_TRUE(service.ok());
  auto server = SuperviseServer::open(*service);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message().find("belongs to uid 65534"), std::string::npos)
      << server.error().message();
}

}  // namespace
}  // namespace svtree
