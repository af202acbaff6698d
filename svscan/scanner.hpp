// SPDX-License-Identifier: MIT
// Scanner: svscan as a whole — the loop, signals, the scan, the main command, the
// shutdown sequence and the exit status (DESIGN.md §1, §5).
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catch_all.hpp"
#include "main_command.hpp"
#include "orphan_report.hpp"
#include "ready_wait.hpp"
#include "state.hpp"
#include "svtree/clock.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/spawner.hpp"
#include "tree.hpp"
#include "watcher.hpp"

namespace svtree::svscan {

struct Options {
  std::string scan_dir = "/etc/service";
  int64_t grace_ms = 7000;       // -g: SIGKILL to what is left this long after shutdown began
  size_t max_services = 1000;    // -c: table size, allocated once
  int64_t rescan_ms = 5000;      // -t: fallback rescan period when inotify cannot watch
  std::string supervise;         // absolute path of our supervise
  std::vector<std::string> command;  // after `--`: the main command
  bool main_command_mode = false;    // `--` was given (with nothing after it: usage error)
  int cwd_fd = -1;                   // the starting directory, for the main command
  SignalState inherited_signals = SignalState::clean();  // what our caller gave us
  std::optional<int64_t> wait_ready_ms;  // -W: hold CMD until the services are ready
  bool quiet = false;                // -q: no notices of our own (warnings stay)
  LogFormat log_format = LogFormat::kPlain;  // -j or $SVTREE_LOG_FORMAT (issue 15)
};

/// Exit status when -W's deadline passes before every service is ready (svscan(8)).
inline constexpr int kExitNotReady = 111;

/// Where svscan's supervise lives: $SVTREE_SUPERVISE, else svscan's own executable
/// (/proc/self/exe, the multi-call binary), started with argv[0] `supervise`. Never PATH:
/// daemontools ships a `supervise` of its own. A relative $SVTREE_SUPERVISE is made
/// absolute against the current directory (call before chdir).
std::string locate_supervise();

/// Resolves a main command's name through PATH (as execvp would); names with a slash are
/// returned unchanged. Empty when not found.
std::string find_in_path(const std::string& name);

class Scanner final : private TreeEffects {
 public:
  explicit Scanner(Options options);
  ~Scanner() override;
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  /// Runs until the tree is down and no child is left; returns svscan's exit status.
  /// Fatal start-up errors exit 111 from inside.
  int run();

 private:
  // TreeEffects
  Result<pid_t> start_supervise(const std::string& dir, int stdin_fd, int stdout_fd) override;
  Result<pid_t> start_supervise_caught(const std::string& dir, int stdout_fd,
                                       int stderr_fd) override;
  /// Issue 15: every supervise gets svscan's pipe for its own lines, and SVTREE_DIAG_FD in
  /// env (a copy of ours when nullptr).
  void add_diag_fd(SpawnSpec& spec, std::vector<std::string>* env);
  Result<pid_t> spawn_supervise(const std::string& dir, int stdin_fd, int stdout_fd,
                                int stderr_fd);
  void send_signal(pid_t pid, int signo) override;
  Result<Pipe> make_log_pipe() override;
  void forward_to_stdout(UniqueFd read_end, const std::string& name) override;
  Result<CatchPipes> open_catch_all(const std::string& name) override;
  void rename_catch_all(int id, const std::string& name) override;
  void release_catch_all(int id) override;
  std::optional<int> last_run_wait_status(const std::string& dir) override;
  std::vector<std::string> dependencies_of(const std::string& dir) override;
  // The `stderr separate` path (issue 15), in scanner_stderr.cpp.
  bool wants_separate_stderr(const std::string& dir) override;
  Result<pid_t> start_supervise_with_stderr(const std::string& dir, int stdin_fd, int stdout_fd,
                                            int stderr_fd) override;
  std::string stderr_log_dir(const std::string& dir) override;
  Result<pid_t> start_stderr_logger(const std::string& dir, int stdin_fd) override;
  int watch_service(const std::string& dir) override;
  void unwatch_service(int watch) override;
  void note(std::string_view text) override;
  void warn(std::string_view text) override;

  void rescan();
  // Issue 17, in scanner_memory.cpp: a scan's memory is not kept between scans.
  /// One pass over the scan directory into listing_ and dangling_ (read_listing).
  Result<void> list_scan_dir();
  /// The scan is applied: its listing and the heap's free pages go back.
  void release_scan_memory();
  /// The directory whose supervise/ is the record of dir ("NAME", "NAME/log"): lib
  /// supervise_location's rule (issue 16: instances and read-only services keep it in
  /// our state directory).
  [[nodiscard]] std::string home_of(const std::string& dir) const;
  void open_state();
  void catch_signals();
  void on_signal(int signo) noexcept;  // every caught signal's callback
  void hold_or_start_command();
  /// Says each new dangling link once and watches where its target will appear; true
  /// when a watch was added (the caller looks again).
  bool follow_dangling();
  /// When the scan path (a link, or a path through one) leads to another directory now,
  /// switches to it (runit's runsvchdir).
  void follow_scan_path();
  void start_command();
  void on_child(pid_t pid, int wait_status);
  void begin_shutdown(int exit_status, std::string_view why, bool signal_command = true);
  void advance_shutdown();
  void on_grace_over();
  /// The last lines (orphan summary, "no child left"), then the writers may end.
  void finish_output();
  void rearm_timers();
  /// Says what orphan_report_ has to say now, and keeps its timer armed while a window is open.
  void report_orphans(std::vector<std::string> lines);

  Options options_;
  Loop& loop_;
  SystemClock clock_;
  bool pid1_ = false;
  DIR* scan_dir_ = nullptr;
  std::vector<ScanEntry> listing_;
  std::vector<DanglingEntry> dangling_;
  std::vector<std::string> dangling_said_;  // names already reported as dangling
  bool dangling_unwatched_ = false;         // some dangling link has nothing to watch
  std::string scan_path_;                   // the scan dir as given, made absolute
  bool follow_scan_path_ = false;           // a symbolic link is on scan_path_
  FileId scan_id_;                          // the directory scan_dir_ reads
  std::unique_ptr<Watcher> watcher_;
  std::unique_ptr<Tree> tree_;
  std::unique_ptr<ChildWatch> children_;
  std::vector<std::unique_ptr<SignalWatch>> signals_;
  std::unique_ptr<TimerWatch> restart_timer_;
  std::unique_ptr<TimerWatch> rescan_timer_;
  std::unique_ptr<TimerWatch> grace_timer_;
  OrphanReport orphan_report_;
  std::unique_ptr<TimerWatch> orphan_timer_;  // armed only while a window is open
  /// Everything svscan prints, and the output of services without log/ (issue 15).
  std::unique_ptr<CatchAll> catch_all_;
  bool catch_all_finished_ = false;
  int64_t output_finished_ms_ = 0;  // when finish_output let the writers drain (monotonic)
  /// Our environment plus SVTREE_DIAG_FD, for supervise only (built once at start).
  std::vector<std::string> supervise_env_;
  std::string canonical_scan_dir_;
  std::unique_ptr<TreeState> state_;
  std::unique_ptr<MainCommand> command_;
  std::unique_ptr<ReadyWait> ready_wait_;
  /// Shutdown began by signal while the main command ran: its status becomes ours.
  bool status_from_command_ = false;
  bool shutting_down_ = false;
  bool others_termed_ = false;
  bool grace_over_ = false;
  int exit_status_ = 0;
};

}  // namespace svtree::svscan
