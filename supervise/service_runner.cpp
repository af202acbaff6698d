// SPDX-License-Identifier: MIT
// The syscalls behind a Supervisor: supervise/ files, spawning, signals, libev watchers.
#include "service_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>

#include "svtree/atomic_file.hpp"
#include "svtree/diag.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/envdir.hpp"
#include "svtree/fifo.hpp"
#include "svtree/fork_exec.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"
#include "svtree/process.hpp"
#include "svtree/spawn.hpp"

namespace svtree::supervise {
namespace {

// dnotify rather than inotify: an inotify instance per supervisor would exhaust the per-user
// limit (fs.inotify.max_user_instances, 128 by default) long before a thousand services.
// The parent reports DIR's removal or rename at once, even while run has DIR as its cwd
// (which delays DIR's own IN_DELETE_SELF until run exits).
constexpr unsigned long kDirGoneEvents = DN_DELETE | DN_RENAME;
// DIR's entries, while run is missing: created, moved in, written, made executable.
constexpr unsigned long kRunAppearsEvents = DN_CREATE | DN_RENAME | DN_ATTRIB | DN_MODIFY;
// The signal dnotify raises; libev turns it into a loop event.
constexpr int kDirSignal = SIGIO;

/// mkdir -p for the target of a dangling supervise symlink; the last level gets mode.
Result<void> make_directories(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return errno_error("create directory " + path);
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return errno_error("create directory " + path);
  if (auto parent = make_directories(path.substr(0, slash), 0755); !parent) return parent;
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  return errno_error("create directory " + path);
}

/// DIR/supervise as DESIGN.md §2 allows it: a directory, or a symlink to one (created
/// when the link dangles, e.g. into a fresh /run).
Result<void> prepare_supervise_dir(const std::string& dir, const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno_error("stat " + path);
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
      return errno_error("create directory " + path);
    return {};
  }
  if (!S_ISLNK(st.st_mode)) return {};
  if (::stat(path.c_str(), &st) == 0) return {};
  if (errno != ENOENT) return errno_error("stat " + path);
  std::array<char, PATH_MAX> target{};
  const ssize_t n = ::readlink(path.c_str(), target.data(), target.size() - 1);
  if (n <= 0) return errno_error("read symlink " + path);
  std::string resolved(target.data(), static_cast<size_t>(n));
  if (resolved.front() != '/') resolved = dir + "/" + resolved;
  while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
  return make_directories(resolved, 0700);
}

/// Can path be executed by us? The errno execve would most likely give, if not.
Result<void> check_executable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("execute " + path);
  if (!S_ISREG(st.st_mode)) return SysError{EACCES, "execute " + path};
  if (::access(path.c_str(), X_OK) != 0) return errno_error("execute " + path);
  return {};
}

/// lib names the files it read as "/proc/self/fd/5/timeout-kill"; the user knows them as
/// DIR/timeout-kill.
std::string replace_all(const std::string& line, const std::string& from, const std::string& to) {
  if (from == to) return line;
  std::string out;
  size_t at = 0;
  for (size_t hit = line.find(from); hit != std::string::npos; hit = line.find(from, at)) {
    out.append(line, at, hit - at);
    out += to;
    at = hit + from.size();
  }
  out.append(line, at, std::string::npos);
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + '\n';
  return text;
}

}  // namespace

