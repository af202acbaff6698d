// SPDX-License-Identifier: MIT
// Parser for svlogd's per-directory config: one directive per line, first byte = kind.
#include "config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <limits>

namespace svtree::svlog {
namespace {

std::optional<uint64_t> parse_count(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// `s` accepts a k or m suffix and `t` an s, m, h or d suffix, as busybox's svlogd does;
// runit's plain numbers parse the same.
std::optional<uint64_t> parse_scaled(std::string_view text, std::string_view suffixes,
                                     const uint64_t* factors) {
  uint64_t factor = 1;
  if (!text.empty()) {
    const size_t at = suffixes.find(text.back());
    if (at != std::string_view::npos) {
      factor = factors[at];
      text.remove_suffix(1);
    }
  }
  auto value = parse_count(text);
  if (!value || *value > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
  return *value * factor;
}

std::optional<UdpTarget> parse_udp(std::string_view text, bool only) {
  UdpTarget target;
  target.only = only;
  target.address.sin_family = AF_INET;
  uint64_t port = 514;  // syslog, svlogd's default
  const size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    auto parsed = parse_count(text.substr(colon + 1));
    if (!parsed || *parsed == 0 || *parsed > 65535) return std::nullopt;
    port = *parsed;
    text = text.substr(0, colon);
  }
  const std::string host(text);
  if (::inet_pton(AF_INET, host.c_str(), &target.address.sin_addr) != 1) return std::nullopt;
  target.address.sin_port = htons(static_cast<uint16_t>(port));
  return target;
}

}  // namespace

LogConfig parse_log_config(std::string_view text, std::string_view name,
                           std::vector<std::string>& warnings) {
  static constexpr uint64_t kSizeFactors[] = {1024, 1024 * 1024};
  static constexpr uint64_t kTimeFactors[] = {1, 60, 3600, 86400};
  LogConfig config;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const std::string_view arg = line.substr(1);
    auto bad = [&](std::string_view what) {
      std::string message(name);
      message += " line ";
      message += std::to_string(line_number);
      message += ": ";
      message += what;
      message += "; ignored";
      warnings.push_back(std::move(message));
    };
    switch (line[0]) {
      case '+':
      case '-':
      case 'e':
      case 'E':
        config.instructions.push_back(Instruction{line[0], std::string(arg)});
        break;
      case 's':
        if (auto v = parse_scaled(arg, "km", kSizeFactors)) config.size_max = *v;
        else bad("s needs a size in bytes (e.g. s1000000)");
        break;
      case 'n':
      case 'N': {
        auto v = parse_count(arg);
        if (!v || *v > 1000000) {
          bad(line[0] == 'n' ? "n needs a number of files (e.g. n10)"
                             : "N needs a number of files (e.g. N2)");
          break;
        }
        (line[0] == 'n' ? config.keep_max : config.keep_min) = static_cast<unsigned>(*v);
        break;
      }
      case 't':
        if (auto v = parse_scaled(arg, "smhd", kTimeFactors); v && *v <= 100000000)
          config.rotate_seconds = static_cast<unsigned>(*v);
        else bad("t needs a number of seconds (e.g. t86400)");
        break;
      case '!':
        if (arg.empty()) bad("! needs a processor command");
        else config.processor = std::string(arg);
        break;
      case 'u':
      case 'U':
        if (auto target = parse_udp(arg, line[0] == 'U')) config.udp = *target;
        else bad("u/U need an IPv4 address and optional port (e.g. u127.0.0.1:514)");
        break;
      case 'p':
        config.prefix = std::string(arg);
        break;
      default:
        bad("unknown directive '" + std::string(1, line[0]) +
            "' (known: s n N t ! u U p + - e E #)");
        break;
    }
  }
  return config;
}

}  // namespace svtree::svlog
