// SPDX-License-Identifier: MIT
// down-signal spellings.
#include "svtree/signal_name.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace svtree {
namespace {

TEST(SignalName, AcceptsNamesPrefixesAndNumbers) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGINT\n"), SIGINT);
  EXPECT_EQ(parse_signal(" hup "), SIGHUP);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
  EXPECT_EQ(signal_name(SIGUSR1), "USR1");
}

TEST(SignalName, RejectsGarbage) {
  EXPECT_FALSE(parse_signal("").has_value());
  EXPECT_FALSE(parse_signal("0").has_value());
  EXPECT_FALSE(parse_signal("65").has_value());
  EXPECT_FALSE(parse_signal("TERMINATE").has_value());
  EXPECT_FALSE(parse_signal("1x").has_value());
}

}  // namespace
}  // namespace svtree
