// SPDX-License-Identifier: MIT
// Control bytes: runit's letters map both ways; everything else is ignored.
#include "svtree/control.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace svtree {
namespace {

TEST(Control, EveryRunitLetterRoundTrips) {
  for (char byte : std::string("udoxpchaiq12tkr")) {
    const auto command = parse_control_byte(byte);
    ASSERT_TRUE(command.has_value()) << byte;
    EXPECT_EQ(control_byte(*command), byte);
  }
}

TEST(Control, SignalsAreRunits) {
  EXPECT_EQ(signal_of(Command::kPause), SIGSTOP);
  EXPECT_EQ(signal_of(Command::kTerm), SIGTERM);
  EXPECT_EQ(signal_of(Command::kKill), SIGKILL);
  EXPECT_EQ(signal_of(Command::kUser2), SIGUSR2);
  EXPECT_EQ(signal_of(Command::kUp), 0);
}

TEST(Control, EveryOtherByteIsIgnored) {
  int known = 0;
  for (int value = 0; value < 256; ++value)
    if (parse_control_byte(static_cast<char>(value))) ++known;
  EXPECT_EQ(known, 15);
}

}  // namespace
}  // namespace svtree
