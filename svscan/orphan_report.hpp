// SPDX-License-Identifier: MIT
// OrphanReport: what svscan says about the orphans it reaps. A burst is shown one line
// each, a storm is summed up once per window, so that an app forking many short-lived
// children does not flood the container log (issue #13). Pure: the caller gives the time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace svtree::svscan {

class OrphanReport {
 public:
  /// Orphans of a fresh window shown one line each (tini -w shows every one).
  static constexpr int kBurst = 5;
  static constexpr int64_t kWindowMs = 10000;

  /// One orphan reaped at now_ms; returns the lines to print (a summary of a window that
  /// ended before now, then this orphan's own line if it is within the burst).
  std::vector<std::string> on_orphan(pid_t pid, const std::string& status, int64_t now_ms);
  /// Time passed (the timer fired): the summary line when the window is over and counted
  /// orphans. A window with counted orphans is followed by one that counts them all.
  std::optional<std::string> on_time(int64_t now_ms);
  /// When the open window ends; nullopt when none is open (nothing to wait for).
  [[nodiscard]] std::optional<int64_t> deadline_ms() const;
  /// svscan exits: the summary of what is still counted, if anything.
  std::optional<std::string> flush();

  /// The individual line, as it always was: "reaped orphan pid P (STATUS)".
  static std::string orphan_line(pid_t pid, const std::string& status);

 private:
  std::optional<int64_t> window_start_;
  int shown_ = 0;      // individual lines in this window
  int64_t counted_ = 0;  // orphans only counted in this window
  pid_t last_pid_ = 0;
  std::string last_status_;
};

}  // namespace svtree::svscan
