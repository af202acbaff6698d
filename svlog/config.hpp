// SPDX-License-Identifier: MIT
// A log directory's `config` file (svlogd(8) "CONFIG"), parsed into plain values.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svtree::svlog {

/// One `+`, `-`, `e` or `E` line: applied in file order, the last match wins.
struct Instruction {
  char action = '+';  // '+' select, '-' deselect, 'e' to stderr, 'E' not to stderr
  std::string pattern;
};

struct UdpTarget {
  sockaddr_in address{};
  bool only = false;  // `U`: copies go through UDP only, not to the directory
};

struct LogConfig {
  uint64_t size_max = 1000000;  // `s`: rotate before current would exceed this; 0 = never
  unsigned keep_max = 10;       // `n`: old files kept; 0 = keep all
  unsigned keep_min = 0;        // `N`: on a full disk, delete old files down to this many
  unsigned rotate_seconds = 0;  // `t`: rotate a non-empty current this old; 0 = never
  std::string processor;        // `!`: run by /bin/sh -c on each rotated file
  std::vector<Instruction> instructions;
  std::optional<UdpTarget> udp;
  std::optional<std::string> prefix;  // `p`: prefix of every line written
};

/// Parses config text. A bad line adds "NAME line N: what; ignored" to warnings (name is
/// how the file is named in messages, e.g. "./main/config") and the other lines apply.
LogConfig parse_log_config(std::string_view text, std::string_view name,
                           std::vector<std::string>& warnings);

}  // namespace svtree::svlog
