// SPDX-License-Identifier: MIT
// Syslog framing. Facts from RFC 3164 (BSD syslog: PRI, "Mmm dd hh:mm:ss" timestamp, TAG)
// and RFC 5424 (VERSION 1, NILVALUE "-", SD-ELEMENTs in brackets with \] escapes, BOM).
#include "syslog.hpp"

#include <array>

namespace svtree::svlog {
namespace {

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> kSeverities = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
constexpr int kDefaultPriority = 13;  // user.notice
constexpr std::string_view kBom = "\xef\xbb\xbf";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// "<N>" with N in 0..191, at most 3 digits, no leading zero (RFC 5424 §6.2.1).
int take_priority(std::string_view& text) {
  if (text.size() < 3 || text[0] != '<') return -1;
  size_t end = 1;
  int value = 0;
  while (end < text.size() && end <= 3 && is_digit(text[end])) value = value * 10 + (text[end++] - '0');
  if (end == 1 || end >= text.size() || text[end] != '>' || value > 191) return -1;
  if (end > 2 && text[1] == '0') return -1;
  text.remove_prefix(end + 1);
  return value;
}

/// Takes one space-separated field (RFC 5424 header); false if none is left.
bool take_field(std::string_view& text, std::string_view& field) {
  if (text.empty()) return false;
  const size_t space = text.find(' ');
  field = text.substr(0, space);
  text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  return true;
}

/// STRUCTURED-DATA: "-" or one or more "[...]" (with \] and \" escaped inside values).
std::string_view take_structured_data(std::string_view& text) {
  if (text.starts_with("-")) {
    text.remove_prefix(1);
    return "-";
  }
  size_t at = 0;
  while (at < text.size() && text[at] == '[') {
    bool quoted = false;
    for (++at; at < text.size(); ++at) {
      const char c = text[at];
      if (c == '\\' && quoted) ++at;
      else if (c == '"') quoted = !quoted;
      else if (c == ']' && !quoted) break;
    }
    if (at < text.size()) ++at;  // past ']'
  }
  const std::string_view data = text.substr(0, at);
  text.remove_prefix(at);
  return data;
}

/// RFC 3164 TIMESTAMP: "Mmm dd hh:mm:ss " (day padded with a space).
bool starts_with_bsd_timestamp(std::string_view text) {
  if (text.size() < 16) return false;
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  return letter(text[0]) && letter(text[1]) && letter(text[2]) && text[3] == ' ' &&
         (text[4] == ' ' || is_digit(text[4])) && is_digit(text[5]) && text[6] == ' ' &&
         is_digit(text[7]) && is_digit(text[8]) && text[9] == ':' && is_digit(text[10]) &&
         is_digit(text[11]) && text[12] == ':' && is_digit(text[13]) && is_digit(text[14]) &&
         text[15] == ' ';
}

void append_rfc5424(std::string_view text, std::string& line) {
  const std::string_view whole = text;
  std::string_view timestamp, host, app, procid, msgid;
  if (!take_field(text, timestamp) || !take_field(text, host) || !take_field(text, app) ||
      !take_field(text, procid) || !take_field(text, msgid)) {
    line.append(whole);  // a truncated header: keep what there is
    return;
  }
  if (app != "-") {
    line.append(app);
    if (procid != "-") line.append("[").append(procid).append("]");
    line.append(": ");
  }
  if (msgid != "-") line.append(msgid).append(" ");
  const std::string_view data = take_structured_data(text);
  if (data != "-" && !data.empty()) line.append(data).append(" ");
  if (text.starts_with(" ")) text.remove_prefix(1);
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  line.append(text);
  if (line.ends_with(" ")) line.pop_back();  // no message after a header field
}

}  // namespace

std::string format_syslog_datagram(std::string_view datagram) {
  while (!datagram.empty() &&
         (datagram.back() == '\n' || datagram.back() == '\r' || datagram.back() == '\0'))
    datagram.remove_suffix(1);
  std::string_view text = datagram;
  int priority = take_priority(text);
  if (priority < 0) {
    priority = kDefaultPriority;
    text = datagram;
  }
  std::string line;
  line.reserve(datagram.size() + 24);
  line.append(kFacilities[static_cast<size_t>(priority >> 3)]).append(".");
  line.append(kSeverities[static_cast<size_t>(priority & 7)]).append(": ");
  const size_t body = line.size();
  if (text.starts_with("1 ")) {
    text.remove_prefix(2);
    append_rfc5424(text, line);
  } else {
    if (starts_with_bsd_timestamp(text)) text.remove_prefix(16);
    line.append(text);
  }
  // One datagram, one line: an embedded newline must not start a forged line. In one pass
  // (a replace per newline moved the rest of the line each time: quadratic in a datagram
  // of newlines, which any local user may send).
  if (line.find('\n', body) != std::string::npos) {
    std::string escaped;
    escaped.reserve(line.size() + 64);
    escaped.append(line, 0, body);
    for (size_t at = body; at < line.size(); ++at) {
      if (line[at] == '\n') escaped.append("#012");
      else escaped.push_back(line[at]);
    }
    line = std::move(escaped);
  }
  line.push_back('\n');
  return line;
}

}  // namespace svtree::svlog
