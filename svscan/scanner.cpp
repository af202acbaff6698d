// SPDX-License-Identifier: MIT
// Scanner: wires the loop, the watcher, the tree and the reaper together.
#include "scanner.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "instances.hpp"
#include "reaper.hpp"
#include "svtree/diag.hpp"
#include "svtree/escape.hpp"
#include "svtree/io.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/process.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/signal_name.hpp"
#include "svtree/state_dir.hpp"
#include "svtree/status_record.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::svscan {
namespace {

// The descriptor supervise finds svscan's pipe for its own lines at ($SVTREE_DIAG_FD);
// 3 is the `stderr separate` pipe's (svtree/stderr_pipe.hpp).
constexpr int kDiagFd = 4;

// How long the output writers get, once nothing else is left at shutdown, to write what
// they hold before a grace round kills them (a stalled reader): ample for a loaded
// machine, within docker stop's 10 s when the grace time was short.
constexpr int64_t kWriterDrainMs = 5000;

std::string describe_status(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "status " + std::to_string(wait_status);
}

// Two descriptors per log pair, up to four per catch-all (issue 15): make sure 1000
// services fit without touching what children inherit more than needed.
void raise_fd_limit(size_t max_services) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  // Issue 15: up to four more for a service without log/ (its catch-all pipes in JSON mode).
  const rlim_t needed = static_cast<rlim_t>(4 * max_services + 64);
  if (limit.rlim_cur >= needed) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

std::string locate_supervise() {
  if (const char* env = std::getenv("SVTREE_SUPERVISE"); env != nullptr && *env != '\0') {
    // Made absolute now, against the directory svscan was started in: svscan chdirs into
    // the scan directory before its first exec, where a relative path means something
    // else (issue 12, item 7: every start failed, forever).
    std::string path = env;
    if (path.front() == '/') return path;
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr)
      diag::fatal(diag::kExitSystem,
                  errno_error("resolve SVTREE_SUPERVISE=" + path +
                              " against the current directory: give an absolute path"));
    return std::string(cwd) + "/" + path;
  }
  // svscan and supervise are one binary (multicall/): run it again as `supervise DIR`. The
  // kernel resolves the link in the child, so a binary replaced on disk since svscan started
  // still gives the supervise that matches this svscan.
  return "/proc/self/exe";
}

std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  // No iostreams here: <sstream> alone would double the static binary's text.
  const std::string_view path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  for (;;) {
    const size_t end = std::min(path.find(':', begin), path.size());
    const std::string_view dir = path.substr(begin, end - begin);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    if (end == path.size()) return {};
    begin = end + 1;
  }
}

Scanner::Scanner(Options options) : options_(std::move(options)), loop_(Loop::default_loop()) {}

Scanner::~Scanner() {
  if (scan_dir_ != nullptr) ::closedir(scan_dir_);
}

