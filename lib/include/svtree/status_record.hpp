// SPDX-License-Identifier: MIT
// supervise/status: runit's 20-byte record plus the svtree extension (DESIGN.md §3).
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

/// The svtree extension, bytes 20..41. Absent in runsv's and daemontools' files.
struct StatusExtension {
  static constexpr uint8_t kVersion = 1;
  static constexpr uint32_t kNoWaitStatus = 0xffffffff;
  static constexpr uint8_t kFlagReady = 1;
  static constexpr uint8_t kFlagAdopted = 2;
  static constexpr uint8_t kFlagEssential = 4;

  Tai64n ready_since;                        // zero: not ready since the last start
  uint32_t last_wait_status = kNoWaitStatus;  // waitpid status of the last run exit
  uint32_t start_count = 0;                   // starts of run since this supervisor began
  uint8_t flags = 0;

  [[nodiscard]] bool ready() const { return (flags & kFlagReady) != 0; }
  friend bool operator==(const StatusExtension&, const StatusExtension&) = default;
};

struct StatusRecord {
  static constexpr size_t kDaemontoolsSize = 18;
  static constexpr size_t kRunitSize = 20;
  static constexpr size_t kSvtreeSize = 42;

  Tai64n since;          // when run started or the service went down
  pid_t pid = 0;         // run's pid, or finish's while finish runs; 0 when nothing runs
  bool paused = false;
  bool want_up = false;  // byte 17: 'u' or 'd'
  bool got_term = false;
  RunState state = RunState::kDown;
  std::optional<StatusExtension> extension;

  /// 42 bytes with the extension, else runit's 20.
  [[nodiscard]] std::vector<uint8_t> pack() const;
  /// Accepts runit's 20 bytes, our 42+ (later versions may append), or daemontools' 18
  /// (no state byte: state is derived from pid). nullopt for anything shorter.
  static std::optional<StatusRecord> unpack(std::span<const uint8_t> bytes);

  /// The `stat` file's text, exactly as runsv writes it ("run, want down\n"). The record
  /// cannot tell "down" from "exit" (both are 'd'), so the supervisor says which.
  [[nodiscard]] std::string stat_text(bool want_exit = false) const;
  /// The `pid` file's text: "PID\n", or empty when nothing runs.
  [[nodiscard]] std::string pid_text() const;

  friend bool operator==(const StatusRecord&, const StatusRecord&) = default;
};

}  // namespace svtree