Result<std::unique_ptr<ServiceRunner>> ServiceRunner::open(const std::string& dir, Loop& loop) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno_error("open service directory " + dir);
  if (!S_ISDIR(st.st_mode)) return SysError{ENOTDIR, "open service directory " + dir};
  // DIR is held open and reached as /proc/self/fd/N: a rename of DIR (svscan keys services
  // by device and inode, so a rename is not a restart) then changes nothing for us or for
  // run, and our cwd stays where svscan put us. Without /proc, the path as given.
  auto dir_fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!dir_fd) return SysError{dir_fd.error().code, "open service directory " + dir};
  std::string base = "/proc/self/fd/" + std::to_string(dir_fd->get());
  if (::access(base.c_str(), F_OK) != 0) base = dir;
  const ServicePaths paths(base);
  const std::string shown = dir + "/supervise";  // for messages: the path the user gave
  if (auto prepared = prepare_supervise_dir(base, paths.supervise_dir()); !prepared)
    return SysError{prepared.error().code, "create " + shown};
  auto supervise_fd = open_file(paths.supervise_dir(), O_RDONLY | O_DIRECTORY);
  if (!supervise_fd) return SysError{supervise_fd.error().code, "open " + shown};

  auto lock = FileLock::try_acquire(paths.supervise_file("lock"));
  if (!lock) {
    if (lock.error().code == EWOULDBLOCK)
      return SysError{EWOULDBLOCK,
                      "lock " + shown + "/lock (another supervise or runsv runs " + dir + ")"};
    return SysError{lock.error().code, "lock " + shown + "/lock"};
  }
  if (auto made = ensure_fifo(paths.supervise_file("control"), 0600); !made)
    return SysError{made.error().code, "make FIFO " + shown + "/control"};
  if (auto made = ensure_fifo(paths.supervise_file("ok"), 0600); !made)
    return SysError{made.error().code, "make FIFO " + shown + "/ok"};
  auto control = open_fifo_supervisor_end(paths.supervise_file("control"));
  if (!control) return SysError{control.error().code, "open " + shown + "/control"};
  // ok is held open for reading only: a client's O_WRONLY|O_NONBLOCK open then succeeds
  // while we live and fails with ENXIO after (runit's sv, daemontools' svok).
  auto ok = open_file(paths.supervise_file("ok"), O_RDONLY | O_NONBLOCK);
  if (!ok) return SysError{ok.error().code, "open " + shown + "/ok"};
  return std::unique_ptr<ServiceRunner>(
      new ServiceRunner(dir, std::move(base), loop, std::move(*dir_fd), std::move(*lock),
                        std::move(*supervise_fd), std::move(*control), std::move(*ok)));
}

ServiceRunner::ServiceRunner(std::string dir, std::string base, Loop& loop, UniqueFd dir_fd,
                             FileLock lock, UniqueFd supervise_dir, UniqueFd control, UniqueFd ok)
    : dir_(std::move(dir)),
      base_(std::move(base)),
      paths_(base_),
      dir_fd_(std::move(dir_fd)),
      loop_(loop),
      lock_(std::move(lock)),
      supervise_dir_(std::move(supervise_dir)),
      control_(std::move(control)),
      ok_(std::move(ok)),
      control_watch_(loop, control_.get(), EV_READ, [this](int) { on_control_readable(); }),
      child_watch_(loop, 0, [this](pid_t pid, int status) { on_child(pid, status); }),
      term_watch_(loop, SIGTERM,
                  [this](int) {
                    if (supervisor_ != nullptr) supervisor_->on_terminate_signal();
                  }),
      interrupt_watch_(loop, SIGINT,
                       [this](int) {
                         if (supervisor_ != nullptr) supervisor_->on_terminate_signal();
                       }),
      directory_watch_(loop, kDirSignal,
                       [this](int) {
                         if (supervisor_ != nullptr) on_directory_changed();
                       }),
      hangup_watch_(loop, SIGHUP,
                    [this](int) {
                      if (supervisor_ != nullptr) supervisor_->on_hangup_signal();
                    }),
      restart_timer_(loop, [this] { supervisor_->on_timer(TimerKind::kRestart); }),
      kill_timer_(loop, [this] { supervisor_->on_timer(TimerKind::kKill); }),
      finish_timer_(loop, [this] { supervisor_->on_timer(TimerKind::kFinishTimeout); }),
      publish_retry_timer_(loop, [this] { retry_publish(); }),
      notification_watch_(loop, -1, EV_READ, [this](int) { on_notification_readable(); }),
      pidfd_watch_(loop, -1, EV_READ, [this](int) {
        pidfd_watch_.stop();
        pidfd_.reset();
        supervisor_->on_run_exit(std::nullopt);
      }) {}

ServiceRunner::~ServiceRunner() = default;