int Scanner::run() {
  neutralise_sigpipe();
  const auto reaper = become_reaper();
  if (!reaper) diag::fatal(diag::kExitSystem, reaper.error());
  pid1_ = *reaper;
  raise_fd_limit(options_.max_services);
  if (!is_executable_file(options_.supervise))
    diag::fatal(diag::kExitSystem,
                "unable to find supervise at " + escape_name(options_.supervise) +
                    ": is /proc mounted? (or set SVTREE_SUPERVISE to its path)");
  // Before the chdir: a relative scan dir means the caller's directory.
  canonical_scan_dir_ = state_dir::canonical_path(options_.scan_dir);
  // DESIGN.md §1: services and the main command find their tree through SVDIR.
  ::setenv("SVDIR", canonical_scan_dir_.c_str(), 1);
  // An svscan run as an instance of an outer tree: its own services are no instances.
  ::unsetenv(supervise_location::kInstanceVariable);
  open_state();
  // runit's runlevel switch (runsvchdir) re-points a link on the scan path: remember the
  // path, absolute, to see where it leads after each change of a link on it.
  scan_path_ = options_.scan_dir;
  if (scan_path_.front() != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) scan_path_ = std::string(cwd) + "/" + scan_path_;
  }
  follow_scan_path_ = scan_path_.front() == '/' && !link_parents(scan_path_).empty();
  if (::chdir(options_.scan_dir.c_str()) != 0) {
    const SysError error = errno_error("change directory to " + escape_name(options_.scan_dir));
    // A tini user may have no services at all: the main command runs alone.
    if (!options_.main_command_mode) diag::fatal(diag::kExitSystem, error);
    warn(error.message() + ": running the main command without services");
  } else {
    scan_dir_ = ::opendir(".");
    if (scan_dir_ == nullptr)
      diag::fatal(diag::kExitSystem,
                  errno_error("open directory " + escape_name(options_.scan_dir)));
    struct stat scan_st {};
    if (::fstat(::dirfd(scan_dir_), &scan_st) == 0) scan_id_ = {scan_st.st_dev, scan_st.st_ino};
  }

  // The catch-all comes first: libev reaps every child from now on (STYLE.md §6).
  children_ = std::make_unique<ChildWatch>(
      loop_, 0, [this](pid_t pid, int status) { on_child(pid, status); });
  catch_signals();
  // Issue 15: from here on every line svscan prints is queued, never a blocking write.
  catch_all_ = std::make_unique<CatchAll>(loop_, options_.log_format);
  catch_all_->start();
  ::setenv(kLogFormatEnv, options_.log_format == LogFormat::kJson ? "json" : "plain", 1);
  // Only supervise gets $SVTREE_DIAG_FD (and removes it): the main command must not take
  // a descriptor 3 of its own for svscan's pipe.
  if (catch_all_->diag_write_fd() >= 0) {
    for (char** entry = environ; *entry != nullptr; ++entry) supervise_env_.emplace_back(*entry);
    supervise_env_.push_back("SVTREE_DIAG_FD=" + std::to_string(kDiagFd));
  }
  restart_timer_ = std::make_unique<TimerWatch>(loop_, [this] {
    tree_->on_timer();
    rearm_timers();
  });
  rescan_timer_ = std::make_unique<TimerWatch>(loop_, [this] { rescan(); });
  grace_timer_ = std::make_unique<TimerWatch>(loop_, [this] { on_grace_over(); });
  orphan_timer_ = std::make_unique<TimerWatch>(loop_, [this] {
    std::vector<std::string> lines;
    if (auto summary = orphan_report_.on_time(clock_.monotonic_ms()))
      lines.push_back(std::move(*summary));
    report_orphans(std::move(lines));
  });
  tree_ = std::make_unique<Tree>(static_cast<TreeEffects&>(*this), clock_, options_.max_services);
  watcher_ = std::make_unique<Watcher>(loop_, [this] {
    if (!shutting_down_) rescan();
  });
  if (scan_dir_ != nullptr) watcher_->watch_scan_dir(".");

  note("scanning " + options_.scan_dir + (pid1_ ? " as PID 1" : " as a child subreaper"));
  rescan();
  if (options_.main_command_mode) hold_or_start_command();
  advance_shutdown();
  if (!shutting_down_ || have_children()) loop_.run();
  finish_output();
  command_.reset();
  state_.reset();
  return exit_status_;
}

void Scanner::open_state() {
  state_ = std::make_unique<TreeState>(loop_, [this] {
    note("rescan asked through the control FIFO");
    if (!shutting_down_) rescan();
  });
  const std::string root = state_dir::root();
  std::string why;
  switch (state_->open(root, canonical_scan_dir_, why)) {
    case TreeState::Outcome::kReady:
      // Made now, so that a dependent can watch it for a dependency's supervise/ to come
      // (issue 16: instances and read-only services keep theirs there).
      if (auto made = make_directories(supervise_location::state_home(state_->dir(), ""));
          !made)
        warn(made.error().message());
      return;
    case TreeState::Outcome::kTaken: diag::fatal(diag::kExitSystem, why);
    case TreeState::Outcome::kUnavailable:
      warn(why + "; running without a state directory: svctl will not find this tree and a "
           "second svscan on it is not refused (set SVTREE_STATE_DIR to a writable place)");
      return;
  }
}

namespace {

// The fault signals: a handler that returns would re-run the faulting instruction
// forever, so they keep their default action (tini leaves them unblocked too).
bool is_fault_signal(int signo) {
  return signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL ||
         signo == SIGTRAP || signo == SIGSYS;
}

}  // namespace

