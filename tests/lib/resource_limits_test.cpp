// SPDX-License-Identifier: MIT
// The `limits` knob's grammar and its plan against the limits held now (issue 16).
#include "svtree/resource_limits.hpp"

#include <gtest/gtest.h>

namespace svtree {
namespace {

TEST(Limits, ParsesSoftAndHardUnlimitedAndComments) {
  std::vector<std::string> warnings;
  const auto limits = parse_limits(
      "# file descriptors\nnofile 1024 4096\n\n  nproc\t100\ncore 0\nmemlock unlimited "
      "unlimited\nas 1073741824", "svc/limits", warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  ASSERT_EQ(limits.size(), 5u);
  EXPECT_EQ(limits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(limits[0].soft, 1024u);
  EXPECT_EQ(limits[0].hard, rlim_t{4096});
  EXPECT_EQ(limits[0].line, 2u);
  EXPECT_EQ(limits[1].resource, RLIMIT_NPROC);
  EXPECT_EQ(limits[1].soft, 100u);
  EXPECT_FALSE(limits[1].hard);
  EXPECT_EQ(limits[1].line, 4u);
  EXPECT_EQ(limits[2].resource, RLIMIT_CORE);
  EXPECT_EQ(limits[2].soft, 0u);
  EXPECT_EQ(limits[3].resource, RLIMIT_MEMLOCK);
  EXPECT_EQ(limits[3].soft, RLIM_INFINITY);
  EXPECT_EQ(limits[3].hard, RLIM_INFINITY);
  EXPECT_EQ(limits[4].resource, RLIMIT_AS);
  EXPECT_EQ(limits[4].soft, rlim_t{1073741824});
}

TEST(Limits, EachBadLineIsOneWarningAndTheRestApply) {
  std::vector<std::string> warnings;
  const auto limits = parse_limits(
      "nofiles 10\n"        // 1: unknown resource
      "nofile\n"            // 2: no value
      "nofile 1 2 3\n"      // 3: too many
      "nofile -1\n"         // 4: not a number
      "nofile 10 5\n"       // 5: soft above hard
      "core 0\n"            // 6: good
      "core 1\n"            // 7: twice
      "nproc 99999999999999999999\n",  // 8: too big
      "svc/limits", warnings);
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].resource, RLIMIT_CORE);
  ASSERT_EQ(warnings.size(), 7u);
  const std::vector<std::string> lines = {"line 1 ", "line 2 ", "line 3 ", "line 4 ",
                                          "line 5 ", "line 7 ", "line 8 "};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(warnings[i].rfind("ignoring " + lines[i] + "of svc/limits: ", 0), 0u)
        << warnings[i];
  }
  EXPECT_NE(warnings[0].find("unknown resource nofiles"), std::string::npos);
  EXPECT_NE(warnings[4].find("soft limit 10 is above the hard limit 5"), std::string::npos);
}

TEST(Limits, EveryLinuxResourceHasAName) {
  for (const char* name : {"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
                           "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
                           "stack"})
    EXPECT_TRUE(parse_resource_name(name)) << name;
  EXPECT_FALSE(parse_resource_name("NOFILE"));
  EXPECT_FALSE(parse_resource_name(""));
}

LimitSetting setting(rlim_t soft, std::optional<rlim_t> hard) {
  return LimitSetting{RLIMIT_NOFILE, "nofile", soft, hard, 3};
}

TEST(Limits, PlanKeepsTheHardLimitWhenNoneIsGiven) {
  std::vector<std::string> warnings;
  const struct rlimit current {1024, 4096};
  const auto planned = plan_limit(setting(512, std::nullopt), current, false, "l", warnings);
  ASSERT_TRUE(planned);
  EXPECT_EQ(planned->rlim_cur, 512u);
  EXPECT_EQ(planned->rlim_max, 4096u);
  const auto lowered = plan_limit(setting(100, 200), current, false, "l", warnings);
  ASSERT_TRUE(lowered);
  EXPECT_EQ(lowered->rlim_max, 200u);
  EXPECT_TRUE(warnings.empty());
}

TEST(Limits, PlanRefusesWhatSetrlimitWouldRefuse) {
  std::vector<std::string> warnings;
  const struct rlimit current {1024, 4096};
  // Raising the hard limit takes CAP_SYS_RESOURCE.
  EXPECT_FALSE(plan_limit(setting(100, 8192), current, false, "svc/limits", warnings));
  EXPECT_TRUE(plan_limit(setting(100, 8192), current, true, "svc/limits", warnings));
  // A soft limit above the hard one kept.
  EXPECT_FALSE(plan_limit(setting(8192, std::nullopt), current, true, "svc/limits", warnings));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].rfind("ignoring line 3 of svc/limits: the hard nofile limit is 4096", 0),
            0u) << warnings[0];
  EXPECT_NE(warnings[1].find("soft limit 8192 is above the hard nofile limit 4096"),
            std::string::npos) << warnings[1];
}

}  // namespace
}  // namespace svtree
