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
  std::string socket_path;  // -s: also read syslog datagrams from this Unix socket
  bool help = false;     // --help: print kHelp on stdout, exit 0
  bool version = false;  // --version
};

/// Parses argv (argv[0] excluded). On a usage error returns nullopt and sets error.
/// --help or --version ends parsing: the result has help or version set and may have no
/// target.
std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error);

inline constexpr const char* kUsage =
    "svlog [-tttv] [-r c] [-R xyz] [-l len] [-b buflen] [-s socket] [-p prefix] target...\n"
    "  target: a log directory, or - for standard output; -p sets the next target's prefix";

/// --help's text (after "usage: " and kUsage).
inline constexpr const char* kHelp =
    "Reads lines on standard input and appends them to log directories (svlogd's layout\n"
    "and DIR/config), stamping, filtering and rotating; never drops or reorders a line.\n"
    "  -t      stamp: TAI64N label      -tt  UTC YYYY-MM-DD_HH:MM:SS.xxxxx\n"
    "  -ttt    stamp: ISO 8601          -v   report rotations and processors\n"
    "  -r c    replace non-printable bytes with c; -R xyz: also these bytes\n"
    "  -l len  bytes of a line that patterns see (default 1000); lines are never cut\n"
    "  -b n    read buffer size (at least 131072)\n"
    "  -p pre  prefix the next target's lines with pre\n"
    "  -s path also log syslog datagrams sent to the Unix socket path (a /dev/log of its\n"
    "          own), one line each: FACILITY.SEVERITY: TAG: MESSAGE\n"
    "Signals: HUP reopen and reread config, ALRM rotate, TERM finish and exit.\n"
    "Exit: 0 done, 100 usage, 111 no usable target. See svlog(8).\n";

}  // namespace svtree::svlog
