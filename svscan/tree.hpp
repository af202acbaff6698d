// SPDX-License-Identifier: MIT
// Tree: the supervise children of svscan, the log pipes between pairs, restarts and the
// shutdown order (DESIGN.md §1, §5). Every side effect goes through TreeEffects, so the
// bookkeeping runs against fakes in tests.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "catch_pipes.hpp"
#include "pid_map.hpp"
#include "scan_diff.hpp"
#include "svtree/clock.hpp"
#include "svtree/pipe.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

/// What the tree does to the world. The real one spawns `supervise`, the fake records.
class TreeEffects {
 public:
  virtual ~TreeEffects() = default;
  /// Starts `supervise DIR` (DIR relative to the scan directory) in a new session. fd 0 /
  /// fd 1 of the child become stdin_fd / stdout_fd when >= 0, else ours are inherited.
  virtual Result<pid_t> start_supervise(const std::string& dir, int stdin_fd,
                                        int stdout_fd) = 0;
  virtual void send_signal(pid_t pid, int signo) = 0;
  virtual Result<Pipe> make_log_pipe() = 0;
  /// Takes the read end of a pipe whose logger is gone for good (log/ removed) while a run
  /// adopted across the change may still write into it: copies what comes to our stdout
  /// until end of file, so that run neither blocks nor dies of SIGPIPE; labelled NAME.
  virtual void forward_to_stdout(UniqueFd read_end, const std::string& name) = 0;
  /// Issue 15: pipes whose lines reach our stdout labelled NAME, for a service without
  /// log/ (svscan/catch_all.hpp). An error (ENOSYS by default): its output is inherited.
  virtual Result<CatchPipes> open_catch_all(const std::string& name);
  /// The service behind catch-all pipe `id` is called NAME now. NAME, like open_catch_all's,
  /// is the tree's own string, lent until release_catch_all(id) (issue 17: one copy).
  virtual void rename_catch_all(int id, const std::string& name);
  /// The tree closed its ends of catch-all pipe `id` and no longer lends its name.
  virtual void release_catch_all(int id);
  /// JSON mode's catch-all: start_supervise with stderr_fd as supervise's (and run's) fd 2.
  virtual Result<pid_t> start_supervise_caught(const std::string& dir, int stdout_fd,
                                               int stderr_fd);
  /// The wait status supervise recorded for DIR's last run (status bytes 33-36), for an
  /// `essential` service whose supervise exited 99. nullopt when unreadable or unknown.
  virtual std::optional<int> last_run_wait_status(const std::string& dir) = 0;
  /// Watches DIR for log/ appearing or going; returns a watch id or -1 (no inotify).
  virtual int watch_service(const std::string& dir) = 0;
  virtual void unwatch_service(int watch) = 0;
  /// DIR/depends/'s entries (issue 14): the shutdown stops DIR before them.
  virtual std::vector<std::string> dependencies_of(const std::string& dir) = 0;
  /// One line of svscan's own log ("svscan: TEXT") and a warning.
  virtual void note(std::string_view text) = 0;
  virtual void warn(std::string_view text) = 0;

  // The `stderr separate` path (issue 15). Defaults: no stderr pipe, for fakes that do not
  // care; the Scanner implements all three.
  /// Whether DIR's `stderr` knob says separate; read when svscan pairs DIR with its log/.
  virtual bool wants_separate_stderr(const std::string& dir) {
    (void)dir;
    return false;
  }
  /// start_supervise, plus stderr_fd handed over as SVTREE_STDERR_FD (svtree/stderr_pipe.hpp),
  /// never as supervise's own fd 2.
  virtual Result<pid_t> start_supervise_with_stderr(const std::string& dir, int stdin_fd,
                                                    int stdout_fd, int stderr_fd) {
    (void)stderr_fd;
    return start_supervise(dir, stdin_fd, stdout_fd);
  }
  /// Where DIR's stderr logger keeps its files: DIR/log/err, an instance's own directory
  /// in the state directory (supervise_location::stderr_log_dir).
  virtual std::string stderr_log_dir(const std::string& dir) { return dir + "/log/err"; }
  /// Starts the stderr logger of DIR: `svlog -tt DIR/log/err` with stdin_fd as its fd 0,
  /// in a new session; svscan restarts it like a supervise.
  virtual Result<pid_t> start_stderr_logger(const std::string& dir, int stdin_fd) {
    (void)dir;
    (void)stdin_fd;
    return SysError{ENOSYS, "start a stderr logger"};
  }
};

class Tree {
 public:
  /// Restart throttle of a dying supervise: at least this long between two starts,
  /// doubled at each quick death up to the cap.
  static constexpr int64_t kMinRestartMs = 1000;
  static constexpr int64_t kMaxRestartMs = 30000;

