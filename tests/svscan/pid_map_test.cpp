// SPDX-License-Identifier: MIT
// PidMap (issue 17): the tree's supervise processes by pid, a sorted vector.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "svscan/pid_map.hpp"

namespace svtree::svscan {
namespace {

std::vector<pid_t> pids_of(const PidMap<std::string>& map) {
  std::vector<pid_t> pids;
  for (const auto& [pid, value] : map) pids.push_back(pid);
  return pids;
}

// "p" + the pid, by append: GCC 12's -O3 warns (-Wrestrict, a false positive) on the
// insert that const char* + std::string&& makes.
std::string label_of(pid_t pid) {
  std::string label = "p";
  label += std::to_string(pid);
  return label;
}

TEST(PidMap, FindsWhatWasAddedInAnyOrderAndIteratesByPid) {
  PidMap<std::string> map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.find(5), map.end());
  // Growing pids (the usual case), then a wrapped-around small one, then one between.
  for (const pid_t pid : {100, 200, 300, 7, 150}) {
    const auto [at, added] = map.emplace(pid, label_of(pid));
    EXPECT_TRUE(added);
    EXPECT_EQ(at->first, pid);
  }
  EXPECT_EQ(map.size(), 5u);
  EXPECT_EQ(pids_of(map), (std::vector<pid_t>{7, 100, 150, 200, 300}));
  for (const pid_t pid : {7, 100, 150, 200, 300}) {
    const auto found = map.find(pid);
    ASSERT_NE(found, map.end());
    EXPECT_EQ(found->second, label_of(pid));
  }
  EXPECT_EQ(map.find(1), map.end());
  EXPECT_EQ(map.find(250), map.end());
  EXPECT_EQ(map.find(301), map.end());
  const PidMap<std::string>& read_only = map;
  EXPECT_EQ(read_only.find(150)->second, "p150");
  EXPECT_EQ(read_only.find(151), read_only.end());
}

TEST(PidMap, AnExistingPidIsLeftAsItIs) {
  PidMap<std::string> map;
  map.emplace(42, "first");
  const auto [at, added] = map.emplace(42, "second");
  EXPECT_FALSE(added);
  EXPECT_EQ(at->second, "first");
  EXPECT_EQ(map.size(), 1u);
}

TEST(PidMap, EraseByIteratorOrPidKeepsTheRestFindable) {
  PidMap<std::string> map;
  for (const pid_t pid : {10, 20, 30, 40}) map.emplace(pid, std::to_string(pid));
  map.erase(map.find(20));
  EXPECT_EQ(map.erase(40), 1u);
  EXPECT_EQ(map.erase(40), 0u);
  EXPECT_EQ(map.erase(25), 0u);
  EXPECT_EQ(pids_of(map), (std::vector<pid_t>{10, 30}));
  EXPECT_EQ(map.find(30)->second, "30");
  EXPECT_EQ(map.find(20), map.end());
  // A pid reused after its entry went is a new entry.
  EXPECT_TRUE(map.emplace(20, "again").second);
  EXPECT_EQ(map.find(20)->second, "again");
}

TEST(PidMap, AThousandSupervisorsComeAndGo) {
  PidMap<int> map;
  for (pid_t pid = 1000; pid < 3000; pid += 2) map.emplace(pid, pid * 2);
  ASSERT_EQ(map.size(), 1000u);
  for (pid_t pid = 1000; pid < 3000; pid += 4) EXPECT_EQ(map.erase(pid), 1u);
  EXPECT_EQ(map.size(), 500u);
  pid_t last = 0;
  for (const auto& [pid, value] : map) {
    EXPECT_GT(pid, last);
    EXPECT_EQ(value, pid * 2);
    EXPECT_EQ((pid - 1002) % 4, 0);
    last = pid;
  }
}

}  // namespace
}  // namespace svtree::svscan
