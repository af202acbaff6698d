// SPDX-License-Identifier: MIT
// Event lines: formatting and rate limiting, pure.
#include "svtree/event_line.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "svtree/signal_name.hpp"

namespace svtree {
namespace {

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

// logfmt's quoting, so that one event is always one line and splits on blanks.
void append_value(std::string& out, std::string_view value) {
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          std::array<char, 8> escaped{};
          std::snprintf(escaped.data(), escaped.size(), "\\x%02x", byte);
          out += escaped.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string format_event_line(std::string_view event, std::string_view service,
                              const std::vector<EventField>& fields) {
  std::string out = "event=";
  append_value(out, event);
  out += " service=";
  append_value(out, service);
  for (const EventField& field : fields) {
    out += ' ';
    out += field.key;
    out += '=';
    append_value(out, field.value);
  }
  return out;
}

std::string format_event_seconds(int64_t ms) {
  if (ms < 0) ms = 0;
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return text.data();
}

std::vector<EventField> exit_status_fields(std::optional<int> wait_status) {
  if (!wait_status) return {{"status", "unknown"}};
  const int status = *wait_status;
  if (WIFSIGNALED(status))
    return {{"signal", "SIG" + std::string(signal_name(WTERMSIG(status)))},
            {"core", WCOREDUMP(status) ? "yes" : "no"}};
  return {{"code", std::to_string(WEXITSTATUS(status))}};
}

std::string format_check_failed_line(std::string_view service, std::string_view check,
                                     std::string_view reason, uint32_t failures,
                                     uint32_t retries) {
  return format_event_line("check-failed", service,
                           {{"check", std::string(check)},
                            {"reason", std::string(reason)},
                            {"failures", std::to_string(failures)},
                            {"retries", std::to_string(retries)}});
}

std::optional<uint32_t> EventRateLimiter::admit(int64_t now_ms, bool force) {
  if (!started_) {
    started_ = true;
    last_refill_ms_ = now_ms;
  }
  if (refill_ms_ > 0 && now_ms > last_refill_ms_) {
    const int64_t earned = (now_ms - last_refill_ms_) / refill_ms_;
    if (earned > 0) {
      tokens_ = static_cast<uint32_t>(std::min<int64_t>(burst_, tokens_ + earned));
      last_refill_ms_ += earned * refill_ms_;
    }
  }
  if (tokens_ == 0 && !force) {
    ++suppressed_;
    return std::nullopt;
  }
  if (tokens_ > 0) --tokens_;
  // A full bucket keeps no credit for the time it sat full.
  if (tokens_ + 1 >= burst_) last_refill_ms_ = now_ms;
  const uint32_t suppressed = suppressed_;
  suppressed_ = 0;
  return suppressed;
}

}  // namespace svtree
