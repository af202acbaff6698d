// SPDX-License-Identifier: MIT
// spawn: the one fork+exec path for everything svtree starts (issue #10): session or
// process group with terminal handover, cwd by fd, fd map, the signal state to pass on,
// identity and rlimits; async-signal-safe in the child; exec failure as an event.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// The signal state a child starts with. Whatever libev did to ours is never passed on.
struct SignalState {
  sigset_t mask;     // blocked in the child
  sigset_t ignored;  // SIG_IGN in the child; every other signal is SIG_DFL
  /// Empty mask, nothing ignored: what a service's supervise gets.
  static SignalState clean();
  /// This process's mask and ignored set right now. Call it first thing in main, before
  /// an event loop changes either: that is what the caller of svscan meant to pass on.
  static SignalState current();
};

struct SpawnSpec {
  enum class Group : uint8_t {
    kInherit,          // stay in our session and process group
    kNewSession,       // setsid(): services and their supervise (DESIGN.md §1)
    kNewProcessGroup,  // setpgid(0, 0): the main command (tini)
  };

  std::string path;               // executed as is: resolve PATH before
  std::vector<std::string> argv;  // argv[0] included
  const std::vector<std::string>* env = nullptr;  // nullptr: inherit our environment
  int cwd_fd = -1;                // >= 0: fchdir to it before exec; else stay where we are
  Group group = Group::kInherit;
  /// With kNewProcessGroup: make the new group the foreground group of this terminal
  /// (tcsetpgrp), when it is one. Not a terminal (ENOTTY, ENXIO) is not an error.
  int terminal_fd = -1;
  /// {child fd, parent fd}: the child gets a copy of parent fd at child fd. Every other fd
  /// of ours is close-on-exec and does not leak.
  std::vector<std::pair<int, int>> fds;
  SignalState signals = SignalState::clean();
  /// For `user` and `limits` (issue #16): applied in this order, groups before gid before
  /// uid, after the rlimits (which may need the privileges dropped last).
  std::vector<std::pair<int, struct rlimit>> rlimits;
  std::optional<std::vector<gid_t>> groups;
  std::optional<gid_t> gid;
  std::optional<uid_t> uid;
  /// When the child cannot exec (or set itself up), it writes exec_failure_prefix, ": ",
  /// the reason and a newline to its stderr, then exits: 127 for ENOENT, 126 otherwise
  /// (tini's and the shell's codes), or failure_exit_code when it is set (runit's 111).
  std::string exec_failure_prefix;
  std::optional<int> failure_exit_code;
  /// Also report the failure's errno through a close-on-exec pipe (Spawned::report).
  bool report_exec_failure = false;
  /// The child waits before it execs until the parent calls release_exec(Spawned::gate).
  /// A gate closed unreleased (the parent died: SIGKILL, OOM) makes the child exit 111
  /// without exec, after one line on the stderr it inherited (the wait comes before the
  /// fd map, so that nothing is set up for a program that will not run): what the parent never recorded never runs,
  /// so its successor cannot start a second copy beside it (issue #10, adoption).
  bool hold_exec = false;
};

struct Spawned {
  pid_t pid = 0;
  /// With report_exec_failure: becomes readable at exec (end of file: the program runs)
  /// or when set-up or exec failed (the errno, 4 bytes). Watch it in the loop; never wait.
  UniqueFd report;
  /// With hold_exec: the write end of the child's gate.
  UniqueFd gate;
};

/// Lets a child spawned with hold_exec go on to exec, and closes the gate.
void release_exec(UniqueFd& gate);

/// Forks and execs spec. The parent never waits for the exec. Errors: pipe or fork failed.
/// The child allocates nothing: argv, envp and the fd moves are built before fork.
Result<Spawned> spawn(const SpawnSpec& spec);

/// Reads Spawned::report once it is readable: nullopt when the program was executed, else
/// the errno of the failed step.
std::optional<int> read_exec_report(int report_fd);

/// Shell-style status of a failed exec: 127 for ENOENT (and ENOTDIR), 126 otherwise.
int exec_failure_status(int error);

// --- The signal dispositions a child has to change (issue #18)
// Resetting all 64 dispositions in every child cost 62 system calls per spawn, more than
// half of a cold start's. exec itself resets a handler; what it keeps is SIG_IGN, and until
// exec a handler of ours could run in the child for a signal its mask lets in. So the child
// changes only: a signal whose SIG_IGN must go or come, and a signal we catch that the
// child's mask does not block. spawn learns our dispositions once, from /proc/self/status
// at the first spawn (what we inherited, what was installed before), then from
// note_signal_disposition, which every later change in svtree goes through (SignalWatch,
// neutralise_sigpipe; tests/check_signal_ledger.sh finds any other). Without /proc the
// child resets every signal, as before.

/// Records that this process gave signo a handler (ignored false) or SIG_IGN (true).
/// Call it with every sigaction/signal of svtree's own, right after it.
void note_signal_disposition(int signo, bool ignored) noexcept;

/// Pure: the SigIgn and SigCgt sets of a /proc/PID/status text; false when either line is
/// missing or malformed (the sets are then unchanged).
bool parse_signal_dispositions(std::string_view status, sigset_t& caught, sigset_t& ignored);

/// Pure: the signals a child must set before exec to start with wanted (SIG_IGN for
/// wanted.ignored, SIG_DFL otherwise), given the caught and ignored sets of its parent.
sigset_t signals_to_reset(const sigset_t& caught, const sigset_t& ignored,
                          const SignalState& wanted);

}  // namespace svtree