void Scanner::catch_signals() {
  // svscan never dies or stops of a catchable signal, PID 1 or not (behind `docker run
  // --init` it is not): every one is caught. Left alone: KILL and STOP (cannot be),
  // CHLD (libev's), PIPE (neutralised: a write to a closed pipe is an error, not a
  // message for the main command) and the fault signals.
  // With the terminal handed to the main command, svscan is a background process on it:
  // a handled SIGTTOU would make each of its own lines (under `stty tostop`) and taking
  // the terminal back fail and restart forever, so TTIN and TTOU are ignored, as tini
  // does. The main command gets the disposition svscan was started with, not this.
  const bool terminal = options_.main_command_mode && ::isatty(STDIN_FILENO) == 1;
  for (int signo = 1; signo <= SIGRTMAX; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP || signo == SIGCHLD || signo == SIGPIPE ||
        is_fault_signal(signo) || (signo > SIGSYS && signo < SIGRTMIN))
      continue;
    if (terminal && (signo == SIGTTIN || signo == SIGTTOU)) {
      ::signal(signo, SIG_IGN);
      note_signal_disposition(signo, true);
      continue;
    }
    signals_.push_back(
        std::make_unique<SignalWatch>(loop_, signo, [this](int s) { on_signal(s); }));
  }
}

void Scanner::on_signal(int signo) noexcept {
  const std::string_view known = signal_name(signo);
  const std::string name = known == "unknown" ? "signal " + std::to_string(signo)
                                              : "SIG" + std::string(known);
  if (options_.main_command_mode && command_ && command_->running()) {
    // tini's rule: every signal goes to the main command as it came (INT stays INT);
    // TERM also stops the services, and the main command's status becomes ours.
    command_->forward(signo);
    if (signo == SIGTERM) {
      status_from_command_ = true;
      begin_shutdown(0, "got SIGTERM", false);
    }
    return;
  }
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      // No main command (yet, or any more) to decide: scan mode's 0, or 128+signal when
      // a main command was to run and never got to.
      begin_shutdown(options_.main_command_mode && !command_ ? 128 + signo : 0, "got " + name);
      return;
    case SIGHUP:
    case SIGALRM:
      if (!shutting_down_) rescan();
      return;
    default:
      note("got " + name + ": ignored");
  }
}

void Scanner::rescan() {
  if (shutting_down_ || scan_dir_ == nullptr) return;
  if (follow_scan_path_) follow_scan_path();
  // A new watch for a dangling link means one more look: its target may have been made
  // between the listing and the watch. Each round adds watches only for directories not
  // watched before, so this ends (a few rounds at most, one per level of mkdir -p).
  for (int round = 0; round < 8; ++round) {
    const auto listed = list_scan_dir();
    if (!listed) {
      // Keep what runs; try again later.
      warn(listed.error().message() + "; keeping the services as they are");
      break;
    }
    apply_templates(".", listing_);
    tree_->sync(listing_);
    if (!follow_dangling()) break;
  }
  rearm_timers();
  release_scan_memory();
}

void Scanner::hold_or_start_command() {
  if (!options_.wait_ready_ms) {
    start_command();
    return;
  }
  std::vector<std::string> names;
  for (const ScanEntry& entry : listing_) names.push_back(entry.name);
  const int64_t deadline_ms = *options_.wait_ready_ms;
  note("holding the main command until every service is ready (at most " +
       std::to_string(deadline_ms) + " ms)");
  ready_wait_ = std::make_unique<ReadyWait>(
      loop_, std::move(names), deadline_ms,
      [this] {
        if (!shutting_down_) start_command();
      },
      [this, deadline_ms](const std::vector<std::string>& waiting) {
        if (shutting_down_) return;
        std::string list;
        for (const std::string& name : waiting) list += (list.empty() ? "" : ", ") + name;
        warn("unable to start the main command: not ready after " +
             std::to_string(deadline_ms) + " ms (-W): " + list + "; exit status " +
             std::to_string(kExitNotReady));
        begin_shutdown(kExitNotReady, "services not ready in time");
      },
      state_ ? state_->dir() : std::string());
  ready_wait_->start();
}

