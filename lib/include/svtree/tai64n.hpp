// SPDX-License-Identifier: MIT
// TAI64N labels as runit, daemontools and svlogd write them (2^62 + 10 + unix seconds).
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>

namespace svtree {

/// A TAI64N instant. runit and daemontools add 10 s to unix time (not the 37 s s6 uses);
/// we follow them so `tai64nlocal` and `svstat` read our stamps as they read theirs.
struct Tai64n {
  static constexpr uint64_t kUnixEpochLabel = (uint64_t{1} << 62) + 10;

  uint64_t seconds = 0;      // the TAI64 label
  uint32_t nanoseconds = 0;  // 0..999999999

  static Tai64n from_timespec(const timespec& ts);
  /// Wall-clock now (CLOCK_REALTIME).
  static Tai64n now();
  [[nodiscard]] bool is_zero() const { return seconds == 0 && nanoseconds == 0; }
  [[nodiscard]] int64_t unix_seconds() const {
    return static_cast<int64_t>(seconds - kUnixEpochLabel);
  }

  /// 12 bytes big-endian: 8 of seconds, 4 of nanoseconds (the status record's prefix).
  [[nodiscard]] std::array<uint8_t, 12> pack() const;
  static Tai64n unpack(std::span<const uint8_t, 12> bytes);

  /// "@" followed by 24 lower-case hex digits, as svlogd stamps lines and names old logs.
  [[nodiscard]] std::string label() const;
  /// Parses label(); nullopt unless exactly "@" + 24 hex digits.
  static std::optional<Tai64n> parse_label(std::string_view text);

  friend bool operator==(const Tai64n&, const Tai64n&) = default;
};

/// Writes the 25-character label into out (no terminator); for hot paths such as svlog.
void format_tai64n_label(const Tai64n& stamp, char out[25]);

}  // namespace svtree
