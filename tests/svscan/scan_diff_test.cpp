// SPDX-License-Identifier: MIT
// diff_scan: identity by dev+inode, renames, log/ changes, duplicates.
#include "svscan/scan_diff.hpp"

#include <gtest/gtest.h>

namespace svtree::svscan {
namespace {

ScanEntry entry(const std::string& name, ino_t ino, std::optional<ino_t> log = std::nullopt) {
  ScanEntry e;
  e.name = name;
  e.id = {1, ino};
  if (log) e.log = FileId{1, *log};
  return e;
}

KnownService known(const std::string& name, ino_t ino, std::optional<ino_t> log = std::nullopt) {
  KnownService k;
  k.name = name;
  k.id = {1, ino};
  if (log) k.log = FileId{1, *log};
  return k;
}

TEST(ScanDiff, EmptyTreeStartsEverything) {
  const std::vector<ScanEntry> listing = {entry("a", 10), entry("b", 11, 20)};
  const ScanDiff diff = diff_scan({}, listing);
  EXPECT_EQ(diff.added, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(diff.removed.empty());
}

TEST(ScanDiff, UnchangedListingIsEmptyDiff) {
  const std::vector<KnownService> have = {known("a", 10), known("b", 11, 20)};
  const std::vector<ScanEntry> listing = {entry("b", 11, 20), entry("a", 10)};
  EXPECT_TRUE(diff_scan(have, listing).empty());
}

TEST(ScanDiff, RenameKeepsIdentity) {
  const std::vector<KnownService> have = {known("a", 10)};
  const std::vector<ScanEntry> listing = {entry("z", 10)};
  const ScanDiff diff = diff_scan(have, listing);
  ASSERT_EQ(diff.renamed.size(), 1u);
  EXPECT_EQ(diff.renamed[0].known, 0u);
  EXPECT_EQ(diff.renamed[0].entry, 0u);
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
}

TEST(ScanDiff, SameNameNewInodeIsRemoveAndAdd) {
  const std::vector<KnownService> have = {known("a", 10)};
  const std::vector<ScanEntry> listing = {entry("a", 99)};
  const ScanDiff diff = diff_scan(have, listing);
  EXPECT_EQ(diff.removed, (std::vector<size_t>{0}));
  EXPECT_EQ(diff.added, (std::vector<size_t>{0}));
}

TEST(ScanDiff, LogAddedRemovedReplaced) {
  const std::vector<KnownService> have = {known("a", 10), known("b", 11, 21), known("c", 12, 22)};
  const std::vector<ScanEntry> listing = {entry("a", 10, 20), entry("b", 11), entry("c", 12, 23)};
  const ScanDiff diff = diff_scan(have, listing);
  ASSERT_EQ(diff.log_added.size(), 1u);
  EXPECT_EQ(diff.log_added[0].known, 0u);
  ASSERT_EQ(diff.log_removed.size(), 1u);
  EXPECT_EQ(diff.log_removed[0].known, 1u);
  ASSERT_EQ(diff.log_replaced.size(), 1u);
  EXPECT_EQ(diff.log_replaced[0].known, 2u);
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
}

TEST(ScanDiff, RemovedServiceListed) {
  const std::vector<KnownService> have = {known("a", 10), known("b", 11)};
  const std::vector<ScanEntry> listing = {entry("b", 11)};
  EXPECT_EQ(diff_scan(have, listing).removed, (std::vector<size_t>{0}));
}

TEST(ScanDiff, TwoNamesForOneDirectoryCountOnce) {
  const std::vector<ScanEntry> listing = {entry("a", 10), entry("link-to-a", 10)};
  const ScanDiff diff = diff_scan({}, listing);
  EXPECT_EQ(diff.added, (std::vector<size_t>{0}));
  ASSERT_EQ(diff.duplicates.size(), 1u);
  EXPECT_EQ(diff.duplicates[0].entry, 1u);
  EXPECT_EQ(diff.duplicates[0].first, 0u);
}

TEST(ScanDiff, TwoNamesForOneDirectoryKeepTheKnownNameElseTheFirstInOrder) {
  // Whatever readdir's order: the first name in sorted order for a new service...
  const std::vector<ScanEntry> listing = {entry("web-1", 10), entry("web", 10)};
  ScanDiff diff = diff_scan({}, listing);
  EXPECT_EQ(diff.added, (std::vector<size_t>{1}));
  ASSERT_EQ(diff.duplicates.size(), 1u);
  EXPECT_EQ(diff.duplicates[0].entry, 0u);
  EXPECT_EQ(diff.duplicates[0].first, 1u);
  // ...and the name a running service has: never a rename between the two.
  const std::vector<KnownService> have = {known("web-1", 10)};
  diff = diff_scan(have, listing);
  EXPECT_TRUE(diff.empty());
  EXPECT_TRUE(diff.renamed.empty());
  ASSERT_EQ(diff.duplicates.size(), 1u);
  EXPECT_EQ(diff.duplicates[0].entry, 1u);
}

TEST(ScanDiff, InstancesOfOneTemplateAreServicesOfTheirOwn) {
  // Built, not assigned from a literal: GCC 12 -O3's bogus -Wrestrict (bug 105329).
  std::vector<ScanEntry> listing = {entry("worker@1", 10), entry("worker@2", 10)};
  listing[0].instance = std::string(1, '1');
  listing[1].instance = std::string(1, '2');
  ScanDiff diff = diff_scan({}, listing);
  EXPECT_EQ(diff.added, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(diff.duplicates.empty());
  // One removed: the other stays, untouched.
  std::vector<KnownService> have = {known("worker@1", 10), known("worker@2", 10)};
  have[0].instance = listing[0].instance;
  have[1].instance = listing[1].instance;
  diff = diff_scan(have, std::span(listing).subspan(1));
  EXPECT_EQ(diff.removed, (std::vector<size_t>{0}));
  EXPECT_TRUE(diff.renamed.empty());
  EXPECT_TRUE(diff.added.empty());
}

TEST(ScanDiff, SameInodeOnAnotherDeviceIsAnotherService) {
  std::vector<ScanEntry> listing = {entry("a", 10), entry("b", 10)};
  listing[1].id.dev = 2;
  EXPECT_EQ(diff_scan({}, listing).added.size(), 2u);
}

}  // namespace
}  // namespace svtree::svscan
