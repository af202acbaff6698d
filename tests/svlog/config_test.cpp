// SPDX-License-Identifier: MIT
// The config parser: every directive, defaults, and bad lines that warn and are skipped.
#include "svlog/config.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace svtree::svlog {
namespace {

TEST(Config, DefaultsAreSvlogds) {
  std::vector<std::string> warnings;
  const LogConfig config = parse_log_config("", "d/config", warnings);
  EXPECT_EQ(config.size_max, 1000000u);
  EXPECT_EQ(config.keep_max, 10u);
  EXPECT_EQ(config.keep_min, 0u);
  EXPECT_EQ(config.rotate_seconds, 0u);
  EXPECT_TRUE(config.processor.empty());
  EXPECT_TRUE(config.instructions.empty());
  EXPECT_FALSE(config.udp);
  EXPECT_FALSE(config.prefix);
  EXPECT_TRUE(warnings.empty());
}

TEST(Config, EveryDirective) {
  std::vector<std::string> warnings;
  const LogConfig config = parse_log_config(
      "# comment\n\ns4096\nn5\nN2\nt3600\n!gzip -c\n-*debug*\n+*\ne*error*\nE*quiet*\n"
      "u127.0.0.1:5514\npweb: \n",
      "d/config", warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(config.size_max, 4096u);
  EXPECT_EQ(config.keep_max, 5u);
  EXPECT_EQ(config.keep_min, 2u);
  EXPECT_EQ(config.rotate_seconds, 3600u);
  EXPECT_EQ(config.processor, "gzip -c");
  ASSERT_EQ(config.instructions.size(), 4u);
  EXPECT_EQ(config.instructions[0].action, '-');
  EXPECT_EQ(config.instructions[0].pattern, "*debug*");
  EXPECT_EQ(config.instructions[2].action, 'e');
  EXPECT_EQ(config.instructions[3].action, 'E');
  ASSERT_TRUE(config.udp);
  EXPECT_FALSE(config.udp->only);
  EXPECT_EQ(ntohs(config.udp->address.sin_port), 5514);
  EXPECT_EQ(config.udp->address.sin_addr.s_addr, htonl(0x7f000001));
  EXPECT_EQ(config.prefix, "web: ");
}

TEST(Config, SuffixesAndUdpOnlyWithDefaultPort) {
  std::vector<std::string> warnings;
  const LogConfig config = parse_log_config("s2k\nt2m\nU10.0.0.1\n", "d/config", warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(config.size_max, 2048u);
  EXPECT_EQ(config.rotate_seconds, 120u);
  ASSERT_TRUE(config.udp);
  EXPECT_TRUE(config.udp->only);
  EXPECT_EQ(ntohs(config.udp->address.sin_port), 514);
}

TEST(Config, BadLinesWarnWithFileAndLineAndTheRestApplies) {
  std::vector<std::string> warnings;
  const LogConfig config = parse_log_config(
      "s12x\nn5\nqwhat\nNlots\nt-1\nuhost.example:1\n!\nu1.2.3.4:70000\n", "./main/config",
      warnings);
  ASSERT_EQ(warnings.size(), 7u);
  EXPECT_EQ(warnings[0].rfind("./main/config line 1: s needs", 0), 0u) << warnings[0];
  EXPECT_NE(warnings[1].find("line 3: unknown directive 'q'"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("line 4"), std::string::npos);
  EXPECT_NE(warnings[3].find("line 5"), std::string::npos);
  EXPECT_NE(warnings[4].find("line 6"), std::string::npos);
  EXPECT_NE(warnings[5].find("line 7"), std::string::npos);
  EXPECT_NE(warnings[6].find("line 8"), std::string::npos);
  EXPECT_NE(warnings[6].find("; ignored"), std::string::npos);
  EXPECT_EQ(config.keep_max, 5u);
  EXPECT_EQ(config.size_max, 1000000u);
  EXPECT_FALSE(config.udp);
}

}  // namespace
}  // namespace svtree::svlog