void Scanner::follow_scan_path() {
  // Where the path leads now. Gone, or not a directory (a link being replaced, the tree
  // renamed away): keep the tree we have, as runsvdir does when its stat fails.
  struct stat st {};
  if (::stat(scan_path_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  const FileId now{st.st_dev, st.st_ino};
  if (now == scan_id_) return;
  if (::chdir(scan_path_.c_str()) != 0) {
    warn(errno_error("change directory to " + scan_path_).message() + "; keeping the old tree");
    return;
  }
  DIR* opened = ::opendir(".");
  if (opened == nullptr) {
    warn(errno_error("open directory " + scan_path_).message() + "; keeping the old tree");
    return;
  }
  ::closedir(scan_dir_);
  scan_dir_ = opened;
  scan_id_ = now;
  watcher_->rewatch_scan_dir(".");
  // What follows is an ordinary scan of the new tree: services only in the old one stop,
  // new ones start, and a service in both (a link to the same directory, as runit's
  // runlevels share /etc/sv) keeps running untouched.
  note(options_.scan_dir + " now leads to another directory (runlevel switch): following it");
}

bool Scanner::follow_dangling() {
  // Said once per link: again only after it resolved or left the directory.
  std::vector<std::string> names;
  std::vector<std::string> dirs;
  bool unwatched = false;
  for (const DanglingEntry& entry : dangling_) {
    names.push_back(entry.name);
    if (std::find(dangling_said_.begin(), dangling_said_.end(), entry.name) ==
        dangling_said_.end())
      note(entry.name + ": its symlink target " + entry.target +
           " does not exist yet: starting it when it appears");
    if (std::string dir = dangling_watch_dir(entry.target); !dir.empty())
      dirs.push_back(std::move(dir));
    // Nothing to watch (the target's whole path is missing, or a loop of links): the
    // fallback rescan timer looks while it dangles.
    else unwatched = true;
  }
  // The same watches serve the links on the scan path: any change there is a rescan,
  // which starts with follow_scan_path.
  if (follow_scan_path_)
    for (std::string& dir : link_parents(scan_path_)) dirs.push_back(std::move(dir));
  dangling_said_ = std::move(names);
  dangling_unwatched_ = unwatched;
  return watcher_->watch_targets(dirs);
}

void Scanner::start_command() {
  MainCommand::Options command;
  command.argv = options_.command;
  command.cwd_fd = options_.cwd_fd;
  command.signals = options_.inherited_signals;
  command.terminal_fd = ::isatty(STDIN_FILENO) == 1 ? STDIN_FILENO : -1;
  if (state_ && !state_->dir().empty()) command.record_dir = state_->dir() + "/main";
  command_ = std::make_unique<MainCommand>(
      loop_, std::move(command), [this](std::string_view text) { note(text); },
      [this](std::string_view text) { warn(text); });
  auto pid = command_->start();
  if (!pid) {
    warn(pid.error().message());
    begin_shutdown(pid.error().code == ENOENT ? 127 : 126, "main command could not start");
    return;
  }
  note("main command " + options_.command[0] + " started (pid " + std::to_string(*pid) + ")");
}

void Scanner::on_child(pid_t pid, int wait_status) {
  if (catch_all_->on_child_exit(pid)) {
    advance_shutdown();
    return;
  }
  if (command_ && pid == command_->pid() && pid > 0) {
    command_->on_exit(wait_status);
    const int status = describe_wait_status(wait_status).shell_status;
    note("main command ended (" + describe_status(wait_status) + ")");
    if (!shutting_down_ || status_from_command_) exit_status_ = status;
    begin_shutdown(status, "the main command ended");
  } else if (!tree_->on_child_exit(pid, wait_status)) {
    report_orphans(orphan_report_.on_orphan(pid, describe_status(wait_status),
                                            clock_.monotonic_ms()));
  }
  if (const auto essential = tree_->essential_status(); essential && !shutting_down_)
    begin_shutdown(*essential, "an essential service ended");
  // A slot freed while services wait for one (-c): the rescan gives it to them.
  if (tree_->skipped_can_start()) rescan();
  advance_shutdown();
  rearm_timers();
}

void Scanner::begin_shutdown(int exit_status, std::string_view why, bool signal_command) {
  if (shutting_down_) return;
  shutting_down_ = true;
  exit_status_ = exit_status;
  note(std::string(why) + ": stopping every service, then the loggers (grace time " +
       std::to_string(options_.grace_ms) + " ms)");
  tree_->begin_shutdown();
  if (signal_command && command_ && command_->running()) {
    command_->forward(SIGTERM);
    command_->forward(SIGCONT);
  }
  grace_timer_->start_after(static_cast<double>(options_.grace_ms) / 1000.0);
  rescan_timer_->stop();
  restart_timer_->stop();
  advance_shutdown();
}

void Scanner::advance_shutdown() {
  if (!shutting_down_) return;
  if (!others_termed_ && tree_->services_alive() == 0 && !(command_ && command_->running())) {
    others_termed_ = true;
    std::vector<pid_t> loggers = tree_->logger_pids();
    // A logger's run adopted by a new supervise (log/ changed, a supervise crashed) is our
    // child, not its supervise's: it is part of that logger all the same, and must drain
    // the pipe and see EOF like any other (DESIGN.md §5).
    for (const std::string& dir : tree_->logger_dirs())
      if (const auto record = read_service_status(home_of(dir)); record && record->pid > 0)
        loggers.push_back(record->pid);
    for (const pid_t writer : catch_all_->writer_pids()) loggers.push_back(writer);
    const int n = signal_descendants(pid1_, SIGTERM, loggers);
    signal_descendants(pid1_, SIGCONT, loggers);
    if (n != 0)
      note("services down: sent TERM to " + (n < 0 ? std::string("every other process")
                                                   : std::to_string(n) + " other processes"));
  }
  // The writers go last: once nothing else is left, what they hold is written and they
  // exit at end of file (issue 15).
  if (!catch_all_finished_ && others_termed_ && tree_->supervisors_alive() == 0 &&
      list_descendants(::getpid(), catch_all_->writer_pids()).empty())
    finish_output();
  if (!have_children()) loop_.break_loop();
}

void Scanner::finish_output() {
  if (catch_all_finished_) return;
  catch_all_finished_ = true;
  output_finished_ms_ = clock_.monotonic_ms();
  if (auto summary = orphan_report_.flush()) note(*summary);
  orphan_timer_->stop();
  // The closing line goes out through the writer, before it ends: written by svscan
  // itself after it, it could block an exiting PID 1 on a stalled reader.
  note("no child left: exiting with status " + std::to_string(exit_status_));
  catch_all_->finish();
}

void Scanner::on_grace_over() {
  // The writers are spared until everything else is gone and they had kWriterDrainMs to
  // write what they hold (finish_output): a loaded machine may not run them for a second
  // (the closing lines of a CI run were lost so). One still stuck on a stalled reader
  // after that is killed, with what it held.
  std::vector<pid_t> spared;
  if (!catch_all_finished_ || clock_.monotonic_ms() - output_finished_ms_ < kWriterDrainMs)
    spared = catch_all_->writer_pids();
  const int n = signal_descendants(pid1_, SIGKILL, spared);
  if (!grace_over_ || n != 0)
    warn("grace time of " + std::to_string(options_.grace_ms) + " ms over: sent KILL to " +
         (n < 0 ? std::string("every process left") : std::to_string(n) + " processes"));
  grace_over_ = true;
  // Anything forked between the /proc walk and the kills gets the next round.
  advance_shutdown();
  if (have_children()) grace_timer_->start_after(1.0);
  else loop_.break_loop();
}

void Scanner::report_orphans(std::vector<std::string> lines) {
  for (const std::string& line : lines) note(line);
  if (const auto deadline = orphan_report_.deadline_ms()) {
    const int64_t wait_ms = *deadline - clock_.monotonic_ms();
    orphan_timer_->start_after(static_cast<double>(wait_ms < 0 ? 0 : wait_ms) / 1000.0);
  } else {
    orphan_timer_->stop();
  }
}

void Scanner::rearm_timers() {
  if (shutting_down_) return;
  if (const auto deadline = tree_->next_deadline_ms()) {
    const int64_t wait_ms = *deadline - clock_.monotonic_ms();
    restart_timer_->start_after(static_cast<double>(wait_ms < 0 ? 0 : wait_ms) / 1000.0);
  } else {
    restart_timer_->stop();
  }
  // The fallback rescan runs only while inotify misses something, or a log/ still waits
  // for its pipe (descriptors exhausted): idle costs nothing.
  if ((!watcher_->complete() || tree_->pairing_pending() || dangling_unwatched_) &&
      options_.rescan_ms > 0) {
    if (!rescan_timer_->active())
      rescan_timer_->start_after(static_cast<double>(options_.rescan_ms) / 1000.0);
  } else {
    rescan_timer_->stop();
  }
}

Result<pid_t> Scanner::start_supervise(const std::string& dir, int stdin_fd, int stdout_fd) {
  return spawn_supervise(dir, stdin_fd, stdout_fd, -1);
}

Result<pid_t> Scanner::start_supervise_caught(const std::string& dir, int stdout_fd,
                                              int stderr_fd) {
  return spawn_supervise(dir, -1, stdout_fd, stderr_fd);
}

void Scanner::add_diag_fd(SpawnSpec& spec, std::vector<std::string>* env) {
  if (env != nullptr) spec.env = env;
  // supervise's own lines go to svscan's queue, apart from run's stderr ($SVTREE_DIAG_FD).
  if (catch_all_->diag_write_fd() < 0) return;
  spec.fds.emplace_back(kDiagFd, catch_all_->diag_write_fd());
  if (env == nullptr) spec.env = &supervise_env_;
  else env->push_back("SVTREE_DIAG_FD=" + std::to_string(kDiagFd));
}

Result<pid_t> Scanner::spawn_supervise(const std::string& dir, int stdin_fd, int stdout_fd,
                                       int stderr_fd) {
  SpawnSpec spec;
  spec.path = options_.supervise;
  spec.argv = {"supervise", dir};
  spec.group = SpawnSpec::Group::kNewSession;
  // Blocked through exec: exec drops our handlers, so the child need not reset the ~55
  // signals svscan catches (issue #18); supervise unblocks them once its own are in place,
  // and a signal sent meanwhile waits for it instead of being lost.
  ::sigfillset(&spec.signals.mask);
  if (stdin_fd >= 0) spec.fds.emplace_back(0, stdin_fd);
  if (stdout_fd >= 0) spec.fds.emplace_back(1, stdout_fd);
  if (stderr_fd >= 0) spec.fds.emplace_back(2, stderr_fd);
  // An instance's supervise and its logger's get its name (issue 16).
  auto instance_env = supervise_environment(dir);
  add_diag_fd(spec, instance_env ? &*instance_env : nullptr);
  // No exec report: svscan goes on to the next service while the kernel loads this one,
  // which is most of a cold start's time (supervise was checked at start-up). A failed
  // exec shows as that supervise exiting 111 with its line, then restarted.
  spec.exec_failure_prefix = "svscan: fatal: unable to start supervise for " + escape_name(dir);
  spec.failure_exit_code = diag::kExitSystem;
  auto spawned = spawn(spec);
  if (!spawned) return spawned.error();
  return spawned->pid;
}

void Scanner::send_signal(pid_t pid, int signo) {
  if (!signal_process(pid, signo) && errno != ESRCH)
    warn(errno_error("send signal " + std::to_string(signo) + " to pid " + std::to_string(pid))
             .message());
}

Result<Pipe> Scanner::make_log_pipe() { return make_pipe(); }

void Scanner::forward_to_stdout(UniqueFd read_end, const std::string& name) {
  catch_all_->adopt(std::move(read_end), name);
}

Result<CatchPipes> Scanner::open_catch_all(const std::string& name) {
  return catch_all_->open(name);
}

void Scanner::rename_catch_all(int id, const std::string& name) { catch_all_->rename(id, name); }
void Scanner::release_catch_all(int id) { catch_all_->release(id); }

std::string Scanner::home_of(const std::string& dir) const {
  return supervise_location::client_home(".", dir, state_ ? state_->dir() : std::string());
}

std::optional<int> Scanner::last_run_wait_status(const std::string& dir) {
  const auto record = read_service_status(home_of(dir));
  if (!record || !record->extension ||
      record->extension->last_wait_status == StatusExtension::kNoWaitStatus)
    return std::nullopt;
  return static_cast<int>(record->extension->last_wait_status);
}

std::vector<std::string> Scanner::dependencies_of(const std::string& dir) {
  // supervise warns about a depends/ it cannot read; the shutdown just has no order for it.
  std::vector<std::string> warnings;
  return load_dependencies(ServicePaths(dir), warnings);
}

int Scanner::watch_service(const std::string& dir) { return watcher_->watch_service(dir); }
void Scanner::unwatch_service(int watch) { watcher_->unwatch(watch); }
// Every line of svscan's own log passes here, and most carry a service name: a directory
// entry may hold any byte but '/' and NUL, so a name with a newline could forge a line
// ("svscan: fatal: ...") and invalid UTF-8 could break a log collector (issue 12, item 8).
// Escaping the whole line escapes each name in it; the fixed texts around the names are
// printable ASCII without a backslash, so they come out unchanged. -q silences notices.
void Scanner::note(std::string_view text) {
  if (!options_.quiet) diag::info(escape_name(text));
}
void Scanner::warn(std::string_view text) { diag::warning(escape_name(text)); }

}  // namespace svtree::svscan
