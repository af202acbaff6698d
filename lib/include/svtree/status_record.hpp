// SPDX-License-Identifier: MIT
// supervise/status (runit's 20 bytes) and supervise/status.svtree (the extended record):
// pure encoders and decoders, no system call (DESIGN.md §3, man supervise.8).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "svtree/tai64n.hpp"

namespace svtree {

enum class RunState : uint8_t { kDown = 0, kRun = 1, kFinish = 2 };

/// The supervisor's phase, as its state table names it (man supervise.8, STATE TABLE).
/// Values are part of status.svtree: only ever appended.
enum class Phase : uint8_t {
  kDown = 0,       // nothing runs and nothing will start by itself
  kStarting = 1,   // run is alive and not ready yet (notification-fd)
  kRunning = 2,    // run is alive and ready
  kStopping = 3,   // run is alive and was asked to stop (d x t k r, shutdown)
  kFinishing = 4,  // finish runs
  kBackoff = 5,    // nothing runs; the next start waits for the restart timer
  kFailed = 6,     // gave up (max-restarts); reserved: no knob enters it yet
  kDone = 7,       // a oneshot succeeded; reserved: no knob enters it yet
  kExiting = 8,    // the supervisor is leaving; every event is ignored
};
/// "down", "starting", …: the names the man page and svctl use.
const char* phase_name(Phase phase);

/// The svtree fields of status.svtree (layout version 2, man supervise.8). Absent when the
/// service is run by runsv or daemontools, or when the record is stale.
struct StatusExtension {
  static constexpr uint8_t kVersion = 2;
  static constexpr uint32_t kNoWaitStatus = 0xffffffff;
  static constexpr uint8_t kFlagReady = 1;
  static constexpr uint8_t kFlagAdopted = 2;
  static constexpr uint8_t kFlagEssential = 4;
  static constexpr uint8_t kFlagOnce = 8;    // wish: run once (o), do not restart
  static constexpr uint8_t kFlagDrain = 16;  // wish: exit once run ends by itself (SIGHUP)

  Tai64n ready_since;                        // zero: not ready since the last start
  uint32_t last_wait_status = kNoWaitStatus;  // waitpid status of the last run exit
  uint32_t start_count = 0;                   // starts of run since this supervisor began
  uint8_t flags = 0;
  // Version 2:
  uint64_t run_start_time = 0;  // run's start, /proc/PID/stat field 22 (ticks); 0: none
  Phase phase = Phase::kDown;
  uint32_t failed_starts = 0;   // failed starts in a row (backoff)
  Tai64n next_start;            // when the restart timer fires; zero when none is armed
  uint8_t health = 0;           // svtree::Health (health_check.hpp): 0 unknown, 1 passing, 2 failing
  uint32_t restart_delay_ms = 0;  // the current backoff delay
  pid_t parent_pid = 0;             // the supervisor's parent (svscan) …
  uint64_t parent_start_time = 0;   // … and its start time: which tree wrote this record

  [[nodiscard]] bool ready() const { return (flags & kFlagReady) != 0; }
  friend bool operator==(const StatusExtension&, const StatusExtension&) = default;
};

struct StatusRecord {
  static constexpr size_t kDaemontoolsSize = 18;
  static constexpr size_t kRunitSize = 20;
  /// Size of status.svtree in layout version 2 (later versions only append).
  static constexpr size_t kExtendedSize = 84;

  Tai64n since;          // when run started or the service went down
  pid_t pid = 0;         // run's pid, or finish's while finish runs; 0 when nothing runs
  bool paused = false;
  bool want_up = false;  // byte 17: 'u' or 'd'
  bool got_term = false;
  RunState state = RunState::kDown;
  std::optional<StatusExtension> extension;  // from status.svtree, when coherent

  /// supervise/status: exactly runit's 20 bytes.
  [[nodiscard]] std::vector<uint8_t> pack() const;
  /// supervise/status.svtree: the same 20 bytes, then the extension's fields (an empty
  /// extension when there is none).
  [[nodiscard]] std::vector<uint8_t> pack_extended() const;
  /// Reads supervise/status: runit's 20 bytes (or more), or daemontools' 18 (no state byte:
  /// state is derived from pid). nullopt for anything shorter. extension stays empty.
  static std::optional<StatusRecord> unpack(std::span<const uint8_t> bytes);
  /// The extension held by status.svtree's bytes, when they are coherent with status's
  /// (their first 20 bytes equal status's) and of version 2 or later; else nullopt: a stale
  /// or foreign file is never read as svtree's word.
  static std::optional<StatusExtension> unpack_extended(std::span<const uint8_t> status,
                                                        std::span<const uint8_t> extended);

  /// The `stat` file's text, exactly as runsv writes it ("run, want down\n"). The record
  /// cannot tell "down" from "exit" (both are 'd'), so the supervisor says which.
  [[nodiscard]] std::string stat_text(bool want_exit = false) const;
  /// The `pid` file's text: "PID\n", or empty when nothing runs.
  [[nodiscard]] std::string pid_text() const;

  friend bool operator==(const StatusRecord&, const StatusRecord&) = default;
};

}  // namespace svtree
