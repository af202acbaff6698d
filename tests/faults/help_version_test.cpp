// SPDX-License-Identifier: MIT
// Every program answers --help and --version (DESIGN.md §6; issue 12): exit 0, text on
// stdout, nothing else done (supervise used to take --help for a service directory).
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace svtree::testing {
namespace {

class HelpVersion : public ::testing::TestWithParam<const char*> {};

std::string program_name(const ::testing::TestParamInfo<const char*>& param) {
  return std::string(param.param).substr(7);  // after SVTREE_
}

TEST_P(HelpVersion, HelpAndVersionAnswerOnStdoutAndExitZero) {
  const std::string binary = binary_from_env(GetParam());
  if (binary.empty()) GTEST_SKIP() << GetParam() << " is not set: run through meson test";
  // Run in an empty directory: a program that took --help for a directory would leave
  // something there (supervise makes DIR/supervise).
  TempDir cwd;
  const std::string name = binary.substr(binary.rfind('/') + 1);
  const auto help = run_command({"/bin/sh", "-c", "cd \"$1\" && exec \"$2\" --help", "sh",
                                 cwd.path(), binary});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out.rfind("usage: " + name, 0), 0u) << help.out;
  EXPECT_EQ(help.err, "");
  const auto version = run_command({"/bin/sh", "-c", "cd \"$1\" && exec \"$2\" --version", "sh",
                                    cwd.path(), binary});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out.rfind(name + " (svtree) ", 0), 0u) << version.out;
  EXPECT_EQ(version.err, "");
  EXPECT_FALSE(file_exists(cwd / "--help")) << "took --help for a directory";
  EXPECT_FALSE(file_exists(cwd / "--version"));
}

INSTANTIATE_TEST_SUITE_P(Programs, HelpVersion,
                         ::testing::Values("SVTREE_SVSCAN", "SVTREE_SUPERVISE", "SVTREE_SVCTL"),
                         program_name);

}  // namespace
}  // namespace svtree::testing
