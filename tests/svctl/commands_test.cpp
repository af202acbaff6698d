// SPDX-License-Identifier: MIT
// Verb and option parsing against sv.c's table: every verb, its bytes, and its wait.
#include "svctl/commands.hpp"

#include <gtest/gtest.h>

namespace svtree::svctl {
namespace {

/// The bytes the action's commands put on supervise/control, to compare with sv.c's table.
std::string bytes_of(const Action& action) {
  std::string bytes;
  for (const Command command : action.commands) bytes += control_byte(command);
  return bytes;
}

struct VerbCase {
  const char* verb;
  Mode mode;
  const char* bytes;
  bool waits;
  bool kill;
};

TEST(ParseAction, EverySvVerbHasSvBytesAndWait) {
  const VerbCase cases[] = {
      {"up", Mode::kControl, "u", false, false},
      {"down", Mode::kControl, "d", false, false},
      {"once", Mode::kControl, "o", false, false},
      {"pause", Mode::kControl, "p", false, false},
      {"cont", Mode::kControl, "c", false, false},
      {"hup", Mode::kControl, "h", false, false},
      {"alarm", Mode::kControl, "a", false, false},
      {"interrupt", Mode::kControl, "i", false, false},
      {"quit", Mode::kControl, "q", false, false},
      {"1", Mode::kControl, "1", false, false},
      {"2", Mode::kControl, "2", false, false},
      {"term", Mode::kControl, "t", false, false},
      {"kill", Mode::kControl, "k", false, false},
      {"exit", Mode::kControl, "x", false, false},
      {"start", Mode::kControl, "u", true, false},
      {"stop", Mode::kControl, "d", true, false},
      {"reload", Mode::kControl, "h", true, false},
      {"restart", Mode::kControl, "tcu", true, false},
      {"shutdown", Mode::kControl, "x", true, false},
      {"force-stop", Mode::kControl, "d", true, true},
      {"force-reload", Mode::kControl, "tc", true, true},
      {"force-restart", Mode::kControl, "tcu", true, true},
      {"force-shutdown", Mode::kControl, "x", true, true},
      {"try-restart", Mode::kControl, "tc", true, false},
      {"check", Mode::kCheck, "", true, false},
      {"status", Mode::kStatus, "", false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.verb);
    auto action = parse_action(c.verb, false);
    ASSERT_TRUE(action.has_value());
    EXPECT_EQ(action->mode, c.mode);
    EXPECT_EQ(bytes_of(*action), c.bytes);
    EXPECT_EQ(action->waits, c.waits);
    EXPECT_EQ(action->kill_on_timeout, c.kill);
    if (c.mode == Mode::kControl) {
      EXPECT_EQ(action->conditions, c.bytes);
    }
  }
  EXPECT_EQ(parse_action("check", false)->conditions, "C");
}

TEST(ParseAction, FirstCharacterDecidesLikeSv) {
  EXPECT_EQ(bytes_of(*parse_action("u", false)), "u");
  EXPECT_EQ(bytes_of(*parse_action("upward", false)), "u");
  EXPECT_EQ(bytes_of(*parse_action("terminate", false)), "t");
  EXPECT_EQ(bytes_of(*parse_action("continue", false)), "c");
  EXPECT_EQ(bytes_of(*parse_action("e", false)), "x");
  EXPECT_EQ(parse_action("sxyz", false)->mode, Mode::kStatus);
  EXPECT_FALSE(parse_action("sxyz", true).has_value());  // LSB: only "status"
  EXPECT_FALSE(parse_action("rewind", false).has_value());
  EXPECT_FALSE(parse_action("force-it", false).has_value());
  EXPECT_FALSE(parse_action("zap", false).has_value());
  EXPECT_FALSE(parse_action("", false).has_value());
}

std::optional<Invocation> parse(std::vector<std::string> argv, std::string& error,
                                const char* svwait = nullptr) {
  return parse_invocation(argv, "/srv/sv", svwait, error);
}

TEST(ParseInvocation, OptionsAndServices) {
  std::string error;
  auto inv = parse({"svctl", "-w", "3", "restart", "web", "./db"}, error);
  ASSERT_TRUE(inv) << error;
  EXPECT_FALSE(inv->lsb);
  EXPECT_TRUE(inv->verbose);
  EXPECT_TRUE(inv->explicit_wait);
  EXPECT_DOUBLE_EQ(inv->wait_seconds, 3);
  EXPECT_EQ(inv->svdir, "/srv/sv");
  EXPECT_EQ(inv->services, (std::vector<std::string>{"web", "./db"}));

  inv = parse({"/usr/bin/svctl", "-vw0.5", "up", "web"}, error);
  ASSERT_TRUE(inv) << error;
  EXPECT_DOUBLE_EQ(inv->wait_seconds, 0.5);

  inv = parse({"svctl", "-v", "up", "web"}, error, "12");
  ASSERT_TRUE(inv) << error;
  EXPECT_TRUE(inv->verbose);
  EXPECT_FALSE(inv->explicit_wait);
  EXPECT_DOUBLE_EQ(inv->wait_seconds, 12);  // SVWAIT

  inv = parse({"svctl", "-w", "2", "up", "web"}, error, "12");
  ASSERT_TRUE(inv);
  EXPECT_DOUBLE_EQ(inv->wait_seconds, 2);  // -w beats SVWAIT
}

TEST(ParseInvocation, StatusAndCheckMayNameNothing) {
  std::string error;
  auto inv = parse({"svctl", "status"}, error);
  ASSERT_TRUE(inv);
  EXPECT_TRUE(inv->services.empty());
  inv = parse({"svctl", "status", "--json"}, error);
  ASSERT_TRUE(inv);
  EXPECT_TRUE(inv->json);
  inv = parse({"svctl", "--json", "status", "web"}, error);
  ASSERT_TRUE(inv);
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->services, std::vector<std::string>{"web"});
  EXPECT_TRUE(parse({"svctl", "check"}, error));
}

TEST(ParseInvocation, UsageErrors) {
  std::string error;
  EXPECT_FALSE(parse({"svctl"}, error));
  EXPECT_FALSE(parse({"svctl", "-v"}, error));
  EXPECT_FALSE(parse({"svctl", "up"}, error));
  EXPECT_NE(error.find("which service"), std::string::npos);
  EXPECT_FALSE(parse({"svctl", "-w", "soon", "up", "web"}, error));
  EXPECT_NE(error.find("soon"), std::string::npos);
  EXPECT_FALSE(parse({"svctl", "-w"}, error));
  EXPECT_FALSE(parse({"svctl", "-x", "up", "web"}, error));
  EXPECT_FALSE(parse({"svctl", "bogus", "web"}, error));
  EXPECT_FALSE(parse({"svctl", "--json", "up", "web"}, error));
}

TEST(ParseInvocation, InitScriptModeTakesTheServiceFromTheProgramName) {
  std::string error;
  auto inv = parse({"/etc/init.d/nginx", "start"}, error);
  ASSERT_TRUE(inv) << error;
  EXPECT_TRUE(inv->lsb);
  EXPECT_EQ(inv->services, std::vector<std::string>{"nginx"});
  EXPECT_FALSE(parse({"/etc/init.d/nginx", "sleep"}, error));
  inv = parse({"sv", "status", "x"}, error);
  ASSERT_TRUE(inv);
  EXPECT_FALSE(inv->lsb);
}

}  // namespace
}  // namespace svtree::svctl
