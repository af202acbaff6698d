// SPDX-License-Identifier: MIT
// JSON text for svtree's machine-readable output (svctl status --json, svscan's JSON lines,
// issue 15): the one string escaper, and the log line every JSON-mode program writes.
// Pure: no system call, the time is an argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svtree {

/// Appends TEXT as a JSON string (quotes included). JSON text must be UTF-8 (RFC 8259
/// §8.1) and TEXT is whatever bytes a name or a service's line holds: each byte that is
/// not part of a well-formed UTF-8 sequence becomes U+FFFD (as Go's encoding/json and jq
/// do), control bytes become \n, \t or \u00XX, so the result is always valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

/// The format of every line svscan prints, and supervise's own lines under svscan.
enum class LogFormat : uint8_t { kPlain, kJson };

/// The environment variable that selects it (svscan sets it for its supervise processes).
inline constexpr const char* kLogFormatEnv = "SVTREE_LOG_FORMAT";

/// "plain" or "json"; nullopt for anything else.
[[nodiscard]] std::optional<LogFormat> parse_log_format(std::string_view text);

/// One JSON log line, without the newline:
/// {"time":"2026-11-30T20:54:13.123Z","service":"web","stream":"stdout","line":"..."}
/// time is UTC with milliseconds (RFC 3339); service null when nullopt. extra, when not
/// empty, is appended as is before the closing brace (for example `,"partial":true`).
[[nodiscard]] std::string format_json_log_line(int64_t unix_ms,
                                               std::optional<std::string_view> service,
                                               std::string_view stream, std::string_view line,
                                               std::string_view extra = {});

}  // namespace svtree
