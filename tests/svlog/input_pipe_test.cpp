// SPDX-License-Identifier: MIT
// InputPipeGrowth: only a pipe that keeps arriving full is made larger, and only once.
#include <gtest/gtest.h>

#include "svlog/input_pipe.hpp"

namespace svtree::svlog {
namespace {

constexpr size_t kFull = InputPipeGrowth::kDefaultPipe;

TEST(InputPipeGrowth, FullReadsInARowGrowThePipeOnce) {
  InputPipeGrowth growth;
  for (int i = 1; i < InputPipeGrowth::kFullReads; ++i) EXPECT_FALSE(growth.on_read(kFull));
  EXPECT_TRUE(growth.on_read(kFull));
  for (int i = 0; i < 3 * InputPipeGrowth::kFullReads; ++i) EXPECT_FALSE(growth.on_read(kFull));
}

TEST(InputPipeGrowth, AShortReadStartsTheCountAgain) {
  InputPipeGrowth growth;
  for (int round = 0; round < 10; ++round) {
    for (int i = 1; i < InputPipeGrowth::kFullReads; ++i) EXPECT_FALSE(growth.on_read(kFull));
    EXPECT_FALSE(growth.on_read(kFull - 1));
  }
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(growth.on_read(100));
}

}  // namespace
}  // namespace svtree::svlog
