// SPDX-License-Identifier: MIT
// Command-line parsing and the three stamp formats (svlogd's, byte for byte).
#include <gtest/gtest.h>

#include "svlog/options.hpp"
#include "svlog/stamp.hpp"

namespace svtree::svlog {
namespace {

std::optional<Options> parse(std::vector<std::string> args, std::string* error = nullptr) {
  std::string message;
  auto options = parse_options(args, message);
  if (error != nullptr) *error = message;
  return options;
}

TEST(Options, SvlogdFlagsAndClusters) {
  auto options = parse({"-ttv", "-r", "#", "-R", "xy", "-l", "200", "-b4096", "./main"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->stamp, StampMode::kUtc);
  EXPECT_TRUE(options->verbose);
  EXPECT_EQ(options->replacement, '#');
  EXPECT_EQ(options->replace_set, "xy");
  EXPECT_EQ(options->line_max, 200u);
  EXPECT_EQ(options->buffer_size, Options::kDefaultBufferSize);  // raised, never lowered
  ASSERT_EQ(options->targets.size(), 1u);
  EXPECT_EQ(options->targets[0].path, "./main");
}

TEST(Options, StampLevels) {
  EXPECT_EQ(parse({"d"})->stamp, StampMode::kNone);
  EXPECT_EQ(parse({"-t", "d"})->stamp, StampMode::kTai64n);
  EXPECT_EQ(parse({"-t", "-t", "d"})->stamp, StampMode::kUtc);
  EXPECT_EQ(parse({"-ttt", "d"})->stamp, StampMode::kIso8601);
}

TEST(Options, ReplaceSetAloneUsesUnderscore) {
  EXPECT_EQ(parse({"-R", "ab", "d"})->replacement, '_');
  EXPECT_EQ(parse({"d"})->replacement, 0);
}

TEST(Options, PrefixBindsToTheNextTargetAndDashIsStdout) {
  auto options = parse({"-p", "web: ", "-", "./main", "-pdb: ", "/var/log/db"});
  ASSERT_TRUE(options);
  ASSERT_EQ(options->targets.size(), 3u);
  EXPECT_TRUE(options->targets[0].is_stdout());
  EXPECT_EQ(options->targets[0].prefix, "web: ");
  EXPECT_FALSE(options->targets[1].prefix);
  EXPECT_EQ(options->targets[2].prefix, "db: ");
  EXPECT_EQ(parse({"-b", "1048576", "d"})->buffer_size, 1048576u);
}

TEST(Options, UsageErrors) {
  std::string error;
  EXPECT_FALSE(parse({}, &error));
  EXPECT_NE(error.find("no log target"), std::string::npos);
  EXPECT_FALSE(parse({"-x", "d"}, &error));
  EXPECT_FALSE(parse({"-r", "ab", "d"}, &error));
  EXPECT_FALSE(parse({"-l", "0", "d"}, &error));
  EXPECT_FALSE(parse({"-l"}, &error));
  EXPECT_FALSE(parse({"d", "-p", "x"}, &error));
  EXPECT_NE(error.find("-p must come before"), std::string::npos);
}

TEST(Stamp, FormatsLikeSvlogd) {
  const timespec time{1700000000, 123456789};  // 2023-11-14 22:13:20 UTC
  Stamper utc(StampMode::kUtc);
  EXPECT_EQ(utc.format(time), "2023-11-14_22:13:20.12345 ");
  const timespec later{1700000001, 999999999};
  EXPECT_EQ(utc.format(later), "2023-11-14_22:13:21.99999 ");  // truncated, not rounded
  Stamper iso(StampMode::kIso8601);
  EXPECT_EQ(iso.format(time), "2023-11-14T22:13:20.12345 ");
  Stamper tai(StampMode::kTai64n);
  // 2^62 + 10 + 1700000000 = 0x400000006553f10a; 123456789 = 0x075bcd15.
  EXPECT_EQ(tai.format(time), "@400000006553f10a075bcd15 ");
  Stamper none(StampMode::kNone);
  EXPECT_EQ(none.format(time), "");
  EXPECT_EQ(none.now(), "");
}

}  // namespace
}  // namespace svtree::svlog
