// SPDX-License-Identifier: MIT
// JSON strings and JSON log lines.
#include "svtree/json.hpp"

#include <time.h>

#include <array>
#include <cstdio>

#include "svtree/escape.hpp"

namespace svtree {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain = 0;  // start of the run of bytes copied as they are
  const auto flush = [&](size_t at) {
    out.append(text.data() + plain, at - plain);
  };
  for (size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x80) {
      const size_t length = utf8_sequence_length(text, at);
      if (length != 0) {
        at += length;
        continue;
      }
      flush(at);
      out += "\\ufffd";
    } else if (byte < 0x20 || byte == '"' || byte == '\\') {
      flush(at);
      switch (byte) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0x0f];
      }
    } else {
      ++at;
      continue;
    }
    plain = ++at;
  }
  flush(text.size());
  out += '"';
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "plain") return LogFormat::kPlain;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::string format_json_log_line(int64_t unix_ms, std::optional<std::string_view> service,
                                 std::string_view stream, std::string_view line,
                                 std::string_view extra) {
  if (unix_ms < 0) unix_ms = 0;
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm utc {};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 96> stamp{};
  std::snprintf(stamp.data(), stamp.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                utc.tm_sec, static_cast<int>(unix_ms % 1000));
  std::string out;
  out.reserve(line.size() + stream.size() + 80);
  out += "{\"time\":\"";
  out += stamp.data();
  out += "\",\"service\":";
  if (service) append_json_string(out, *service);
  else out += "null";
  out += ",\"stream\":";
  append_json_string(out, stream);
  out += ",\"line\":";
  append_json_string(out, line);
  out += extra;
  out += '}';
  return out;
}

}  // namespace svtree
