// SPDX-License-Identifier: MIT
// spawn: fork + exec; the child makes only async-signal-safe system calls.
#include "svtree/spawner.hpp"

#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

extern char** environ;

namespace svtree {
namespace {

/// argv/envp for exec: pointers into strings, then nullptr. Built before fork (the child
/// must not allocate); valid while strings lives unchanged.
std::vector<char*> exec_string_array(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

/// True when parent fd `source` is also some mapping's child fd: a dup2 onto that target
/// would clobber it first, so such a source goes through a spare copy.
bool fd_source_clashes(const std::vector<std::pair<int, int>>& fds, int source) {
  return std::any_of(fds.begin(), fds.end(),
                     [source](const std::pair<int, int>& m) { return m.first == source; });
}

// Everything the child reads, laid out before fork so the child allocates nothing.
struct ChildPlan {
  const SpawnSpec& spec;
  char* const* argv;
  char* const* envp;
  const sigset_t& reset;                    // dispositions to set (signals_to_reset)
  std::vector<std::pair<int, int>>& moves;  // {child fd, parent fd}; sources rewritten
  std::vector<bool>& clashes;               // per move: goes through a spare copy first
  int report_fd;                            // write end, or -1
  int gate_read;                            // hold_exec: wait for a byte here, or -1
  int gate_write;                           // hold_exec: the parent's end, closed first
  int lowest_spare;                         // above every target fd
};

[[noreturn]] void fail(const ChildPlan& plan, int error) {
  if (plan.report_fd >= 0) (void)!::write(plan.report_fd, &error, sizeof error);
  if (!plan.spec.exec_failure_prefix.empty()) {
    // One write: the line must not interleave with other processes' lines. The buffer is
    // on the stack; strerrordesc_np returns a constant string (no locale, no allocation).
    char line[1024];
    size_t used = 0;
    auto append = [&](const char* text) {
      const size_t n = std::min(::strlen(text), sizeof line - 1 - used);
      ::memcpy(line + used, text, n);
      used += n;
    };
    append(plan.spec.exec_failure_prefix.c_str());
    append(": ");
#ifdef __GLIBC__
    const char* reason = ::strerrordesc_np(error);
#else
    // musl (Alpine): strerror is a lookup in a constant table there, with no allocation.
    const char* reason = ::strerror(error);
#endif
    append(reason != nullptr ? reason : "unknown error");
    append("\n");
    (void)!::write(STDERR_FILENO, line, used);
  }
  ::_exit(plan.spec.failure_exit_code ? *plan.spec.failure_exit_code
                                      : exec_failure_status(error));
}

/// hold_exec: blocks until the parent releases the gate. Our copy of the write end goes
/// first, or end of file could never come. End of file is a parent that died before it
/// recorded us: exit without exec (the successor starts the one copy).
void wait_for_release(const ChildPlan& plan) {
  ::close(plan.gate_write);
  char go = 0;
  ssize_t n;
  do n = ::read(plan.gate_read, &go, 1);
  while (n < 0 && errno == EINTR);
  ::close(plan.gate_read);
  if (n == 1) return;
  if (!plan.spec.exec_failure_prefix.empty()) {
    static constexpr char kReason[] = ": its supervisor died before recording it; not started\n";
    char line[1024];
    const size_t prefix = std::min(plan.spec.exec_failure_prefix.size(), sizeof line - sizeof kReason);
    ::memcpy(line, plan.spec.exec_failure_prefix.data(), prefix);
    ::memcpy(line + prefix, kReason, sizeof kReason - 1);
    (void)!::write(STDERR_FILENO, line, prefix + sizeof kReason - 1);
  }
  ::_exit(111);
}

[[noreturn]] void run_child(ChildPlan& plan) {
  const SpawnSpec& spec = plan.spec;
  // Every signal is blocked (the parent did it before fork), so no handler of ours can run
  // here; dispositions become what the program should start with. Only those exec would
  // not get right are set (signals_to_reset): a handful, not 64 system calls.
  struct sigaction action {};
  ::sigemptyset(&action.sa_mask);
  for (int signo = 1; signo < NSIG; ++signo) {
    if (::sigismember(&plan.reset, signo) != 1) continue;
    action.sa_handler = ::sigismember(&spec.signals.ignored, signo) == 1 ? SIG_IGN : SIG_DFL;
    ::sigaction(signo, &action, nullptr);
  }
  if (plan.gate_read >= 0) wait_for_release(plan);
  if (spec.group == SpawnSpec::Group::kNewSession) {
    if (::setsid() < 0) fail(plan, errno);
  } else if (spec.group == SpawnSpec::Group::kNewProcessGroup) {
    if (::setpgid(0, 0) < 0) fail(plan, errno);
    // SIGTTOU is blocked, so a background group may take the terminal (tcsetpgrp(3)).
    if (spec.terminal_fd >= 0 && ::tcsetpgrp(spec.terminal_fd, ::getpid()) < 0 &&
        errno != ENOTTY && errno != ENXIO && errno != EBADF)
      fail(plan, errno);
  }
  if (spec.cwd_fd >= 0 && ::fchdir(spec.cwd_fd) < 0) fail(plan, errno);
  // The report pipe must survive the fd map: move it above every target first.
  for (const auto& move : plan.moves) {
    if (move.first == plan.report_fd) {
      const int moved = ::fcntl(plan.report_fd, F_DUPFD_CLOEXEC, plan.lowest_spare);
      if (moved < 0) fail(plan, errno);
      plan.report_fd = moved;
      break;
    }
  }
  for (size_t i = 0; i < plan.moves.size(); ++i) {
    if (!plan.clashes[i]) continue;
    const int spare = ::fcntl(plan.moves[i].second, F_DUPFD_CLOEXEC, plan.lowest_spare);
    if (spare < 0) fail(plan, errno);
    plan.moves[i].second = spare;
  }
  for (const auto& [child_fd, parent_fd] : plan.moves) {
    if (child_fd == parent_fd) {
      // dup2 onto itself would leave close-on-exec set.
      const int flags = ::fcntl(child_fd, F_GETFD);
      if (flags < 0 || ::fcntl(child_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) fail(plan, errno);
    } else if (::dup2(parent_fd, child_fd) < 0) {
      fail(plan, errno);
    }
  }
  for (const auto& [resource, limit] : spec.rlimits)
    if (::setrlimit(static_cast<__rlimit_resource>(resource), &limit) < 0) fail(plan, errno);
  if (spec.groups && ::setgroups(spec.groups->size(), spec.groups->data()) < 0)
    fail(plan, errno);
  if (spec.gid && ::setgid(*spec.gid) < 0) fail(plan, errno);
  if (spec.uid && ::setuid(*spec.uid) < 0) fail(plan, errno);
  ::sigprocmask(SIG_SETMASK, &spec.signals.mask, nullptr);
  ::execve(spec.path.c_str(), plan.argv, plan.envp);
  // From here our handlers are gone (SIG_DFL) but the mask may let signals in: harmless.
  fail(plan, errno);
}

/// What spawn knows of our dispositions (see spawner.hpp): read from /proc/self/status at
/// the first spawn, then kept up to date by note_signal_disposition.
struct KnownDispositions {
  bool read = false;
  sigset_t caught;
  sigset_t ignored;
};

KnownDispositions& known_dispositions() {
  static KnownDispositions known = [] {
    KnownDispositions empty;
    ::sigemptyset(&empty.caught);
    ::sigemptyset(&empty.ignored);
    return empty;
  }();
  return known;
}

/// Our SigIgn and SigCgt, in one read of /proc/self/status (three system calls, against
/// 64 sigaction queries); false without /proc.
bool read_own_dispositions(sigset_t& caught, sigset_t& ignored) {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  // /proc/self/status is under 2 kB; left unzeroed, only what read() fills is touched: the
  // first spawn of every supervise runs this, and each stack page it touches stays its
  // private memory for life (issue 17).
  std::array<char, 4096> buffer;
  size_t used = 0;
  bool parsed = false;
  while (!parsed && used < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
    parsed = parse_signal_dispositions(std::string_view(buffer.data(), used), caught, ignored);
  }
  ::close(fd);
  return parsed;
}

/// The child's reset set for wanted: every signal until our dispositions are known.
sigset_t child_resets(const SignalState& wanted) {
  KnownDispositions& known = known_dispositions();
  if (!known.read) {
    sigset_t caught;
    sigset_t ignored;
    ::sigemptyset(&caught);
    ::sigemptyset(&ignored);
    if (!read_own_dispositions(caught, ignored)) {
      sigset_t all;
      ::sigfillset(&all);
      return all;
    }
    known.read = true;
    // What was noted before this first read stays: the read sees it too, but a union is
    // what the ledger means.
    for (int signo = 1; signo < NSIG; ++signo) {
      if (::sigismember(&caught, signo) == 1) ::sigaddset(&known.caught, signo);
      if (::sigismember(&ignored, signo) == 1) ::sigaddset(&known.ignored, signo);
    }
  }
  return signals_to_reset(known.caught, known.ignored, wanted);
}

/// One hexadecimal mask of /proc/PID/status ("SigIgn:\t0000000000000800"), bit n-1 for
/// signal n, into set.
bool parse_signal_mask(std::string_view status, std::string_view key, sigset_t& set) {
  const size_t at = status.find(key);
  if (at == std::string_view::npos || (at != 0 && status[at - 1] != '\n')) return false;
  size_t pos = at + key.size();
  while (pos < status.size() && (status[pos] == '\t' || status[pos] == ' ')) ++pos;
  uint64_t bits = 0;
  size_t digits = 0;
  for (; pos < status.size() && status[pos] != '\n'; ++pos, ++digits) {
    const char c = status[pos];
    int value = 0;
    if (c >= '0' && c <= '9') value = c - '0';
    else if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
    else return false;
    if (digits >= 16) return false;
    bits = (bits << 4) | static_cast<uint64_t>(value);
  }
  // The line must be complete: a read that stopped inside it has not seen every digit.
  if (digits == 0 || pos >= status.size()) return false;
  ::sigemptyset(&set);
  for (int signo = 1; signo < NSIG && signo <= 64; ++signo)
    if ((bits >> (signo - 1)) & 1u) ::sigaddset(&set, signo);
  return true;
}

}  // namespace

void note_signal_disposition(int signo, bool ignored) noexcept {
  if (signo <= 0 || signo >= NSIG) return;
  KnownDispositions& known = known_dispositions();
  // Kept once set: a signal set back to SIG_DFL costs its child one needless call, never
  // a wrong disposition.
  ::sigaddset(ignored ? &known.ignored : &known.caught, signo);
}

bool parse_signal_dispositions(std::string_view status, sigset_t& caught, sigset_t& ignored) {
  sigset_t new_caught;
  sigset_t new_ignored;
  if (!parse_signal_mask(status, "SigIgn:", new_ignored) ||
      !parse_signal_mask(status, "SigCgt:", new_caught))
    return false;
  caught = new_caught;
  ignored = new_ignored;
  return true;
}

sigset_t signals_to_reset(const sigset_t& caught, const sigset_t& ignored,
                          const SignalState& wanted) {
  sigset_t reset;
  ::sigemptyset(&reset);
  for (int signo = 1; signo < NSIG; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP) continue;
    const bool want_ignored = ::sigismember(&wanted.ignored, signo) == 1;
    const bool is_ignored = ::sigismember(&ignored, signo) == 1;
    const bool is_caught = ::sigismember(&caught, signo) == 1;
    const bool blocked_through_exec = ::sigismember(&wanted.mask, signo) == 1;
    // exec keeps SIG_IGN and turns a handler into SIG_DFL; before exec, a handler runs for
    // a signal the child's mask lets in.
    if (is_ignored != want_ignored || (is_caught && (want_ignored || !blocked_through_exec)))
      ::sigaddset(&reset, signo);
  }
  return reset;
}

SignalState SignalState::clean() {
  SignalState state;
  ::sigemptyset(&state.mask);
  ::sigemptyset(&state.ignored);
  return state;
}

SignalState SignalState::current() {
  SignalState state = clean();
  ::sigprocmask(SIG_BLOCK, nullptr, &state.mask);
  for (int signo = 1; signo < NSIG; ++signo) {
    struct sigaction old {};
    if (::sigaction(signo, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      ::sigaddset(&state.ignored, signo);
  }
  return state;
}

int exec_failure_status(int error) { return error == ENOENT || error == ENOTDIR ? 127 : 126; }

Result<Spawned> spawn(const SpawnSpec& spec) {
  auto argv = exec_string_array(spec.argv);
  std::vector<char*> envp;
  if (spec.env != nullptr) envp = exec_string_array(*spec.env);
  std::vector<std::pair<int, int>> moves = spec.fds;
  std::vector<bool> clashes(moves.size());
  int lowest_spare = 3;
  for (size_t i = 0; i < moves.size(); ++i) {
    clashes[i] = fd_source_clashes(spec.fds, moves[i].second);
    lowest_spare = std::max(lowest_spare, moves[i].first + 1);
  }
  int report[2] = {-1, -1};
  if (spec.report_exec_failure && ::pipe2(report, O_CLOEXEC) != 0)
    return errno_error("make the exec report pipe for " + spec.path);
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  int gate[2] = {-1, -1};
  if (spec.hold_exec && ::pipe2(gate, O_CLOEXEC) != 0)
    return errno_error("make the exec gate pipe for " + spec.path);
  UniqueFd gate_read(gate[0]);
  UniqueFd gate_write(gate[1]);
  const sigset_t reset = child_resets(spec.signals);
  ChildPlan plan{spec,           argv.data(),      spec.env != nullptr ? envp.data() : environ,
                 reset,          moves,            clashes,
                 report_write.get(), gate_read.get(), gate_write.get(),
                 lowest_spare};

  // No handler of ours may run in the child between fork and the reset.
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  const int fork_errno = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return SysError{fork_errno, "fork for " + spec.path};
  // The parent sets the group too, so that a signal to it right after we return cannot
  // miss (either call may come first; EACCES after the child's exec is harmless).
  if (spec.group == SpawnSpec::Group::kNewProcessGroup) ::setpgid(pid, pid);
  return Spawned{pid, std::move(report_read), std::move(gate_write)};
}

void release_exec(UniqueFd& gate) {
  if (!gate.valid()) return;
  const char go = 1;
  ssize_t n;
  do n = ::write(gate.get(), &go, 1);
  while (n < 0 && errno == EINTR);
  gate.reset();
}

std::optional<int> read_exec_report(int report_fd) {
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(report_fd, &error, sizeof error);
    if (n < 0 && errno == EINTR) continue;
    if (n == static_cast<ssize_t>(sizeof error)) return error;
    return std::nullopt;
  }
}

}  // namespace svtree
