// SPDX-License-Identifier: MIT
// sv's status line, flag by flag, and the table and JSON built on the same facts.
#include "svctl/status_format.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

#include "svtree/health_check.hpp"

namespace svtree::svctl {
namespace {

constexpr int64_t kNow = 1'700'000'100;

Snapshot snapshot(RunState state, pid_t pid, bool want_up, bool normally_up = true) {
  Snapshot snap;
  snap.presence = Presence::kSupervised;
  snap.normally_up = normally_up;
  StatusRecord rec;
  rec.since = Tai64n{Tai64n::kUnixEpochLabel + 1'700'000'000, 5};
  rec.state = state;
  rec.pid = pid;
  rec.want_up = want_up;
  snap.record = rec;
  return snap;
}

TEST(SvStatusFragment, RunningService) {
  EXPECT_EQ(sv_status_fragment("web", snapshot(RunState::kRun, 42, true), kNow),
            "run: web: (pid 42) 100s");
}

TEST(SvStatusFragment, FlagsInSvOrder) {
  auto snap = snapshot(RunState::kRun, 42, false, false);
  snap.record->paused = true;
  snap.record->got_term = true;
  EXPECT_EQ(sv_status_fragment("web", snap, kNow),
            "run: web: (pid 42) 100s, normally down, paused, want down, got TERM");
}

TEST(SvStatusFragment, DownWantedUpAndNormallyUp) {
  EXPECT_EQ(sv_status_fragment("db", snapshot(RunState::kDown, 0, true), kNow),
            "down: db: 100s, normally up, want up");
  // Down as wanted and normally down: no flag at all.
  EXPECT_EQ(sv_status_fragment("db", snapshot(RunState::kDown, 0, false, false), kNow),
            "down: db: 100s");
}

TEST(SvStatusFragment, FinishShowsFinishPid) {
  EXPECT_EQ(sv_status_fragment("db", snapshot(RunState::kFinish, 77, true), kNow),
            "finish: db: (pid 77) 100s");
}

TEST(SvStatusFragment, StampInTheFutureCountsAsZero) {
  EXPECT_EQ(sv_status_fragment("db", snapshot(RunState::kRun, 9, true), kNow - 1000),
            "run: db: (pid 9) 0s");
}

TEST(HumanDuration, Units) {
  EXPECT_EQ(human_duration(0), "0s");
  EXPECT_EQ(human_duration(59), "59s");
  EXPECT_EQ(human_duration(187), "3m07s");
  EXPECT_EQ(human_duration(7500), "2h05m");
  EXPECT_EQ(human_duration(4 * 86400 + 3 * 3600 + 5), "4d03h");
}

TEST(DescribeLastExit, FromTheExtension) {
  auto snap = snapshot(RunState::kRun, 1, true);
  EXPECT_EQ(describe_last_exit(snap), "");  // runsv: no extension
  snap.record->extension = StatusExtension{};
  EXPECT_EQ(describe_last_exit(snap), "");  // none yet
  snap.record->extension->last_wait_status = 3 << 8;
  EXPECT_EQ(describe_last_exit(snap), "exit 3");
  snap.record->extension->last_wait_status = 9;
  EXPECT_EQ(describe_last_exit(snap), "signal KILL");
}

TEST(StatusTable, AlignedWithReadinessAndProblems) {
  std::vector<StatusRow> rows;
  auto web = snapshot(RunState::kRun, 1234, true);
  web.record->extension = StatusExtension{};
  web.record->extension->flags = StatusExtension::kFlagReady;
  web.record->extension->last_wait_status = 1 << 8;
  rows.push_back({{"web", "/s/web"}, web});
  rows.push_back({{"web/log", "/s/web/log"}, snapshot(RunState::kRun, 7, true)});
  Snapshot gone;
  gone.presence = Presence::kNotSupervised;
  rows.push_back({{"cron", "/s/cron"}, gone});
  // Issue 13: the phase says why a service is down; RESTARTS counts starts after the first.
  auto api = snapshot(RunState::kDown, 0, true);
  api.record->extension = StatusExtension{};
  api.record->extension->phase = Phase::kBackoff;
  api.record->extension->start_count = 12;
  api.record->extension->last_wait_status = SIGSEGV | 0x80;
  rows.push_back({{"api", "/s/api"}, api});
  auto batch = snapshot(RunState::kDown, 0, false);
  batch.record->extension = StatusExtension{};
  batch.record->extension->phase = Phase::kFailed;
  batch.record->extension->start_count = 4;
  batch.record->extension->last_wait_status = 2 << 8;
  rows.push_back({{"batch", "/s/batch"}, batch});
  const std::string table = status_table(rows, kNow);
  EXPECT_EQ(table,
            "SERVICE  STATE    PID   TIME   READY  RESTARTS  LAST-EXIT           NOTES\n"
            "web      run      1234  1m40s  yes    0         exit 1\n"
            "web/log  run      7     1m40s  -      -         -\n"
            "cron     ?        -     -      -      -         -                   not supervised: "
            "no supervisor is running on /s/cron\n"
            "api      backoff  -     1m40s  -      11        signal SEGV (core)  normally up, want "
            "up\n"
            "batch    failed   -     1m40s  -      3         exit 2              normally up\n");
}

TEST(StatusTable, ReadyColumnSaysWhenTheCheckFails) {
  auto api = snapshot(RunState::kRun, 31, true);
  api.record->extension = StatusExtension{};
  api.record->extension->flags = StatusExtension::kFlagReady;
  api.record->extension->health = static_cast<uint8_t>(Health::kFailing);
  const std::string table = status_table({{{"api", "/s/api"}, api}}, kNow);
  EXPECT_NE(table.find("api      run    31   1m40s  failing"), std::string::npos) << table;
  EXPECT_NE(status_json({{{"api", "/s/api"}, api}}, kNow).find("\"ready\":true,\"health\":\"failing\""),
            std::string::npos);
}

TEST(StatusJson, OneObjectPerServiceWithItsLogNested) {
  std::vector<StatusRow> rows;
  auto web = snapshot(RunState::kRun, 12, true);
  web.record->extension = StatusExtension{};
  web.record->extension->start_count = 3;
  web.record->extension->last_wait_status = 15;  // killed by TERM
  rows.push_back({{"we\"b", "/s/web"}, web});
  rows.push_back({{"we\"b/log", "/s/web/log"}, snapshot(RunState::kDown, 0, false, false)});
  const std::string json = status_json(rows, kNow);
  EXPECT_EQ(json,
            "[\n{\"name\":\"we\\\"b\",\"dir\":\"/s/web\",\"supervised\":true,\"state\":\"run\","
            "\"pid\":12,\"since\":1700000000.000000005,\"seconds\":100,\"want\":\"up\","
            "\"paused\":false,\"got_term\":false,\"ready\":false,\"health\":\"unknown\","
            "\"normally\":\"up\","
            "\"last_exit\":{\"signal\":\"TERM\",\"core\":false},\"start_count\":3,"
            "\"phase\":\"down\",\"restarts\":2,\"failed_starts\":0,\"waiting_for\":[],\"error\":null,"
            "\"log\":{\"name\":\"we\\\"b/log\",\"dir\":\"/s/web/log\","
            "\"supervised\":true,\"state\":\"down\",\"pid\":null,"
            "\"since\":1700000000.000000005,\"seconds\":100,\"want\":\"down\","
            "\"paused\":false,\"got_term\":false,\"ready\":null,\"health\":null,"
            "\"normally\":\"down\","
            "\"last_exit\":null,\"start_count\":null,\"phase\":null,\"restarts\":null,"
            "\"failed_starts\":null,\"waiting_for\":[],\"error\":null}}\n]\n");
  EXPECT_EQ(status_json({}, kNow), "[]\n");
}

// Issue 12, item 11: JSON is always valid UTF-8; the table and sv lines escape C style.
TEST(StatusJson, InvalidUtf8BecomesReplacementCharacter) {
  std::vector<StatusRow> rows;
  rows.push_back({{"caf\xe9\n\xc3\xa9", "/s/caf\xe9"}, snapshot(RunState::kDown, 0, true)});
  const std::string json = status_json(rows, kNow);
  EXPECT_NE(json.find("{\"name\":\"caf\\ufffd\\n\xc3\xa9\",\"dir\":\"/s/caf\\ufffd\""),
            std::string::npos)
      << json;
  EXPECT_EQ(sv_status_fragment("a\nb\xff", snapshot(RunState::kDown, 0, true), kNow),
            "down: a\\nb\\xff: 100s, normally up, want up");
}

}  // namespace
// Issue 13: `svctl status NAME` says why a service of ours is down and how it last ended;
// nothing is added while it runs, nor under runsv, so sv's bytes stay the same there.
TEST(SvtreeStatusNotes, PhaseAndLastExitWhereSvHidesACrash) {
  auto down = snapshot(RunState::kDown, 0, false);
  EXPECT_EQ(svtree_status_notes(down), "") << "runsv: no extension";
  down.record->extension = StatusExtension{};
  down.record->extension->last_wait_status = SIGTERM;
  EXPECT_EQ(svtree_status_notes(down), "") << "stopped as asked: sv's bytes";
  down.record->extension->last_wait_status = 1 << 8;
  down.record->extension->phase = Phase::kFailed;
  EXPECT_EQ(svtree_status_notes(down), ", failed, last exit 1");
  down.record->extension->phase = Phase::kBackoff;
  EXPECT_EQ(svtree_status_notes(down), ", backoff, last exit 1");
  auto run = snapshot(RunState::kRun, 4, true);
  run.record->extension = StatusExtension{};
  run.record->extension->last_wait_status = SIGSEGV;
  EXPECT_EQ(svtree_status_notes(run), "") << "a run that lived: sv's bytes";
  run.record->extension->failed_starts = 2;
  EXPECT_EQ(svtree_status_notes(run), ", last signal SEGV");
}

}  // namespace svtree::svctl
