// SPDX-License-Identifier: MIT
// Health checks made by supervise itself (check-tcp, check-http; DESIGN.md §2): the pure
// part, no system call. Addresses are numeric or `localhost`: static builds resolve no
// names. The sockets live in supervise (non-blocking, on its loop) and svctl.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svtree {

/// Values of status.svtree's health byte (offset 67, man supervise.8).
enum class Health : uint8_t {
  kUnknown = 0,  // no check configured, or none has answered since run started
  kPassing = 1,  // the latest check passed
  kFailing = 2,  // the latest check failed (or timed out)
};
/// "unknown", "passing", "failing": the words svctl prints.
const char* health_name(Health health);

/// A TCP endpoint, ready for connect(2).
struct TcpTarget {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string shown;  // HOST:PORT as written, for messages
};

/// What a check-http file names: where to connect, and what to ask for.
struct HttpTarget {
  TcpTarget tcp;
  std::string host;  // the Host header: HOST[:PORT] as written in the URL
  std::string path;  // "/" when the URL has none
};

/// Parses `HOST:PORT` (check-tcp): HOST an IPv4 address, `[IPv6]`, or `localhost`
/// (127.0.0.1); PORT 1-65535. Blanks and a final newline are allowed around it.
std::optional<TcpTarget> parse_tcp_target(std::string_view text);
/// Parses `http://HOST[:PORT][/PATH]` (check-http); the port defaults to 80.
std::optional<HttpTarget> parse_http_target(std::string_view text);

/// The HTTP/1.0 request a check sends: GET PATH, Host, Connection: close.
std::string http_check_request(const HttpTarget& target);

/// The verdict on what a server has sent so far.
struct HttpAnswer {
  enum class Kind { kIncomplete, kStatus, kMalformed };
  Kind kind = Kind::kIncomplete;
  int status = 0;  // with kStatus: the three-digit code
};
/// Reads the status line at the start of received ("HTTP/1.x NNN reason\r\n"):
/// incomplete until its line ends (or 3 digits are known), malformed when it is not one.
HttpAnswer parse_http_status_line(std::string_view received);
/// 2xx and 3xx pass (Docker's and monit's reading of an HTTP check).
bool http_status_passes(int status);

/// Parses a positive count (check-retries): a decimal number from 1 to 1000000.
std::optional<uint32_t> parse_count(std::string_view text);

}  // namespace svtree