  Tree(TreeEffects& effects, const Clock& clock, size_t max_services);
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  /// Brings the tree in line with a listing of the scan directory: starts, stops,
  /// renames, re-wires log pairs. Ignored once shutdown began.
  void sync(std::span<const ScanEntry> listing);
  /// A child of ours ended. Returns false when pid was not one of our supervise processes.
  bool on_child_exit(pid_t pid, int wait_status);
  /// Performs the restarts that are due; call when next_deadline_ms() passes.
  void on_timer();
  /// Monotonic ms of the next pending restart, if any.
  [[nodiscard]] std::optional<int64_t> next_deadline_ms() const;

  /// DESIGN.md §5 step 1 and 2: every service supervise gets SIGTERM (= `x`), dependents
  /// before what they depend on (issue 14: a service is stopped once no supervise of a
  /// service naming it in depends/ is left); a pair whose service side is already gone has
  /// its pipe closed and its logger HUPed at once, the others as their service supervise
  /// exits, so loggers go last.
  void begin_shutdown();
  [[nodiscard]] bool shutting_down() const { return shutting_down_; }

  /// Service supervise processes alive (loggers not counted).
  [[nodiscard]] size_t services_alive() const;
  /// Every supervise process alive.
  [[nodiscard]] size_t supervisors_alive() const { return by_pid_.size(); }
  /// Pids of the live log supervise processes (spared by the shutdown's "other
  /// descendants" TERM: they drain and leave on their own).
  [[nodiscard]] std::vector<pid_t> logger_pids() const;
  /// The directories ("NAME/log") of the loggers whose supervise still runs: their records
  /// name the logger's run, which may be a process adopted from an earlier supervise and so
  /// no descendant of the current one.
  [[nodiscard]] std::vector<std::string> logger_dirs() const;
  /// Shell-style status (code, or 128+signal) of an essential service that ended the tree.
  [[nodiscard]] std::optional<int> essential_status() const { return essential_status_; }

  /// True while some service has a log/ that could not be given its pipe (descriptors
  /// exhausted): the scanner keeps its fallback rescan timer running until it is paired.
  [[nodiscard]] bool pairing_pending() const;
  /// True when the last sync skipped services for want of a slot (-c) and a slot is free
  /// now: the scanner rescans, and the next sync starts them (issue 12, item 5).
  [[nodiscard]] bool skipped_can_start() const {
    return !skipped_.empty() && in_use_ < max_services_;
  }

  /// Number of services in the table (including removed ones still stopping).
  [[nodiscard]] size_t size() const { return in_use_; }
  /// For tests and messages: supervise pids of a listed service (0 when not running).
  [[nodiscard]] pid_t service_pid(std::string_view name) const;
  [[nodiscard]] pid_t logger_pid(std::string_view name) const;
  [[nodiscard]] bool has_pipe(std::string_view name) const;

 private:
  enum class Role : uint8_t { kService, kLogger, kStderrLogger };
  // Supervisor and Service are ordered widest first, leaving no padding: the table holds
  // max_services of them, touched as services come (issue 17: svscan's own memory).
  // A Supervisor is 24 bytes, three a service: the throttle fits 16 bits, the flags one byte.
  struct Supervisor {
    int64_t started_ms = 0;
    int64_t restart_at_ms = -1;  // -1: no restart pending
    pid_t pid = 0;
    uint16_t backoff_ms = kMinRestartMs;
    bool stopping : 1 = false;   // sent TERM/HUP on purpose: do not restart
    bool replacing : 1 = false;  // SIGKILLed to re-wire its stdio: start again at once
    bool awaiting_dependents : 1 = false;  // shutdown: TERM once its dependents are gone
  };
  static_assert(kMaxRestartMs <= UINT16_MAX && sizeof(Supervisor) == 24);
  // `stderr separate` (issue 15): run's fd 2 to svlog on DIR/log/err, held like the log
  // pipe, so neither a restart of run nor one of that svlog loses a line. Few services
  // have one: out of line (48 bytes of heap for those, 8 in every LogSide).
  struct StderrSide {
    Supervisor logger;
    UniqueFd read;
    UniqueFd write;
  };
  // A service that has (or had) log/: its logger and the pipe svscan holds for the pair's
  // life (DESIGN.md §1). Out of line, made when log/ is first seen and kept until the slot
  // is freed (a logger may outlive its log/): the default service, without log/, no longer
  // carries 88 bytes it never uses in a table of max_services records (issue 17).
  struct LogSide {
    FileId id;  // meaningful while Service::logged
    Supervisor logger;
    UniqueFd pipe_read;
    UniqueFd pipe_write;
    std::unique_ptr<StderrSide> err;
  };
  struct Service {
    std::string name;
    // Issue 16: an instance of a template (its id is the template's); null for the others,
    // most services: 8 bytes, not a string's 32 (issue 17).
    std::unique_ptr<std::string> instance;
    FileId id;
    Supervisor main;
    std::unique_ptr<LogSide> log;  // null: never had a log/
    CatchPipes catch_all;  // no log/ (issue 15): held across restarts, like the log pipe
    int watch = -1;
    uint32_t live_dependents = 0;  // shutdown: live services depending on it
    bool in_use = false;
    bool removed = false;  // gone from the scan directory; slot freed when both are gone
    bool logged = false;   // has a log/ that is wanted
    bool log_unpaired = false;  // log/ exists but no pipe could be made: a rescan retries
  };
  static_assert(sizeof(Service) <= 112);
  /// s's log side, made on first use.
  static LogSide& log_side(Service& s);
  /// s's stderr side, made on first use (with its log side).
  static StderrSide& stderr_side(Service& s);
  /// The pid of s's logger (0: none running).
  static pid_t logger_pid_of(const Service& s) { return s.log ? s.log->logger.pid : 0; }
  /// s's supervisors that exist: the service's, then its logger's and its stderr
  /// logger's when those sides were made; null for a side never made.
  template <typename ServiceOrConst>
  static auto supervisors_of(ServiceOrConst& s) {
    using Sup = std::conditional_t<std::is_const_v<ServiceOrConst>, const Supervisor, Supervisor>;
    return std::array<Sup*, 3>{&s.main, s.log ? &s.log->logger : nullptr,
                               s.log && s.log->err ? &s.log->err->logger : nullptr};
  }
  /// Whether svscan holds s's stderr pipe (`stderr separate` in effect).
  static bool has_stderr_pipe(const Service& s) {
    return s.log && s.log->err && s.log->err->read.valid();
  }
  struct PidRef {
    uint32_t slot;  // < max_services (issue 17: an entry of by_pid_ is 12 bytes)
    Role role;
  };

