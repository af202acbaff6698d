// SPDX-License-Identifier: MIT
// What every svtree test needs: temp dirs, files, real processes, and waits with deadlines.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace svtree::testing {

using namespace std::chrono_literals;

/// A fresh directory under $TMPDIR (default /tmp), removed with everything in it on
/// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// wait_until's deadline, which counts only time in which the waiting process ran. A
/// whole-machine stall (seen in CI: two runs side by side failing in the same second; a
/// chain of three services found 0.2 s into its second start at a 20 s deadline) stops the
/// processes under test and the waiter alike: it is not time they had. A sleep of a few
/// milliseconds that lasted kStallGap or more is such a stall (a loaded 2-core machine
/// runs a sleeper again within tens of milliseconds): the deadline moves by it, up to
/// kMostStallAllowance in all, past which the machine's stall fails the wait. Pure: the
/// caller measures its sleeps.
class StallAwareDeadline {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::milliseconds kStallGap{1000};
  static constexpr std::chrono::milliseconds kMostStallAllowance{120000};

  StallAwareDeadline(TimePoint start, std::chrono::milliseconds timeout)
      : deadline_(start + timeout) {}
  [[nodiscard]] bool passed(TimePoint now) const { return now >= deadline_; }
  /// A sleep of a few ms lasted `slept`: true when that was a stall (the deadline moved by
  /// it, while the allowance lasts).
  bool note_sleep(std::chrono::milliseconds slept);

 private:
  TimePoint deadline_;
  std::chrono::milliseconds allowance_{0};
};

/// Polls predicate every few ms until it holds or timeout passes (StallAwareDeadline: a
/// stall of the whole machine is not counted, and is reported on stderr and at a failure).
/// Tests use generous timeouts: this waits on a condition, it does not time anything.
bool wait_until(const std::function<bool()>& predicate,
                std::chrono::milliseconds timeout = 20s);

void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);
/// Writes "#!/bin/sh\n" + body with mode 0755.
void write_script(const std::string& path, const std::string& body);
/// Writes into an existing file in place (a FIFO, a cgroup or /proc file), where
/// write_file's rename would replace it. False if it cannot be opened or written.
bool write_into(const std::string& path, const std::string& content);
/// The file's content, or "" if it cannot be read.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);
/// How many orphans svscan says it reaped in log text: one per "reaped orphan pid" line,
/// N per "reaped N more orphans" summary (svscan(8): a storm is summed up).
size_t orphans_reaped(const std::string& log);
void make_dirs(const std::string& path);

/// Path of a built binary from the environment variable meson sets (SVTREE_SUPERVISE...).
/// Empty when unset.
std::string binary_from_env(const char* variable);

/// A real process started for a test. Stdout and stderr go to files the test can read.
/// Destruction SIGKILLs its whole process group if it still runs, and reaps it.
class Process {
 public:
  struct Options {
    std::string cwd;
    std::vector<std::string> extra_env;  // "NAME=value" added to ours
    bool own_process_group = true;
    int stdin_fd = -1;   // -1: /dev/null
    int stdout_fd = -1;  // -1: a capture file
    int stderr_fd = -1;  // -1: a capture file
  };
  Process(const std::vector<std::string>& argv, Options options);
  explicit Process(const std::vector<std::string>& argv) : Process(argv, Options{}) {}
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();
  void signal(int signo) const;
  /// Waits for exit up to timeout; the raw wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = 20s);
  /// Exit code if it exited, 128+signal if killed; nullopt on timeout.
  std::optional<int> wait_exit_code(std::chrono::milliseconds timeout = 20s);
  [[nodiscard]] std::string stdout_text() const { return read_file(stdout_path_); }
  [[nodiscard]] std::string stderr_text() const { return read_file(stderr_path_); }

 private:
  TempDir capture_dir_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct CommandResult {
  int exit_code = -1;  // 128+signal when killed; -1 on timeout
  std::string out;
  std::string err;
};
/// Runs argv to completion (killed after timeout).
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 30s,
                          const std::vector<std::string>& extra_env = {});

/// name's path on PATH (name itself when it holds a '/' or is not found). Process and
/// run_command resolve argv[0] this way.
std::string find_program(const std::string& name);

/// Is an executable with this name on PATH (for the Debian peers: sv, svstat, runsv...)?
bool have_program(const std::string& name);

/// Is pid alive and not a zombie? (kill(pid, 0) alone says yes to a zombie, and to pid 0.)
bool process_alive(pid_t pid);

/// Pids of the live (non-zombie) processes whose command line contains needle.
std::vector<pid_t> pids_matching(const std::string& needle);

/// The first child of pid (from /proc/PID/task/PID/children), 0 when it has none: the init
/// that `unshare --pid --fork` started, as this test's namespace numbers it.
pid_t first_child(pid_t pid);

/// Every test runs with kTestTagVariable=<a value unique to that test> in its environment,
/// which every process it starts inherits: svscan, each supervise, each run (each in a
/// session of its own, so no process group or parent link finds them all), even inside a
/// PID namespace or under another uid. When the test ends, pass or fail, the test support
/// SIGSTOPs then SIGKILLs (and SIGCONTs) every process still carrying its tag, and prints
/// what it had to kill.
inline constexpr const char* kTestTagVariable = "SVTREE_TEST_TAG";

/// Live processes (not zombies, not this one) whose environment holds NAME=value. Reads
/// /proc/PID/environ: the environment a process was started with.
std::vector<pid_t> pids_with_environment(const std::string& name, const std::string& value);

}  // namespace svtree::testing
