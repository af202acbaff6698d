// SPDX-License-Identifier: MIT
// svctl's command line: sv's verbs and options with sv's meanings, and running them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/control.hpp"

namespace svtree::svctl {

enum class Mode {
  kStatus,   // print status (sv lines, or the SVDIR table, or JSON)
  kControl,  // send commands, maybe wait
  kCheck,    // send nothing; wait for (or test) the wanted state
  kRescan,   // ask the svscan running on SVDIR to rescan (its state directory's FIFO)
  kWait,     // send nothing; wait for a state (svctl wait up|ready|done|down, issue 14)
};

/// What one verb does, as sv.c defines it.
struct Action {
  Mode mode = Mode::kControl;
  std::vector<Command> commands;  // sent to the supervisor, in order (restart: t c u)
  std::string conditions;  // what a wait checks: the commands' letters, or "C" (wanted state)
  bool waits = false;      // waits without -v (start, stop, restart, ..., check)
  bool kill_on_timeout = false;  // force-*: "kill:" and a 'k' on timeout
};

/// Resolves a verb as sv does: full LSB names first, otherwise the first character
/// ("u", "upx" and "up" are all up). nullopt: usage error. In LSB mode only "status" among
/// the 's' verbs prints status.
std::optional<Action> parse_action(std::string_view verb, bool lsb);

struct Invocation {
  bool lsb = false;           // called as an init script (program name not svctl/sv)
  bool verbose = false;       // -v or -w
  bool explicit_wait = false; // -w given
  bool json = false;          // status --json
  double wait_seconds = 7;    // -w, else $SVWAIT, else 7
  std::string verb;
  Action action;
  std::string svdir = "/etc/service";
  std::vector<std::string> services;  // as given; empty = every service in svdir
};

/// Parses argv (argv[0] included). On a usage error returns nullopt and sets error.
std::optional<Invocation> parse_invocation(const std::vector<std::string>& argv,
                                           const char* svdir_env, const char* svwait_env,
                                           std::string& error);

/// Runs it, writing sv-style lines to stdout. Returns the exit code: failures counted
/// and capped at 99 (sv), or the LSB codes in init-script mode.
int run_invocation(const Invocation& invocation);

/// The usage line for a program name.
std::string usage_text(std::string_view program, bool lsb);
/// What `svctl --help` prints: usage, the commands, the environment (svctl(8) has the rest).
std::string help_text(std::string_view program);

}  // namespace svtree::svctl
