// SPDX-License-Identifier: MIT
// Scanner: wires the loop, the watcher, the tree and the reaper together.
#include "scanner.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <algorithm>

#include "reaper.hpp"
#include "svtree/diag.hpp"
#include "svtree/fork_exec.hpp"
#include "svtree/io.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/process.hpp"
#include "svtree/spawn.hpp"
#include "svtree/status_record.hpp"

namespace svtree::svscan {
namespace {

std::string describe_status(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "status " + std::to_string(wait_status);
}

// Two descriptors per log pair: make sure 1000 pairs fit without touching what children
// inherit more than needed.
void raise_fd_limit(size_t max_services) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t needed = static_cast<rlim_t>(2 * max_services + 64);
  if (limit.rlim_cur >= needed) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

std::string locate_supervise() {
  if (const char* env = std::getenv("SVTREE_SUPERVISE"); env != nullptr && *env != '\0')
    return env;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return {};
  std::string path(exe, static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string("supervise")
                                    : path.substr(0, slash + 1) + "supervise";
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
                "unable to find supervise at " + options_.supervise +
                    ": install it beside svscan or set SVTREE_SUPERVISE to its path");
  if (::chdir(options_.scan_dir.c_str()) != 0)
    diag::fatal(diag::kExitSystem, errno_error("change directory to " + options_.scan_dir));
  scan_dir_ = ::opendir(".");
  if (scan_dir_ == nullptr)
    diag::fatal(diag::kExitSystem, errno_error("open directory " + options_.scan_dir));

  // The catch-all comes first: libev reaps every child from now on (STYLE.md §6).
  children_ = std::make_unique<ChildWatch>(
      loop_, 0, [this](pid_t pid, int status) { on_child(pid, status); });
  for (const int signo : {SIGTERM, SIGINT}) {
    signals_.push_back(std::make_unique<SignalWatch>(loop_, signo, [this](int s) {
      begin_shutdown(0, s == SIGTERM ? "got SIGTERM" : "got SIGINT");
    }));
  }
  for (const int signo : {SIGHUP, SIGALRM}) {
    signals_.push_back(std::make_unique<SignalWatch>(loop_, signo, [this](int) {
      if (!shutting_down_) rescan();
    }));
  }
  restart_timer_ = std::make_unique<TimerWatch>(loop_, [this] {
    tree_->on_timer();
    rearm_timers();
  });
  rescan_timer_ = std::make_unique<TimerWatch>(loop_, [this] { rescan(); });
  grace_timer_ = std::make_unique<TimerWatch>(loop_, [this] { on_grace_over(); });
  tree_ = std::make_unique<Tree>(static_cast<TreeEffects&>(*this), clock_, options_.max_services);
  watcher_ = std::make_unique<Watcher>(loop_, [this] {
    if (!shutting_down_) rescan();
  });
  watcher_->watch_scan_dir(".");

  note("scanning " + options_.scan_dir + (pid1_ ? " as PID 1" : " as a child subreaper"));
  rescan();
  if (!options_.command.empty()) start_command();
  advance_shutdown();
  if (!shutting_down_ || have_children()) loop_.run();
  note("no child left: exiting with status " + std::to_string(exit_status_));
  return exit_status_;
}

void Scanner::rescan() {
  if (shutting_down_) return;
  const auto listed = read_listing(scan_dir_, listing_);
  if (!listed) {
    // Keep what runs; try again later.
    warn(listed.error().message() + "; keeping the services as they are");
  } else {
    tree_->sync(listing_);
  }
  rearm_timers();
}

void Scanner::start_command() {
  const std::string path = find_in_path(options_.command[0]);
  SpawnRequest request;
  request.path = path.empty() ? options_.command[0] : path;
  request.argv = options_.command;
  // Same session and process group as svscan, on the container's stdio: the foreground.
  auto pid = path.empty() ? Result<pid_t>(SysError{ENOENT, "spawn " + options_.command[0]})
                          : spawn_process(request);
  if (!pid) {
    warn(pid.error().message());
    begin_shutdown(pid.error().code == ENOENT ? 127 : 126, "main command could not start");
    return;
  }
  command_pid_ = *pid;
  note("main command " + options_.command[0] + " started (pid " + std::to_string(*pid) + ")");
}

void Scanner::on_child(pid_t pid, int wait_status) {
  if (pid == command_pid_ && pid > 0) {
    command_pid_ = 0;
    const int status = describe_wait_status(wait_status).shell_status;
    note("main command ended (" + describe_status(wait_status) + ")");
    begin_shutdown(status, "the main command ended");
  } else if (!tree_->on_child_exit(pid, wait_status)) {
    note("reaped orphan pid " + std::to_string(pid) + " (" + describe_status(wait_status) + ")");
  }
  if (const auto essential = tree_->essential_status(); essential && !shutting_down_)
    begin_shutdown(*essential, "an essential service ended");
  advance_shutdown();
  rearm_timers();
}

void Scanner::begin_shutdown(int exit_status, std::string_view why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  exit_status_ = exit_status;
  note(std::string(why) + ": stopping every service, then the loggers (grace time " +
       std::to_string(options_.grace_ms) + " ms)");
  tree_->begin_shutdown();
  if (command_pid_ > 0) {
    send_signal(command_pid_, SIGTERM);
    send_signal(command_pid_, SIGCONT);
  }
  grace_timer_->start_after(static_cast<double>(options_.grace_ms) / 1000.0);
  rescan_timer_->stop();
  restart_timer_->stop();
  advance_shutdown();
}

void Scanner::advance_shutdown() {
  if (!shutting_down_) return;
  if (!others_termed_ && tree_->services_alive() == 0 && command_pid_ == 0) {
    others_termed_ = true;
    std::vector<pid_t> loggers = tree_->logger_pids();
    // A logger's run adopted by a new supervise (log/ changed, a supervise crashed) is our
    // child, not its supervise's: it is part of that logger all the same, and must drain
    // the pipe and see EOF like any other (DESIGN.md §5).
    for (const std::string& dir : tree_->logger_dirs())
      if (const auto record = read_service_status(dir); record && record->pid > 0)
        loggers.push_back(record->pid);
    const int n = signal_descendants(pid1_, SIGTERM, loggers);
    signal_descendants(pid1_, SIGCONT, loggers);
    if (n != 0)
      note("services down: sent TERM to " + (n < 0 ? std::string("every other process")
                                                   : std::to_string(n) + " other processes"));
  }
  if (!have_children()) loop_.break_loop();
}

void Scanner::on_grace_over() {
  const int n = signal_descendants(pid1_, SIGKILL, {});
  if (!grace_over_ || n != 0)
    warn("grace time of " + std::to_string(options_.grace_ms) + " ms over: sent KILL to " +
         (n < 0 ? std::string("every process left") : std::to_string(n) + " processes"));
  grace_over_ = true;
  // Anything forked between the /proc walk and the kills gets the next round.
  if (have_children()) grace_timer_->start_after(1.0);
  else loop_.break_loop();
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
  if ((!watcher_->complete() || tree_->pairing_pending()) && options_.rescan_ms > 0) {
    if (!rescan_timer_->active())
      rescan_timer_->start_after(static_cast<double>(options_.rescan_ms) / 1000.0);
  } else {
    rescan_timer_->stop();
  }
}

Result<pid_t> Scanner::start_supervise(const std::string& dir, int stdin_fd, int stdout_fd) {
  SpawnRequest request;
  request.path = options_.supervise;
  request.argv = {"supervise", dir};
  request.new_session = true;
  if (stdin_fd >= 0) request.fds.emplace_back(0, stdin_fd);
  if (stdout_fd >= 0) request.fds.emplace_back(1, stdout_fd);
  // fork + exec without waiting for the exec (supervise was checked at start-up): svscan
  // goes on to the next service while the kernel loads this one, which is most of a cold
  // start's time. A failed exec shows as that supervise exiting 111, then restarted.
  return fork_exec_process(request, "svscan: fatal: unable to start supervise for " + dir);
}

void Scanner::send_signal(pid_t pid, int signo) {
  if (!signal_process(pid, signo) && errno != ESRCH)
    warn(errno_error("send signal " + std::to_string(signo) + " to pid " + std::to_string(pid))
             .message());
}

Result<Pipe> Scanner::make_log_pipe() { return make_pipe(); }

void Scanner::forward_to_stdout(UniqueFd read_end) {
  std::erase_if(forwards_, [](const auto& f) { return !f->fd.valid(); });
  if (!set_nonblocking(read_end.get(), true)) return;  // dropped: closing is the fallback
  auto forward = std::make_unique<Forward>();
  Forward* raw = forward.get();
  forward->fd = std::move(read_end);
  forward->watch = std::make_unique<IoWatch>(loop_, raw->fd.get(), EV_READ, [this, raw](int) {
    char buffer[4096];
    const auto n = read_some(raw->fd.get(), buffer);
    if (n && *n > 0) {
      (void)write_all(STDOUT_FILENO, std::string_view(buffer, *n));
      return;
    }
    if (!n && n.error().code == EAGAIN) return;
    // End of file: the last writer is gone. Freed at the next call, not from inside
    // its own callback.
    raw->watch->stop();
    raw->fd.reset();
  });
  forward->watch->start();
  forwards_.push_back(std::move(forward));
}

std::optional<int> Scanner::last_run_wait_status(const std::string& dir) {
  const auto record = read_service_status(dir);
  if (!record || !record->extension ||
      record->extension->last_wait_status == StatusExtension::kNoWaitStatus)
    return std::nullopt;
  return static_cast<int>(record->extension->last_wait_status);
}

int Scanner::watch_service(const std::string& dir) { return watcher_->watch_service(dir); }
void Scanner::unwatch_service(int watch) { watcher_->unwatch(watch); }
void Scanner::note(std::string_view text) { diag::info(text); }
void Scanner::warn(std::string_view text) { diag::warning(text); }

}  // namespace svtree::svscan
