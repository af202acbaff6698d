// SPDX-License-Identifier: MIT
// Event lines (DESIGN.md §5, issue 13): one line per exit, restart, give-up, adoption and
// failed check, in one machine-parseable grammar for every service, and the token bucket
// that keeps a crash loop from flooding the log. Pure: no system call, time is an argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svtree {

/// One key=value pair of an event line. Keys are fixed words ([a-z_]+); values are quoted
/// as logfmt does when they hold a blank, a quote, '=', a backslash or a control byte.
struct EventField {
  std::string key;
  std::string value;
};

/// "event=EVENT service=SERVICE KEY=VALUE…", without newline and without the program's
/// prefix (supervise writes it after "supervise: "). The grammar is documented in
/// supervise(8), EVENT LINES: fields are only ever added, never renamed or reordered.
std::string format_event_line(std::string_view event, std::string_view service,
                              const std::vector<EventField>& fields);

/// Milliseconds as seconds with three decimals: 1204 → "1.204"; negative → "0.000".
std::string format_event_seconds(int64_t ms);

/// How run ended: code=N; signal=SIGNAME core=yes|no; or status=unknown (nullopt: an
/// adopted run, whose wait status nobody can know).
std::vector<EventField> exit_status_fields(std::optional<int> wait_status);

/// The line for a failed health check, for the health-check code: event=check-failed with
/// check (script, tcp, http), reason (one line, quoted as needed), failures in a row and
/// the retries allowed before a restart.
std::string format_check_failed_line(std::string_view service, std::string_view check,
                                     std::string_view reason, uint32_t failures,
                                     uint32_t retries);

/// A token bucket per supervisor: burst lines at once, then one per refill_ms. admit()
/// says whether a line may be written now and, when it may, how many were suppressed
/// since the last one written (the caller adds suppressed=N to that line).
class EventRateLimiter {
 public:
  static constexpr uint32_t kDefaultBurst = 20;
  static constexpr int64_t kDefaultRefillMs = 3000;

  explicit EventRateLimiter(uint32_t burst = kDefaultBurst,
                            int64_t refill_ms = kDefaultRefillMs)
      : burst_(burst), refill_ms_(refill_ms), tokens_(burst) {}

  /// nullopt: suppress this line (counted). Otherwise the count suppressed before it.
  /// force: write it even without a token (a give-up must never be lost); it still takes
  /// one when there is one.
  std::optional<uint32_t> admit(int64_t now_ms, bool force = false);

 private:
  uint32_t burst_;
  int64_t refill_ms_;
  uint32_t tokens_;
  bool started_ = false;
  int64_t last_refill_ms_ = 0;
  uint32_t suppressed_ = 0;
};

}  // namespace svtree
