// SPDX-License-Identifier: MIT
// process: the signal wrappers never reach beyond the one process or group meant.
#include "svtree/process.hpp"

#include <gtest/gtest.h>

namespace svtree {
namespace {

TEST(Process, SignalGuardsNeverHitEverything) {
  // pid 0 would be our own group, -1 every process we may signal, group 1 init's.
  EXPECT_FALSE(signal_process(0, 0));
  EXPECT_FALSE(signal_process(-1, 0));
  EXPECT_FALSE(signal_process_group(1, 0));
}

}  // namespace
}  // namespace svtree