  /// False when no slot is free (-c): the caller lists the name for note_skipped.
  bool add_service(const ScanEntry& entry);
  void note_skipped(std::vector<std::string> skipped);
  /// One warning per pair of entries that are the same directory (issue 16).
  void note_duplicates(std::span<const ScanEntry> listing, const ScanDiff& diff);
  void remove_service(size_t slot);
  void add_log(size_t slot, const FileId& log_id);
  void remove_log(size_t slot);
  void replace_log(size_t slot, const FileId& log_id);
  void start(size_t slot, Role role);
  void schedule_restart(size_t slot, Role role);
  /// schedule_restart, and the warning that says what ended, how, and when it starts again.
  void restart_after_exit(size_t slot, Role role, const std::string& what, int wait_status,
                          std::string_view tail);
  void on_service_exit(size_t slot, int wait_status);
  void on_logger_exit(size_t slot, int wait_status);
  void release_pair(size_t slot);  // close our pipe ends, HUP the logger
  void retire_pipe(size_t slot);   // log/ removed: hand the read end to forward_to_stdout
  void open_catch_all(size_t slot);   // no log/: its output labelled on our stdout
  /// Our write ends only: the read side drains to EOF, labelled with a copy of the name.
  void close_catch_all(size_t slot);
  void maybe_free(size_t slot);
  // Issue 15, the stderr pipe and its svlog, each beside its stdout counterpart.
  void add_stderr_pipe(size_t slot);   // the knob says separate: pipe + svlog
  void drop_stderr_pipe(size_t slot);  // close our ends; svlog leaves at end of file
  void on_stderr_logger_exit(size_t slot, int wait_status);
  [[nodiscard]] Supervisor& supervisor_of(size_t slot, Role role);
  // Issue 14, the shutdown order: dependents first.
  void count_dependents();
  /// SIGTERM to slot's supervise if it waits and no dependent of it is left.
  void stop_when_free(size_t slot);
  /// slot's supervise exited: its dependencies have one dependent less.
  void on_dependent_gone(size_t slot);
  /// Only services waiting for each other are left (a cycle): SIGTERM to all of them.
  void break_shutdown_cycle();
  [[nodiscard]] std::string dir_of(const Service& service, Role role) const;
  [[nodiscard]] const Service* find(std::string_view name) const;

  TreeEffects& effects_;
  const Clock& clock_;
  size_t max_services_;
  std::vector<Service> slots_;  // capacity max_services, reserved once: never reallocated
  std::vector<size_t> free_slots_;
  size_t in_use_ = 0;
  PidMap<PidRef> by_pid_;
  /// Shutdown only (count_dependents): per slot, the live services it depends on.
  std::vector<std::vector<size_t>> dependency_slots_;
  bool shutting_down_ = false;
  std::vector<std::string> skipped_;  // names the last sync could not give a slot, sorted
  std::vector<std::string> duplicates_said_;  // "first\nsecond" pairs warned about, sorted
  std::optional<int> essential_status_;
};

}  // namespace svtree::svscan
