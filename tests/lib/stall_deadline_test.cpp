// SPDX-License-Identifier: MIT
// The test support's deadline (tests/support): a stall of the whole machine is not time the
// processes under test had (issue 19: a CI run failed a 20 s wait with its services found
// a fraction of a second into their work).
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace svtree::testing {
namespace {

using std::chrono::milliseconds;
using TimePoint = StallAwareDeadline::TimePoint;

TEST(StallAwareDeadline, OrdinarySleepsLeaveTheDeadlineWhereItWas) {
  const TimePoint start{};
  StallAwareDeadline deadline(start, milliseconds(20000));
  EXPECT_FALSE(deadline.note_sleep(milliseconds(5)));
  // A loaded machine runs a sleeper late, not a second late.
  EXPECT_FALSE(deadline.note_sleep(milliseconds(999)));
  EXPECT_FALSE(deadline.passed(start + milliseconds(19999)));
  EXPECT_TRUE(deadline.passed(start + milliseconds(20000)));
}

TEST(StallAwareDeadline, AStallMovesTheDeadlineByItsLength) {
  const TimePoint start{};
  StallAwareDeadline deadline(start, milliseconds(20000));
  EXPECT_TRUE(deadline.note_sleep(milliseconds(15000)));
  EXPECT_FALSE(deadline.passed(start + milliseconds(34999)));
  EXPECT_TRUE(deadline.passed(start + milliseconds(35000)));
}

TEST(StallAwareDeadline, StallsBeyondTheAllowanceFailTheWait) {
  const TimePoint start{};
  StallAwareDeadline deadline(start, milliseconds(1000));
  // Two of 60 s fit the 120 s allowance; a third is a machine that does not come back.
  EXPECT_TRUE(deadline.note_sleep(milliseconds(60000)));
  EXPECT_TRUE(deadline.note_sleep(milliseconds(60000)));
  EXPECT_TRUE(deadline.note_sleep(milliseconds(60000)));
  EXPECT_FALSE(deadline.passed(start + milliseconds(120999)));
  EXPECT_TRUE(deadline.passed(start + milliseconds(121000)));
}

// The real thing: this process stopped (SIGSTOP) while its wait sleeps, as a paused
// machine stops it, for longer than the wait's timeout. The condition turns true a few
// polls after the thaw: counted from the thaw, it has all the time; counted from the
// start, the deadline passed while the process stood still.
TEST(StallAwareDeadline, WaitUntilOutlastsAStopOfThisProcess) {
  TempDir temp;
  const std::string armed = temp / "armed";
  const std::string waiting = temp / "waiting";
  const std::string thawed = temp / "thawed";
  // The helper, once this process is inside the wait (the predicate's first call marks
  // it) and asleep there, stops it for 3 s, marks the thaw, and lets it go on.
  const std::string me = std::to_string(::getpid());
  Process helper({"/bin/sh", "-c",
                  ": > " + armed + "; until test -e " + waiting + "; do :; done; until grep -q " +
                      "nanosleep /proc/" + me + "/wchan; do :; done; kill -STOP " + me +
                      "; sleep 3; : > " + thawed + "; kill -CONT " + me});
  ASSERT_TRUE(wait_until([&] { return file_exists(armed); }));
  int polls_after_thaw = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        if (!file_exists(waiting)) write_file(waiting, "");
        return file_exists(thawed) && ++polls_after_thaw >= 3;
      },
      milliseconds(2000)));
  EXPECT_EQ(helper.wait_exit_code(), 0);
}

}  // namespace
}  // namespace svtree::testing
