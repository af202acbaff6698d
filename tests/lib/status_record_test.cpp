// SPDX-License-Identifier: MIT
// The status record byte for byte: runit's 20 bytes, daemontools' 18, our extension.
#include "svtree/status_record.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace svtree {
namespace {

StatusRecord running_record() {
  StatusRecord record;
  record.since = Tai64n{Tai64n::kUnixEpochLabel + 1000, 5};
  record.pid = 0x01020304;
  record.want_up = true;
  record.state = RunState::kRun;
  return record;
}

TEST(StatusRecord, RunitLayout) {
  const auto bytes = running_record().pack();
  ASSERT_EQ(bytes.size(), StatusRecord::kRunitSize);
  EXPECT_EQ(bytes[0], 0x40);
  EXPECT_EQ(bytes[11], 5);
  // pid little-endian at 12.
  EXPECT_EQ(bytes[12], 0x04);
  EXPECT_EQ(bytes[15], 0x01);
  EXPECT_EQ(bytes[16], 0);
  EXPECT_EQ(bytes[17], 'u');
  EXPECT_EQ(bytes[18], 0);
  EXPECT_EQ(bytes[19], 1);
}

TEST(StatusRecord, StatusIsRunitsTwentyBytesEvenWithAnExtension) {
  StatusRecord record = running_record();
  record.extension = StatusExtension{};
  EXPECT_EQ(record.pack().size(), StatusRecord::kRunitSize);
}

TEST(StatusRecord, ExtendedLayoutAndRoundTrip) {
  StatusRecord record = running_record();
  StatusExtension ext;
  ext.ready_since = Tai64n{Tai64n::kUnixEpochLabel + 1001, 0};
  ext.last_wait_status = 0x0100;
  ext.start_count = 7;
  ext.flags = StatusExtension::kFlagReady | StatusExtension::kFlagEssential;
  ext.run_start_time = 0x0102030405ULL;
  ext.phase = Phase::kBackoff;
  ext.failed_starts = 3;
  ext.next_start = Tai64n{Tai64n::kUnixEpochLabel + 2002, 5};
  ext.health = 1;
  ext.restart_delay_ms = 4000;
  record.extension = ext;
  const auto status = record.pack();
  const auto bytes = record.pack_extended();
  ASSERT_EQ(bytes.size(), StatusRecord::kExtendedSize);
  // The layout documented in man supervise.8, byte by byte where it matters.
  EXPECT_TRUE(std::equal(status.begin(), status.end(), bytes.begin()));
  EXPECT_EQ(bytes[20], 2);
  EXPECT_EQ(bytes[33], 0x00);
  EXPECT_EQ(bytes[34], 0x01);
  EXPECT_EQ(bytes[37], 7);
  EXPECT_EQ(bytes[41], 5);
  EXPECT_EQ(bytes[42], 0x05);
  EXPECT_EQ(bytes[46], 0x01);
  EXPECT_EQ(bytes[50], 5);
  EXPECT_EQ(bytes[51], 3);
  EXPECT_EQ(bytes[67], 1);
  EXPECT_EQ(bytes[68], 0xa0);
  EXPECT_EQ(bytes[69], 0x0f);
  const auto back = StatusRecord::unpack_extended(status, bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, ext);
}

TEST(StatusRecord, ExtendedRecordIsIgnoredUnlessItsCopyMatchesStatus) {
  StatusRecord record = running_record();
  record.extension = StatusExtension{};
  const auto extended = record.pack_extended();
  StatusRecord later = record;
  later.pid = 4242;  // runsv took the directory over and wrote its own status
  EXPECT_FALSE(StatusRecord::unpack_extended(later.pack(), extended).has_value());
  EXPECT_TRUE(StatusRecord::unpack_extended(record.pack(), extended).has_value());
  // Version 1 (the 42-byte status of old svtree) is no extended record.
  auto old = extended;
  old[20] = 1;
  EXPECT_FALSE(StatusRecord::unpack_extended(record.pack(), old).has_value());
}

TEST(StatusRecord, ReadsRunitAndDaemontoolsSizes) {
  auto bytes = running_record().pack();
  const auto runit = StatusRecord::unpack(bytes);
  ASSERT_TRUE(runit.has_value());
  EXPECT_FALSE(runit->extension.has_value());
  EXPECT_EQ(runit->pid, 0x01020304);
  bytes.resize(StatusRecord::kDaemontoolsSize);
  const auto daemontools = StatusRecord::unpack(bytes);
  ASSERT_TRUE(daemontools.has_value());
  EXPECT_EQ(daemontools->state, RunState::kRun);
  bytes.resize(10);
  EXPECT_FALSE(StatusRecord::unpack(bytes).has_value());
}

TEST(StatusRecord, LaterVersionsMayAppend) {
  StatusRecord record = running_record();
  record.extension = StatusExtension{};
  auto bytes = record.pack_extended();
  bytes.push_back(0xee);
  EXPECT_TRUE(StatusRecord::unpack_extended(record.pack(), bytes).has_value());
}

TEST(StatusRecord, StatTextAsRunsvWritesIt) {
  StatusRecord record = running_record();
  EXPECT_EQ(record.stat_text(), "run\n");
  record.want_up = false;
  record.got_term = true;
  EXPECT_EQ(record.stat_text(), "run, got TERM, want down\n");
  EXPECT_EQ(record.stat_text(true), "run, got TERM, want exit\n");
  record.paused = true;
  record.got_term = false;
  EXPECT_EQ(record.stat_text(), "run, paused, want down\n");
  StatusRecord down;
  EXPECT_EQ(down.stat_text(), "down\n");
  down.want_up = true;
  EXPECT_EQ(down.stat_text(), "down\n");
  EXPECT_EQ(down.pid_text(), "");
  EXPECT_EQ(running_record().pid_text(), "16909060\n");
}

}  // namespace
}  // namespace svtree
