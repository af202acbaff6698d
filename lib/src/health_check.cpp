// SPDX-License-Identifier: MIT
// check-tcp and check-http: targets, the request, the status line (pure; no system call).
#include "svtree/health_check.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include <cstring>

namespace svtree {
namespace {

std::string_view trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                         text[end - 1] == '\r'))
    --end;
  return text.substr(begin, end - begin);
}

std::optional<uint32_t> parse_decimal(std::string_view digits, uint32_t max) {
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<uint32_t>(value);
}

/// HOST and PORT, HOST without brackets; nullopt when it is not HOST:PORT.
std::optional<TcpTarget> make_target(std::string_view host, uint32_t port, std::string shown) {
  if (port == 0 || port > 65535) return std::nullopt;
  TcpTarget target;
  target.shown = std::move(shown);
  const std::string name(host == "localhost" ? std::string_view("127.0.0.1") : host);
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET, name.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&target.address, &v4, sizeof v4);
    target.length = sizeof v4;
    return target;
  }
  if (::inet_pton(AF_INET6, name.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&target.address, &v6, sizeof v6);
    target.length = sizeof v6;
    return target;
  }
  return std::nullopt;
}

/// "HOST:PORT" or "[V6]:PORT" with PORT optional (default_port > 0) or required.
std::optional<TcpTarget> parse_authority(std::string_view text, uint32_t default_port) {
  std::string_view host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.rfind(':');
    host = colon == std::string_view::npos ? text : text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    // A bare IPv6 address has colons of its own: brackets are required (as in URLs).
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  uint32_t port = default_port;
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    const auto parsed = parse_decimal(rest.substr(1), 65535);
    if (!parsed) return std::nullopt;
    port = *parsed;
  }
  return make_target(host, port, std::string(text));
}

}  // namespace

const char* health_name(Health health) {
  switch (health) {
    case Health::kUnknown:
      return "unknown";
    case Health::kPassing:
      return "passing";
    case Health::kFailing:
      return "failing";
  }
  return "unknown";
}

std::optional<TcpTarget> parse_tcp_target(std::string_view text) {
  return parse_authority(trim(text), 0);
}

std::optional<HttpTarget> parse_http_target(std::string_view text) {
  text = trim(text);
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  text.remove_prefix(kScheme.size());
  const size_t slash = text.find('/');
  const std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "/" : text.substr(slash);
  // A request line cannot carry blanks or control characters; a fragment is never sent.
  for (const char c : path)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  path = path.substr(0, path.find('#'));
  auto tcp = parse_authority(authority, 80);
  if (!tcp) return std::nullopt;
  HttpTarget target;
  target.tcp = std::move(*tcp);
  target.host = std::string(authority);
  target.path = path.empty() ? "/" : std::string(path);
  return target;
}

std::string http_check_request(const HttpTarget& target) {
  return "GET " + target.path + " HTTP/1.0\r\nHost: " + target.host +
         "\r\nUser-Agent: svtree-supervise\r\nConnection: close\r\n\r\n";
}

HttpAnswer parse_http_status_line(std::string_view received) {
  // "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason] CRLF (RFC 9112 §4); HTTP/1.1 servers
  // answer a 1.0 request with their own version, so any 1.x is read.
  constexpr std::string_view kPrefix = "HTTP/1.";
  const size_t known = std::min(received.size(), kPrefix.size());
  if (received.substr(0, known) != kPrefix.substr(0, known)) return {HttpAnswer::Kind::kMalformed};
  if (received.size() < kPrefix.size() + 5) {
    // Not enough bytes for the code yet, unless the line already ended.
    if (received.find('\n') != std::string_view::npos) return {HttpAnswer::Kind::kMalformed};
    return {HttpAnswer::Kind::kIncomplete};
  }
  const std::string_view after = received.substr(kPrefix.size());
  if (after[0] < '0' || after[0] > '9' || after[1] != ' ') return {HttpAnswer::Kind::kMalformed};
  const auto code = parse_decimal(after.substr(2, 3), 999);
  if (!code || *code < 100) return {HttpAnswer::Kind::kMalformed};
  if (after.size() > 5 && after[5] != ' ' && after[5] != '\r' && after[5] != '\n')
    return {HttpAnswer::Kind::kMalformed};
  return {HttpAnswer::Kind::kStatus, static_cast<int>(*code)};
}

bool http_status_passes(int status) { return status >= 200 && status <= 399; }

std::optional<uint32_t> parse_count(std::string_view text) {
  const auto value = parse_decimal(trim(text), 1'000'000);
  if (!value || *value == 0) return std::nullopt;
  return value;
}

}  // namespace svtree
