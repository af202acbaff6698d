// SPDX-License-Identifier: MIT
#include "orphan_report.hpp"

namespace svtree::svscan {

std::string OrphanReport::orphan_line(pid_t pid, const std::string& status) {
  return "reaped orphan pid " + std::to_string(pid) + " (" + status + ")";
}

std::vector<std::string> OrphanReport::on_orphan(pid_t pid, const std::string& status,
                                                 int64_t now_ms) {
  std::vector<std::string> lines;
  // The timer may not have run yet when the window's end and an orphan come together.
  if (auto summary = on_time(now_ms)) lines.push_back(std::move(*summary));
  if (!window_start_) {
    window_start_ = now_ms;
    shown_ = 0;
  }
  if (shown_ < kBurst) {
    ++shown_;
    lines.push_back(orphan_line(pid, status));
  } else {
    ++counted_;
    last_pid_ = pid;
    last_status_ = status;
  }
  return lines;
}

std::optional<std::string> OrphanReport::on_time(int64_t now_ms) {
  if (!window_start_ || now_ms < *window_start_ + kWindowMs) return std::nullopt;
  if (counted_ == 0) {
    window_start_.reset();  // quiet window: closed, nothing left to wait for
    return std::nullopt;
  }
  // Still a storm: the next window starts at once and counts everything, so that a
  // storm costs one line per window, not a burst plus a summary.
  window_start_ = *window_start_ + kWindowMs;
  if (now_ms >= *window_start_ + kWindowMs) window_start_ = now_ms;
  shown_ = kBurst;
  return flush();
}

std::optional<int64_t> OrphanReport::deadline_ms() const {
  if (!window_start_) return std::nullopt;
  return *window_start_ + kWindowMs;
}

std::optional<std::string> OrphanReport::flush() {
  if (counted_ == 0) return std::nullopt;
  std::string line = "reaped " + std::to_string(counted_) +
                     (counted_ == 1 ? " more orphan" : " more orphans") + " in the last " +
                     std::to_string(kWindowMs / 1000) + " s (last: pid " +
                     std::to_string(last_pid_) + ", " + last_status_ + ")";
  counted_ = 0;
  return line;
}

}  // namespace svtree::svscan
