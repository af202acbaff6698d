// SPDX-License-Identifier: MIT
// escape_name: ordinary names unchanged, control bytes and invalid UTF-8 escaped (issue 12).
#include "svtree/escape.hpp"

#include <gtest/gtest.h>

namespace svtree {
namespace {

TEST(EscapeName, OrdinaryNamesPrintAsThemselves) {
  EXPECT_EQ(escape_name("web"), "web");
  EXPECT_EQ(escape_name("web/log"), "web/log");
  EXPECT_EQ(escape_name("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(EscapeName, ControlBytesCannotForgeALine) {
  EXPECT_EQ(escape_name("a\nsvscan: fatal: x"), "a\\nsvscan: fatal: x");
  EXPECT_EQ(escape_name("a\tb\rc"), "a\\tb\\rc");
  EXPECT_EQ(escape_name(std::string("a\0b\x1b[2J\x7f", 8)), "a\\x00b\\x1b[2J\\x7f");
  // C1 controls (U+0085 NEL, U+009B CSI) too.
  EXPECT_EQ(escape_name("a\xc2\x85" "b\xc2\x9b"), "a\\xc2\\x85b\\xc2\\x9b");
}

TEST(EscapeName, BackslashIsEscapedSoTheBytesCanBeRecovered) {
  EXPECT_EQ(escape_name("a\\nb"), "a\\\\nb");
  EXPECT_NE(escape_name("a\\nb"), escape_name("a\nb"));
}

TEST(EscapeName, InvalidUtf8BecomesHexBytes) {
  EXPECT_EQ(escape_name("\xff"), "\\xff");
  EXPECT_EQ(escape_name("a\xc3"), "a\\xc3");                  // truncated
  EXPECT_EQ(escape_name("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(escape_name("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(escape_name("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(escape_name("\xe2\x82"), "\\xe2\\x82");
}

TEST(Utf8SequenceLength, FollowsTheStandardTable) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_sequence_length("\xef\xbf\xbd", 0), 3u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("\xc1\xbf", 0), 0u);
}

}  // namespace
}  // namespace svtree
