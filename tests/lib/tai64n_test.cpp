// SPDX-License-Identifier: MIT
// TAI64N: the runit/daemontools epoch offset and the label format svlogd uses.
#include "svtree/tai64n.hpp"

#include <gtest/gtest.h>

namespace svtree {
namespace {

TEST(Tai64n, UnixEpochIsRunitsLabel) {
  const Tai64n stamp = Tai64n::from_timespec(timespec{0, 0});
  EXPECT_EQ(stamp.label(), "@400000000000000a00000000");
}

TEST(Tai64n, PackIsBigEndian) {
  const Tai64n stamp{0x4000000012345678ULL, 0x0a0b0c0d};
  const auto bytes = stamp.pack();
  const std::array<uint8_t, 12> expected{0x40, 0, 0, 0, 0x12, 0x34, 0x56, 0x78,
                                         0x0a, 0x0b, 0x0c, 0x0d};
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(Tai64n::unpack(bytes), stamp);
}

TEST(Tai64n, LabelRoundTrips) {
  const Tai64n stamp = Tai64n::from_timespec(timespec{1700000000, 123456789});
  const auto parsed = Tai64n::parse_label(stamp.label());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, stamp);
  EXPECT_EQ(parsed->unix_seconds(), 1700000000);
}

TEST(Tai64n, RejectsMalformedLabels) {
  EXPECT_FALSE(Tai64n::parse_label("400000000000000a00000000").has_value());
  EXPECT_FALSE(Tai64n::parse_label("@400000000000000a0000000g").has_value());
  EXPECT_FALSE(Tai64n::parse_label("@400000000000000a0000000").has_value());
}

}  // namespace
}  // namespace svtree