int ServiceRunner::run(Supervisor& supervisor) {
  supervisor_ = &supervisor;
  control_watch_.start();
  watch_directories();
  supervisor.start(find_orphan());
  // Bytes written to control before we started are waiting in the FIFO: the watcher sees
  // them on the first loop iteration.
  if (!exited_) loop_.run();
  supervisor_ = nullptr;
  return exit_code_;
}

std::optional<Adoption> ServiceRunner::find_orphan() {
  auto bytes = read_small_file(paths_.supervise_file("status"), 256);
  if (!bytes) return std::nullopt;
  const auto* data = reinterpret_cast<const uint8_t*>(bytes->data());
  const auto previous = StatusRecord::unpack(std::span<const uint8_t>(data, bytes->size()));
  if (!previous || previous->pid <= 0 || previous->state != RunState::kRun) return std::nullopt;
  if (!is_orphaned_service(previous->pid, base_)) return std::nullopt;
  auto pidfd = open_pidfd(previous->pid);
  if (!pidfd) {
    warn(pidfd.error().message() + "; cannot adopt the running " + dir_ +
         "/run, starting a new one");
    return std::nullopt;
  }
  pidfd_ = std::move(*pidfd);
  pidfd_watch_.set(pidfd_.get(), EV_READ);
  pidfd_watch_.start();
  diag::info("adopting " + dir_ + "/run, pid " + std::to_string(previous->pid) +
             ", left running by a previous supervisor");
  return Adoption{previous->pid, *previous};
}

// --- events

void ServiceRunner::on_control_readable() {
  std::array<char, 128> buffer{};
  for (;;) {
    auto n = read_some(control_.get(), buffer);
    if (!n || *n == 0) return;  // EAGAIN: drained
    supervisor_->on_control_bytes(std::string_view(buffer.data(), *n));
    if (*n < buffer.size()) return;
  }
}

void ServiceRunner::on_notification_readable() {
  std::array<char, 256> buffer{};
  auto n = read_some(notification_.get(), buffer);
  if (n && *n > 0) {
    if (std::string_view(buffer.data(), *n).find('\n') == std::string_view::npos) return;
    notification_watch_.stop();
    notification_.reset();
    supervisor_->on_ready();
    return;
  }
  if (!n && n.error().code == EAGAIN) return;
  // EOF: run closed the fd without saying it is ready.
  notification_watch_.stop();
  notification_.reset();
}

void ServiceRunner::on_child(pid_t pid, int wait_status) {
  if (supervisor_ == nullptr) return;
  if (pid == supervisor_->run_pid() && !pidfd_.valid()) {
    supervisor_->on_run_exit(wait_status);
  } else if (pid == supervisor_->finish_pid()) {
    supervisor_->on_finish_exit(wait_status);
  } else if (pid == supervisor_->script_pid()) {
    supervisor_->on_control_script_exit(wait_status);
  }
}

void ServiceRunner::on_directory_changed() {
  // dnotify does not say what changed: look.
  if (!dir_still_ours()) {
    parent_notify_.reset();
    dir_notify_.reset();
    supervisor_->on_service_dir_gone();
    return;
  }
  if (parent_moved()) watch_directories();
  if (watching_for_run_) supervisor_->on_run_may_have_appeared();
}

bool ServiceRunner::dir_still_ours() const {
  // A removed directory can still be held open, but has no link left.
  struct stat st {};
  return ::fstat(dir_fd_.get(), &st) == 0 && st.st_nlink > 0;
}

void ServiceRunner::watch_directories() {
  // The parent as it is now, held by descriptor: DIR moved elsewhere is re-watched in its
  // new parent at the next notification.
  auto notify = DirNotify::watch(base_ + "/..", kDirGoneEvents, kDirSignal);
  if (!notify) {
    warn(notify.error().message() + "; a removed " + dir_ + " goes unnoticed");
    return;
  }
  parent_notify_.emplace(std::move(*notify));
}

bool ServiceRunner::parent_moved() const {
  if (!parent_notify_) return false;
  struct stat watched {};
  struct stat now {};
  if (::fstat(parent_notify_->fd(), &watched) != 0 || ::stat((base_ + "/..").c_str(), &now) != 0)
    return false;
  return watched.st_dev != now.st_dev || watched.st_ino != now.st_ino;
}

