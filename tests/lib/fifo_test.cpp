// SPDX-License-Identifier: MIT
// The supervise/ FIFO protocol: ENXIO means "nobody supervises".
#include "svtree/fifo.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.hpp"
#include "svtree/file_lock.hpp"

namespace svtree {
namespace {

using testing::TempDir;

TEST(Fifo, ProbeSeesWhetherASupervisorHoldsOk) {
  TempDir dir;
  const std::string ok = dir / "ok";
  EXPECT_EQ(probe_supervisor(ok), SupervisorPresence::kNoFifo);
  ASSERT_TRUE(ensure_fifo(ok, 0600).ok());
  struct stat st {};
  ASSERT_EQ(::stat(ok.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(probe_supervisor(ok), SupervisorPresence::kNotRunning);
  {
    auto held = open_fifo_supervisor_end(ok);
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(probe_supervisor(ok), SupervisorPresence::kRunning);
  }
  EXPECT_EQ(probe_supervisor(ok), SupervisorPresence::kNotRunning);
}

TEST(Fifo, EnsureReplacesANonFifo) {
  TempDir dir;
  testing::write_file(dir / "control", "junk");
  ASSERT_TRUE(ensure_fifo(dir / "control", 0600).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "control").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(FileLock, SecondHolderIsRefused) {
  TempDir dir;
  auto first = FileLock::try_acquire(dir / "lock");
  ASSERT_TRUE(first.ok());
  auto second = FileLock::try_acquire(dir / "lock");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, EWOULDBLOCK);
}

}  // namespace
}  // namespace svtree
