// SPDX-License-Identifier: MIT
// svlog's command line: svlogd's options plus `-` (stdout) targets and `-p PREFIX`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "stamp.hpp"

namespace svtree::svlog {

/// A log target from the command line: a directory, or stdout when path is "-".
struct TargetSpec {
  std::string path;
  std::optional<std::string> prefix;  // from `-p`; a directory's `p` config line overrides it
  [[nodiscard]] bool is_stdout() const { return path == "-"; }
};

struct Options {
  /// The read buffer svlog uses unless -b asks for more (svlogd's default is 1024, which
  /// would cost a syscall per line: smaller -b values are raised to this).
  static constexpr size_t kDefaultBufferSize = 128 * 1024;
  static constexpr size_t kMaxBufferSize = 16 * 1024 * 1024;

  StampMode stamp = StampMode::kNone;
  bool verbose = false;
  char replacement = 0;        // -r c (or '_' when only -R was given); 0 = no replacement
  std::string replace_set;     // -R xyz
  size_t line_max = 1000;      // -l len: pattern matching and UDP copies use this many bytes
  size_t buffer_size = kDefaultBufferSize;
  std::vector<TargetSpec> targets;
};

/// Parses argv (argv[0] excluded). On a usage error returns nullopt and sets error.
std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error);

inline constexpr const char* kUsage =
    "svlog [-tttv] [-r c] [-R xyz] [-l len] [-b buflen] [-p prefix] target...\n"
    "  target: a log directory, or - for standard output; -p sets the next target's prefix";

}  // namespace svtree::svlog
