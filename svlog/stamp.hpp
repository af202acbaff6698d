// SPDX-License-Identifier: MIT
// Line stamps in svlogd's three formats, formatted once per read (hot path).
#pragma once

#include <ctime>
#include <string_view>

namespace svtree::svlog {

enum class StampMode { kNone, kTai64n, kUtc, kIso8601 };

/// Formats the stamp svlogd puts before a line, followed by one space:
///   kTai64n  "@4000000065a1b2c3075bcd15 "   (-t, TAI64N label, `tai64nlocal` reads it)
///   kUtc     "2024-01-12_10:15:42.12345 "   (-tt, UTC, 5 fraction digits, truncated)
///   kIso8601 "2024-01-12T10:15:42.12345 "   (-ttt)
/// Caches the date part per second, so a stamp costs a few stores after the first.
class Stamper {
 public:
  explicit Stamper(StampMode mode) : mode_(mode) {}
  [[nodiscard]] StampMode mode() const { return mode_; }
  /// Formats time; the view stays valid until the next call.
  std::string_view format(const timespec& time);
  /// format(CLOCK_REALTIME now); empty view in kNone mode.
  std::string_view now();

 private:
  StampMode mode_;
  time_t cached_second_ = -1;
  char text_[32] = {};
  size_t size_ = 0;
};

}  // namespace svtree::svlog
