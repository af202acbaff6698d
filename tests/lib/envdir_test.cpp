// SPDX-License-Identifier: MIT
// envdir decoding and overlay, as chpst -e does it.
#include "svtree/envdir.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace svtree {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(Envdir, FirstLineTrailingBlanksNulAsNewline) {
  EXPECT_EQ(decode_envdir_value("value  \t\nsecond line\n"), "value");
  EXPECT_EQ(decode_envdir_value(std::string("a\0b", 3)), "a\nb");
  EXPECT_EQ(decode_envdir_value("\n"), "");
  EXPECT_FALSE(decode_envdir_value("").has_value());
}

TEST(Envdir, OverlaysSetsAndUnsets) {
  TempDir dir;
  write_file(dir / "PORT", "8080\n");
  write_file(dir / "HOME", "");
  write_file(dir / ".hidden", "x");
  write_file(dir / "BAD=NAME", "x");
  std::vector<std::string> warnings;
  auto changes = read_envdir(dir.path(), warnings);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(warnings.size(), 1u);
  const auto env = apply_env_changes({"HOME=/root", "PATH=/bin", "PORT=1"}, *changes);
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "PORT=8080"}));
}

TEST(Envdir, MissingDirectoryIsNoChange) {
  std::vector<std::string> warnings;
  auto changes = read_envdir("/nonexistent/env", warnings);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->empty());
}

}  // namespace
}  // namespace svtree
