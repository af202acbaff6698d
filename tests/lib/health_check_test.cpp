// SPDX-License-Identifier: MIT
// check-tcp / check-http targets, the request a check sends, and the status-line verdict.
#include "svtree/health_check.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace svtree {
namespace {

uint16_t port_of(const TcpTarget& target) {
  if (target.address.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &target.address, sizeof v6);
    return ntohs(v6.sin6_port);
  }
  sockaddr_in v4{};
  std::memcpy(&v4, &target.address, sizeof v4);
  return ntohs(v4.sin_port);
}

TEST(CheckTarget, TcpNumericAndLocalhost) {
  const auto v4 = parse_tcp_target(" 10.1.2.3:8080\n");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address.ss_family, AF_INET);
  EXPECT_EQ(v4->length, sizeof(sockaddr_in));
  EXPECT_EQ(port_of(*v4), 8080);
  EXPECT_EQ(v4->shown, "10.1.2.3:8080");

  const auto local = parse_tcp_target("localhost:1");
  ASSERT_TRUE(local);
  sockaddr_in in{};
  std::memcpy(&in, &local->address, sizeof in);
  EXPECT_EQ(ntohl(in.sin_addr.s_addr), INADDR_LOOPBACK);

  const auto v6 = parse_tcp_target("[::1]:65535");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address.ss_family, AF_INET6);
  EXPECT_EQ(port_of(*v6), 65535);
}

TEST(CheckTarget, TcpRejectsNamesAndBadPorts) {
  EXPECT_FALSE(parse_tcp_target("example.com:80"));  // no name resolution (static builds)
  EXPECT_FALSE(parse_tcp_target("127.0.0.1"));       // check-tcp needs a port
  EXPECT_FALSE(parse_tcp_target("127.0.0.1:0"));
  EXPECT_FALSE(parse_tcp_target("127.0.0.1:65536"));
  EXPECT_FALSE(parse_tcp_target("127.0.0.1:80x"));
  EXPECT_FALSE(parse_tcp_target("::1:80"));          // IPv6 needs brackets
  EXPECT_FALSE(parse_tcp_target(":80"));
  EXPECT_FALSE(parse_tcp_target(""));
}

TEST(CheckTarget, HttpUrl) {
  const auto target = parse_http_target("http://127.0.0.1:8080/health?full=1\n");
  ASSERT_TRUE(target);
  EXPECT_EQ(port_of(target->tcp), 8080);
  EXPECT_EQ(target->host, "127.0.0.1:8080");
  EXPECT_EQ(target->path, "/health?full=1");

  const auto bare = parse_http_target("http://localhost");
  ASSERT_TRUE(bare);
  EXPECT_EQ(port_of(bare->tcp), 80);
  EXPECT_EQ(bare->path, "/");

  const auto v6 = parse_http_target("http://[::1]:81/x#frag");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "[::1]:81");
  EXPECT_EQ(v6->path, "/x");
}

TEST(CheckTarget, HttpRejectsOtherSchemesNamesAndBlanks) {
  EXPECT_FALSE(parse_http_target("https://127.0.0.1/"));
  EXPECT_FALSE(parse_http_target("127.0.0.1:80/"));
  EXPECT_FALSE(parse_http_target("http://web:80/"));
  EXPECT_FALSE(parse_http_target("http://127.0.0.1/a b"));
  EXPECT_FALSE(parse_http_target("http://127.0.0.1:x/"));
}

TEST(HttpCheck, RequestIsOneHttp10Get) {
  const auto target = parse_http_target("http://127.0.0.1:8080/ping");
  ASSERT_TRUE(target);
  EXPECT_EQ(http_check_request(*target),
            "GET /ping HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nUser-Agent: svtree-supervise\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpCheck, StatusLine) {
  using K = HttpAnswer::Kind;
  EXPECT_EQ(parse_http_status_line("").kind, K::kIncomplete);
  EXPECT_EQ(parse_http_status_line("HTT").kind, K::kIncomplete);
  EXPECT_EQ(parse_http_status_line("HTTP/1.1 20").kind, K::kIncomplete);
  const HttpAnswer ok = parse_http_status_line("HTTP/1.1 200 OK\r\nServer: x\r\n");
  EXPECT_EQ(ok.kind, K::kStatus);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(parse_http_status_line("HTTP/1.0 500 Internal Server Error\r\n").status, 500);
  EXPECT_EQ(parse_http_status_line("HTTP/1.0 302").status, 302);  // enough to judge
  EXPECT_EQ(parse_http_status_line("HTTP/1.0 204\r\n").status, 204);
  EXPECT_EQ(parse_http_status_line("SSH-2.0-OpenSSH\r\n").kind, K::kMalformed);
  EXPECT_EQ(parse_http_status_line("HTTP/2 200\r\n").kind, K::kMalformed);
  EXPECT_EQ(parse_http_status_line("HTTP/1.1 2000 x\r\n").kind, K::kMalformed);
  EXPECT_EQ(parse_http_status_line("HTTP/1.1 abc x\r\n").kind, K::kMalformed);
  EXPECT_EQ(parse_http_status_line("HTTP/1.1\r\n").kind, K::kMalformed);
  EXPECT_EQ(parse_http_status_line("HTTP/1.1 099 x\r\n").kind, K::kMalformed);
}

TEST(HttpCheck, TwoAndThreeHundredsPass) {
  EXPECT_FALSE(http_status_passes(199));
  EXPECT_TRUE(http_status_passes(200));
  EXPECT_TRUE(http_status_passes(301));
  EXPECT_TRUE(http_status_passes(399));
  EXPECT_FALSE(http_status_passes(404));
  EXPECT_FALSE(http_status_passes(500));
}

TEST(CheckKnobs, Count) {
  EXPECT_EQ(parse_count("3\n"), 3u);
  EXPECT_FALSE(parse_count("0"));
  EXPECT_FALSE(parse_count("-1"));
  EXPECT_FALSE(parse_count("three"));
  EXPECT_FALSE(parse_count("99999999999"));
}

TEST(Health, Names) {
  EXPECT_STREQ(health_name(Health::kUnknown), "unknown");
  EXPECT_STREQ(health_name(Health::kPassing), "passing");
  EXPECT_STREQ(health_name(Health::kFailing), "failing");
}

}  // namespace
}  // namespace svtree