// --- effects

ServiceKnobs ServiceRunner::load_knobs() {
  std::vector<std::string> warnings;
  ServiceKnobs knobs = load_service_knobs(paths_, warnings);
  warn_once_per_change(last_knob_warnings_, warnings);
  return knobs;
}

std::string ServiceRunner::named_after_dir(const std::string& line) const {
  return replace_all(line, base_ + "/", dir_ + "/");
}

void ServiceRunner::warn_once_per_change(std::string& last, const std::vector<std::string>& lines) {
  // A crash loop reads the knobs every second: say each complaint once, not every second.
  std::string text = join_lines(lines);
  if (text == last) return;
  for (const std::string& line : lines) warn(named_after_dir(line));
  last = std::move(text);
}

const std::vector<std::string>* ServiceRunner::service_environment() {
  std::vector<std::string> warnings;
  auto changes = read_envdir(paths_.env_dir(), warnings);
  if (!changes) warnings.push_back(changes.error().message());
  warn_once_per_change(last_env_warnings_, warnings);
  if (!changes || changes->empty()) return nullptr;  // inherit ours unchanged
  environment_ = apply_env_changes(current_environment(), *changes);
  return &environment_;
}

void ServiceRunner::warn_if_writable_by_others(const std::string& program) {
  // Whoever can change what we execute runs code as this service's user. runit and s6
  // say nothing; we say it, and still run it (refusing would take a service down).
  const std::string name = program.substr(2);  // "./run" -> "run", "./control/t" -> ...
  const std::string file = base_ + "/" + name;
  const std::string holder = file.substr(0, file.rfind('/'));
  std::string problem;
  if (is_writable_by_others(file))
    problem = dir_ + "/" + name + " is world-writable: anyone can change what it runs; "
              "chmod o-w " + dir_ + "/" + name;
  else if (is_writable_by_others(holder))
    problem = "the directory holding " + dir_ + "/" + name +
              " is world-writable: anyone can replace it; chmod o-w that directory";
  if (problem == last_writable_warning_) return;
  last_writable_warning_ = problem;
  if (!problem.empty()) warn(problem);
}

Result<pid_t> ServiceRunner::spawn_in_service_dir(const std::string& program,
                                                  std::vector<std::string> argv, bool new_session,
                                                  int notification_child_fd,
                                                  int notification_parent_fd) {
  warn_if_writable_by_others(program);
  SpawnRequest request;
  request.path = program;  // relative to cwd = DIR, as runit runs ./run
  request.argv = std::move(argv);
  request.env = service_environment();
  request.cwd = base_;  // the child's own /proc/self/fd/N: the fd is open until its exec
  request.new_session = new_session;
  // stdin, stdout and stderr pass through unchanged (svscan's log pipe, DESIGN.md §1).
  if (notification_child_fd >= 0)
    request.fds.emplace_back(notification_child_fd, notification_parent_fd);
  // fork, not posix_spawn's vfork: we publish the new pid while the kernel loads the
  // program, as runsv does, instead of waiting for its exec (the control round trip).
  std::string failure = "supervise: warning: unable to start " + program + " in " + dir_;
  return fork_exec_process(request, failure);
}

Result<pid_t> ServiceRunner::start_run(const ServiceKnobs& knobs) {
  release_run();
  // Checked here, since a failed exec in the forked child can only show as its exit 111:
  // this way a missing or non-executable run gets one clear warning and the slow retry.
  if (auto usable = check_executable(paths_.run()); !usable) return usable.error();
  std::optional<Pipe> readiness;
  if (knobs.notification_fd) {
    auto made = make_pipe();
    if (!made) return made.error();
    readiness.emplace(std::move(*made));
  }
  auto pid = spawn_in_service_dir("./run", {"./run"}, true, readiness ? *knobs.notification_fd : -1,
                                  readiness ? readiness->write_end.get() : -1);
  if (pid && readiness) {
    notification_ = std::move(readiness->read_end);
    (void)set_nonblocking(notification_.get(), true);
    notification_watch_.set(notification_.get(), EV_READ);
    notification_watch_.start();
  }
  return pid;
}

