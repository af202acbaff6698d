// SPDX-License-Identifier: MIT
// OrphanReport: a burst one line each, a storm summed up once per window, nothing armed
// when idle, the count flushed at exit. Times are given, nothing waits.
#include "svscan/orphan_report.hpp"

#include <gtest/gtest.h>

namespace svtree::svscan {
namespace {

using Lines = std::vector<std::string>;

TEST(OrphanReport, FirstFiveOfAWindowAreShownAsBefore) {
  OrphanReport report;
  EXPECT_FALSE(report.deadline_ms());  // idle: no timer
  for (pid_t pid = 100; pid < 105; ++pid)
    EXPECT_EQ(report.on_orphan(pid, "exit code 0", 1000 + pid),
              Lines{"reaped orphan pid " + std::to_string(pid) + " (exit code 0)"});
  EXPECT_EQ(report.deadline_ms(), 1100 + OrphanReport::kWindowMs);
}

TEST(OrphanReport, FurtherOrphansAreCountedThenSummedUpAtTheWindowsEnd) {
  OrphanReport report;
  for (pid_t pid = 100; pid < 105; ++pid) report.on_orphan(pid, "exit code 0", 0);
  for (pid_t pid = 105; pid < 140; ++pid)
    EXPECT_TRUE(report.on_orphan(pid, pid == 139 ? "signal KILL" : "exit code 0", 5000).empty());
  EXPECT_FALSE(report.on_time(9999));  // not over yet
  EXPECT_EQ(report.on_time(10000),
            "reaped 35 more orphans in the last 10 s (last: pid 139, signal KILL)");
  // The storm goes on: the next window counts everything, one line per window.
  EXPECT_EQ(report.deadline_ms(), 20000);
  EXPECT_TRUE(report.on_orphan(200, "exit code 1", 12000).empty());
  EXPECT_EQ(report.on_time(20000), "reaped 1 more orphan in the last 10 s (last: pid 200, exit code 1)");
}

TEST(OrphanReport, QuietWindowClosesAndNeedsNoTimer) {
  OrphanReport report;
  report.on_orphan(100, "exit code 0", 0);
  EXPECT_EQ(report.deadline_ms(), 10000);
  EXPECT_FALSE(report.on_time(10000));
  EXPECT_FALSE(report.deadline_ms());
  // The next orphan opens a fresh window with a fresh burst.
  EXPECT_EQ(report.on_orphan(101, "exit code 0", 60000), Lines{"reaped orphan pid 101 (exit code 0)"});
  EXPECT_EQ(report.deadline_ms(), 70000);
}

TEST(OrphanReport, StormWindowEndingQuietClosesAfterItsSummary) {
  OrphanReport report;
  for (pid_t pid = 100; pid < 106; ++pid) report.on_orphan(pid, "exit code 0", 0);
  EXPECT_TRUE(report.on_time(10000));
  EXPECT_FALSE(report.on_time(20000));
  EXPECT_FALSE(report.deadline_ms());
  for (pid_t pid = 200; pid < 205; ++pid) EXPECT_EQ(report.on_orphan(pid, "exit code 0", 30000).size(), 1u);
}

TEST(OrphanReport, LateTimerSummaryComesBeforeTheNextOrphan) {
  OrphanReport report;
  for (pid_t pid = 100; pid < 107; ++pid) report.on_orphan(pid, "exit code 0", 0);
  // The storm window after it counts pid 300.
  EXPECT_EQ(report.on_orphan(300, "exit code 0", 10500),
            Lines{"reaped 2 more orphans in the last 10 s (last: pid 106, exit code 0)"});
}

TEST(OrphanReport, FlushAtExitSaysWhatIsCounted) {
  OrphanReport report;
  EXPECT_FALSE(report.flush());
  for (pid_t pid = 100; pid < 108; ++pid) report.on_orphan(pid, "exit code 0", 0);
  EXPECT_EQ(report.flush(), "reaped 3 more orphans in the last 10 s (last: pid 107, exit code 0)");
  EXPECT_FALSE(report.flush());  // said once
}

}  // namespace
}  // namespace svtree::svscan
