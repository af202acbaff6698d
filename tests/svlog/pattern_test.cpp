// SPDX-License-Identifier: MIT
// svlogd's pattern rules, including the cases svlogd(8) spells out and runit's quirks,
// each checked against the real svlogd 2.1.2 while writing these tests.
#include "svlog/pattern.hpp"

#include <gtest/gtest.h>

namespace svtree::svlog {
namespace {

TEST(Pattern, OrdinaryCharactersMustMatchTheWholeText) {
  EXPECT_TRUE(pattern_matches("abc", "abc"));
  EXPECT_FALSE(pattern_matches("abc", "abcd"));
  EXPECT_FALSE(pattern_matches("abc", "ab"));
  EXPECT_TRUE(pattern_matches("", ""));
  EXPECT_FALSE(pattern_matches("", "x"));
}

TEST(Pattern, StarAtTheEndMatchesAnything) {
  EXPECT_TRUE(pattern_matches("*", ""));
  EXPECT_TRUE(pattern_matches("*", "anything at all"));
  EXPECT_TRUE(pattern_matches("err*", "err one"));
  EXPECT_FALSE(pattern_matches("err*", "warn"));
}

TEST(Pattern, StarStopsAtTheFirstOccurrenceOfTheNextCharacter) {
  // svlogd(8)'s own example: no backtracking.
  const char* line = "tcpsvd: info: pid 1977 from 10.4.1.14";
  EXPECT_FALSE(pattern_matches("*pid*", line));
  EXPECT_TRUE(pattern_matches("*: *: pid *", line));
  EXPECT_TRUE(pattern_matches("*keep", "foo keep"));
  EXPECT_TRUE(pattern_matches("*keep", "keep"));
  EXPECT_FALSE(pattern_matches("*x", "abc"));
}

TEST(Pattern, PlusRepeatsTheNextCharacter) {
  EXPECT_TRUE(pattern_matches("a+bc", "abbbc"));
  EXPECT_TRUE(pattern_matches("a+bc", "abc"));
  EXPECT_FALSE(pattern_matches("a+bc", "ac"));
  // "ab+c": after "ab" the text is "bbc" and + wants a 'c' there (runit says no, too).
  EXPECT_FALSE(pattern_matches("ab+c", "abbbc"));
  // runit's quirk: the text ending inside the run is a match even with pattern left.
  EXPECT_TRUE(pattern_matches("a+bzzz", "abbb"));
}

}  // namespace
}  // namespace svtree::svlog