Result<pid_t> ServiceRunner::start_finish(int code, int status) {
  if (!is_executable_file(paths_.finish())) return pid_t{0};
  return spawn_in_service_dir(
      "./finish", {"./finish", std::to_string(code), std::to_string(status)}, true, -1, -1);
}

Result<pid_t> ServiceRunner::start_control_script(char letter) {
  if (!is_executable_file(paths_.control_script(letter))) return pid_t{0};
  std::string program = "./control/";
  program += letter;
  return spawn_in_service_dir(program, {program}, false, -1, -1);
}

void ServiceRunner::release_run() {
  notification_watch_.stop();
  notification_.reset();
  pidfd_watch_.stop();
  pidfd_.reset();
}

void ServiceRunner::send_signal(pid_t pid, int signo) { (void)signal_process(pid, signo); }

void ServiceRunner::send_group_signal(pid_t leader, int signo) {
  (void)signal_process_group(leader, signo);
}

TimerWatch& ServiceRunner::timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kRestart:
      return restart_timer_;
    case TimerKind::kKill:
      return kill_timer_;
    case TimerKind::kFinishTimeout:
      break;
  }
  return finish_timer_;
}

void ServiceRunner::arm_timer(TimerKind kind, int64_t delay_ms) {
  timer(kind).start_after(static_cast<double>(delay_ms) / 1000.0);
}

void ServiceRunner::cancel_timer(TimerKind kind) { timer(kind).stop(); }

void ServiceRunner::watch_for_run(bool on) {
  if (on == watching_for_run_) return;
  watching_for_run_ = on;
  if (!on) {
    dir_notify_.reset();
    return;
  }
  auto notify = DirNotify::watch(base_, kRunAppearsEvents, kDirSignal);
  if (!notify) {
    warn(notify.error().message() + "; retrying " + dir_ + "/run on a timer only");
    return;
  }
  dir_notify_.emplace(std::move(*notify));
}

void ServiceRunner::publish(const StatusRecord& record, bool want_exit) {
  last_record_ = record;
  last_want_exit_ = want_exit;
  auto result = write_state(record, want_exit);
  if (result) {
    last_publish_error_ = 0;
    publish_retry_timer_.stop();
    return;
  }
  // Say it once per cause (a full disk), not at every status change, and write the
  // latest state again on a timer until it works: the files catch up without any event.
  if (result.error().code != last_publish_error_) {
    last_publish_error_ = result.error().code;
    warn(result.error().message() + " in " + dir_ + "/supervise; retrying every second");
  }
  if (!publish_retry_timer_.active()) publish_retry_timer_.start_after(kPublishRetrySeconds);
}

void ServiceRunner::retry_publish() {
  if (write_state(last_record_, last_want_exit_)) {
    last_publish_error_ = 0;
    return;
  }
  publish_retry_timer_.start_after(kPublishRetrySeconds);
}

Result<void> ServiceRunner::write_state(const StatusRecord& record, bool want_exit) {
  // stat, pid, then status: status is what sv and svstat poll, so once it changes the
  // other two already match it.
  std::string stat = record.stat_text(want_exit);
  if (stat != last_stat_) {
    if (auto written = write_file_atomically(supervise_dir_.get(), "stat", stat); !written)
      return written;
    last_stat_ = std::move(stat);
  }
  std::string pid = record.pid_text();
  if (pid != last_pid_) {
    if (auto written = write_file_atomically(supervise_dir_.get(), "pid", pid); !written)
      return written;
    last_pid_ = std::move(pid);
  }
  const std::vector<uint8_t> bytes = record.pack();
  return write_file_atomically(
      supervise_dir_.get(), "status",
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void ServiceRunner::warn(std::string_view text) { diag::warning(text); }

void ServiceRunner::exit(int code) {
  exit_code_ = code;
  exited_ = true;
  loop_.break_loop();
}

}  // namespace svtree::supervise
