// SPDX-License-Identifier: MIT
// Event lines: the grammar every service's lines share, and the token bucket, on a fixed
// clock (time is an argument).
#include "svtree/event_line.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace svtree {
namespace {

TEST(EventLine, FixedOrderKeyValue) {
  EXPECT_EQ(format_event_line("exit", "web", {{"code", "3"}, {"uptime", "1.204"}}),
            "event=exit service=web code=3 uptime=1.204");
}

TEST(EventLine, QuotesValuesThatWouldSplitTheLine) {
  EXPECT_EQ(format_event_line("check-failed", "my svc", {{"reason", "said \"no\"\nbye"}}),
            "event=check-failed service=\"my svc\" reason=\"said \\\"no\\\"\\nbye\"");
  EXPECT_EQ(format_event_line("exit", "a=b", {{"empty", ""}, {"bell", "\a"}}),
            "event=exit service=\"a=b\" empty=\"\" bell=\"\\x07\"");
}

TEST(EventLine, ExitCodeSignalCoreOrUnknown) {
  EXPECT_EQ(format_event_line("exit", "s", exit_status_fields(3 << 8)), "event=exit service=s code=3");
  EXPECT_EQ(format_event_line("exit", "s", exit_status_fields(SIGSEGV | 0x80)),
            "event=exit service=s signal=SIGSEGV core=yes");
  EXPECT_EQ(format_event_line("exit", "s", exit_status_fields(SIGTERM)),
            "event=exit service=s signal=SIGTERM core=no");
  EXPECT_EQ(format_event_line("exit", "s", exit_status_fields(std::nullopt)),
            "event=exit service=s status=unknown");
}

TEST(EventLine, SecondsWithMilliseconds) {
  EXPECT_EQ(format_event_seconds(0), "0.000");
  EXPECT_EQ(format_event_seconds(1204), "1.204");
  EXPECT_EQ(format_event_seconds(30000), "30.000");
  EXPECT_EQ(format_event_seconds(-5), "0.000");
}

TEST(EventLine, CheckFailedForTheHealthChecks) {
  EXPECT_EQ(format_check_failed_line("web", "tcp", "connection refused", 2, 3),
            "event=check-failed service=web check=tcp reason=\"connection refused\" failures=2 "
            "retries=3");
}

TEST(EventRateLimiter, BurstThenOnePerRefillAndCountsTheSuppressed) {
  EventRateLimiter limiter(3, 1000);
  int64_t now = 50'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit(now), 0u) << i;
  EXPECT_FALSE(limiter.admit(now).has_value());
  EXPECT_FALSE(limiter.admit(now + 999).has_value());
  EXPECT_EQ(limiter.admit(now + 1000), 2u) << "the line that resumes says how many were lost";
  EXPECT_FALSE(limiter.admit(now + 1500).has_value());
  EXPECT_EQ(limiter.admit(now + 2000), 1u);
  EXPECT_EQ(limiter.admit(now + 2000 + 10'000), 0u) << "refilled, up to the burst";
  EXPECT_EQ(limiter.admit(now + 2000 + 10'000), 0u);
  EXPECT_EQ(limiter.admit(now + 2000 + 10'000), 0u);
  EXPECT_FALSE(limiter.admit(now + 2000 + 10'000).has_value());
}

TEST(EventRateLimiter, AFullBucketKeepsNoCredit) {
  EventRateLimiter limiter(2, 1000);
  EXPECT_EQ(limiter.admit(0), 0u);
  EXPECT_EQ(limiter.admit(100'000), 0u);  // refilled to 2, took one
  EXPECT_EQ(limiter.admit(100'000), 0u);
  EXPECT_FALSE(limiter.admit(100'500).has_value());
}

TEST(EventRateLimiter, ForcedLinesPassAndStillReportTheSuppressed) {
  EventRateLimiter limiter(1, 60'000);
  EXPECT_EQ(limiter.admit(0), 0u);
  EXPECT_FALSE(limiter.admit(1).has_value());
  EXPECT_EQ(limiter.admit(2, true), 1u);
  EXPECT_FALSE(limiter.admit(3).has_value());
}

}  // namespace
}  // namespace svtree
