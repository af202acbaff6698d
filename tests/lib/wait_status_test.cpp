// SPDX-License-Identifier: MIT
// Pure decoding of wait statuses and of /proc/PID/stat's start time (adoption's identity).
#include "svtree/wait_status.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "svtree/process.hpp"

namespace svtree {
namespace {

TEST(ProcStat, StartTimeIsField22CountedAfterTheCommand) {
  // The command may hold spaces and parentheses: fields count from the last ')'.
  const std::string stat =
      "4242 (my (odd) daemon) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
      "987654321 1234567 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  EXPECT_EQ(parse_proc_stat_start_time(stat), 987654321u);
}

TEST(ProcStat, ZombiesAndGarbageHaveNoStartTime) {
  EXPECT_FALSE(parse_proc_stat_start_time(
                   "7 (sh) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n")
                   .has_value());
  EXPECT_FALSE(parse_proc_stat_start_time("7 (sh) S 1 2 3").has_value());
  EXPECT_FALSE(parse_proc_stat_start_time("no parenthesis").has_value());
}

TEST(ProcStat, OurOwnStartTimeIsReadAndStable) {
  const auto first = process_start_time(::getpid());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(process_start_time(::getpid()), first);
  EXPECT_FALSE(process_start_time(0).has_value());
}

TEST(WaitStatus, RunitsFinishArgumentsAndTheShellStatus) {
  const ExitDescription exited = describe_wait_status(3 << 8);
  EXPECT_EQ(exited.finish_code, 3);
  EXPECT_EQ(exited.finish_status, 0);
  EXPECT_EQ(exited.shell_status, 3);
  const ExitDescription killed = describe_wait_status(9);
  EXPECT_EQ(killed.finish_code, -1);
  EXPECT_EQ(killed.finish_status, 9);
  EXPECT_EQ(killed.shell_status, 137);
}

TEST(ProcStat, SessionIsField6AfterTheCommand) {
  EXPECT_EQ(parse_proc_stat_session("42 (my (odd) name) S 1 40 40 0 -1"), 40);
  EXPECT_FALSE(parse_proc_stat_session("42 (x) Z 1 40 40 0 -1").has_value());
  EXPECT_FALSE(parse_proc_stat_session("42 (x) S 1").has_value());
}

}  // namespace
}  // namespace svtree
