// SPDX-License-Identifier: MIT
// The status record byte for byte: runit's 20 bytes, daemontools' 18, our extension.
#include "svtree/status_record.hpp"

#include <gtest/gtest.h>

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

TEST(StatusRecord, ExtensionLayoutAndRoundTrip) {
  StatusRecord record = running_record();
  StatusExtension ext;
  ext.ready_since = Tai64n{Tai64n::kUnixEpochLabel + 1001, 0};
  ext.last_wait_status = 0x0100;
  ext.start_count = 7;
  ext.flags = StatusExtension::kFlagReady | StatusExtension::kFlagEssential;
  record.extension = ext;
  const auto bytes = record.pack();
  ASSERT_EQ(bytes.size(), StatusRecord::kSvtreeSize);
  EXPECT_EQ(bytes[20], 1);
  EXPECT_EQ(bytes[33], 0x00);
  EXPECT_EQ(bytes[34], 0x01);
  EXPECT_EQ(bytes[37], 7);
  EXPECT_EQ(bytes[41], 5);
  const auto back = StatusRecord::unpack(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, record);
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
  auto bytes = record.pack();
  bytes.push_back(0xee);
  const auto back = StatusRecord::unpack(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->extension.has_value());
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
