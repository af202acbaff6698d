// SPDX-License-Identifier: MIT
// ReadySet (issue 17): the catch-all's pipes behind one descriptor, each reported by key.
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "svscan/ready_set.hpp"
#include "svtree/pipe.hpp"

namespace svtree::svscan {
namespace {

std::vector<uint64_t> ready_keys(ReadySet& set) {
  std::array<uint64_t, 8> keys{};
  std::vector<uint64_t> out(keys.begin(), keys.begin() + set.ready(keys));
  std::sort(out.begin(), out.end());
  return out;
}

bool readable(int fd) {
  struct pollfd p {fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(ReadySet, ReportsTheKeysOfPipesWithDataUntilTheyAreRead) {
  ReadySet set;
  ASSERT_TRUE(set.valid());
  auto a = make_pipe();
  auto b = make_pipe();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(set.add(a->read_end.get(), 7).ok());
  ASSERT_TRUE(set.add(b->read_end.get(), 1u << 20).ok());
  EXPECT_TRUE(ready_keys(set).empty());
  EXPECT_FALSE(readable(set.fd()));
  ASSERT_EQ(::write(b->write_end.get(), "x", 1), 1);
  EXPECT_TRUE(readable(set.fd()));  // what the event loop watches
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{1u << 20}));
  // Level-triggered: still there until read.
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{1u << 20}));
  ASSERT_EQ(::write(a->write_end.get(), "y", 1), 1);
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{7, 1u << 20}));
  char c = 0;
  ASSERT_EQ(::read(b->read_end.get(), &c, 1), 1);
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{7}));
}

TEST(ReadySet, EndOfFileIsReadyAndARemovedPipeIsNot) {
  ReadySet set;
  auto a = make_pipe();
  auto b = make_pipe();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(set.add(a->read_end.get(), 1).ok());
  ASSERT_TRUE(set.add(b->read_end.get(), 2).ok());
  a->write_end.reset();  // every writer gone: the catch-all reads 0 and closes it
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{1}));
  set.remove(a->read_end.get());  // a paused source, or one about to be closed
  EXPECT_TRUE(ready_keys(set).empty());
  set.remove(a->read_end.get());  // twice: nothing to do
  ASSERT_EQ(::write(b->write_end.get(), "x", 1), 1);
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{2}));
  // Resumed: reported again, under its key.
  ASSERT_TRUE(set.add(a->read_end.get(), 1).ok());
  EXPECT_EQ(ready_keys(set), (std::vector<uint64_t>{1, 2}));
}

TEST(ReadySet, AddingOneDescriptorTwiceIsRefused) {
  ReadySet set;
  auto a = make_pipe();
  ASSERT_TRUE(a);
  ASSERT_TRUE(set.add(a->read_end.get(), 1).ok());
  const auto again = set.add(a->read_end.get(), 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, EEXIST);
}

TEST(ReadySet, ReportsAtMostAsManyKeysAsAsked) {
  ReadySet set;
  std::vector<Pipe> pipes;
  for (uint64_t key = 0; key < 5; ++key) {
    auto p = make_pipe();
    ASSERT_TRUE(p);
    ASSERT_TRUE(set.add(p->read_end.get(), key).ok());
    ASSERT_EQ(::write(p->write_end.get(), "x", 1), 1);
    pipes.push_back(std::move(*p));
  }
  std::array<uint64_t, 2> two{};
  EXPECT_EQ(set.ready(two), 2u);
  // The rest come next: the kernel's ready list rotates.
  std::vector<uint64_t> seen;
  for (int round = 0; round < 3; ++round) {
    const size_t n = set.ready(two);
    seen.insert(seen.end(), two.begin(), two.begin() + n);
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace svtree::svscan
