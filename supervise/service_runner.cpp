// SPDX-License-Identifier: MIT
// The syscalls behind a Supervisor: spawning, signals, libev watchers; supervise/ itself
// goes through the protocol module (svtree/supervise_protocol.hpp).
#include "service_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "svtree/diag.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/envdir.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"
#include "svtree/process.hpp"

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

/// Can path be executed by us? The errno execve would most likely give, if not.
Result<void> check_executable(const std::string& path, const std::string& shown) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("start " + shown);
  if (!S_ISREG(st.st_mode)) return SysError{EACCES, "start " + shown};
  if (::access(path.c_str(), X_OK) != 0) return errno_error("start " + shown);
  return {};
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + '\n';
  return text;
}

}  // namespace

Result<std::unique_ptr<ServiceRunner>> ServiceRunner::open(const std::string& dir, Loop& loop) {
  auto service = ServiceDir::open(dir);
  if (!service) return service.error();
  // DIR becomes our cwd: run is started as ./run there (as runsv does), and a rename of DIR
  // (svscan keys services by device and inode, so a rename is not a restart) changes
  // nothing for us or for run.
  if (::fchdir(service->fd()) != 0) return errno_error("change to service directory " + dir);
  auto server = SuperviseServer::open(*service);
  if (!server) return server.error();
  return std::unique_ptr<ServiceRunner>(
      new ServiceRunner(std::move(*service), std::move(*server), loop));
}

ServiceRunner::ServiceRunner(ServiceDir dir, SuperviseServer server, Loop& loop)
    : parent_{::getppid(), svtree::process_start_time(::getppid()).value_or(0)},
      dir_(std::move(dir)),
      paths_(".", dir_.name()),
      server_(std::move(server)),
      loop_(loop),
      spawner_(dir_.name()),
      supervisor_(dir_.name(), *this, clock_),
      control_watch_(loop, server_.control_fd(), EV_READ, [this](int) { on_control_readable(); }),
      child_watch_(loop, 0, [this](pid_t pid, int status) { on_child(pid, status); }),
      term_watch_(loop, SIGTERM,
                  [this](int) {
                    if (started_) supervisor_.on_terminate_signal();
                  }),
      interrupt_watch_(loop, SIGINT,
                       [this](int) {
                         if (started_) supervisor_.on_terminate_signal();
                       }),
      directory_watch_(loop, kDirSignal,
                       [this](int) {
                         if (started_) on_directory_changed();
                       }),
      hangup_watch_(loop, SIGHUP,
                    [this](int) {
                      if (started_) supervisor_.on_hangup_signal();
                    }),
      restart_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kRestart); }),
      kill_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kKill); }),
      finish_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kFinishTimeout); }),
      control_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kControlTimeout); }),
      publish_retry_timer_(loop, [this] { retry_publish(); }),
      check_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kCheck); }),
      check_timeout_timer_(loop, [this] { supervisor_.on_timer(TimerKind::kCheckTimeout); }),
      checker_(loop,
               [this](bool passed, const std::string& reason) {
                 if (passed)
                   supervisor_.on_check_passed();
                 else
                   supervisor_.on_check_failed(reason);
               }),
      notification_watch_(loop, -1, EV_READ, [this](int) { on_notification_readable(); }),
      pidfd_watch_(loop, -1, EV_READ, [this](int) {
        pidfd_watch_.stop();
        pidfd_.reset();
        supervisor_.on_run_exit(std::nullopt);
      }),
      dependencies_(dir_.name(), kDirSignal) {}

ServiceRunner::~ServiceRunner() = default;

int ServiceRunner::run() {
  control_watch_.start();
  watch_directories();
  started_ = true;
  supervisor_.start(find_orphan());
  // Bytes written to control before we started are waiting in the FIFO: the watcher sees
  // them on the first loop iteration.
  if (!exited_) loop_.run();
  return exit_code_;
}

std::optional<Adoption> ServiceRunner::find_orphan() {
  const auto previous = server_.read_previous();
  if (!previous) return std::nullopt;
  const pid_t pid = previous->state == RunState::kRun ? previous->pid : 0;
  AdoptionVerdict verdict = judge_adoption(previous, svtree::process_start_time(pid), parent_);
  UniqueFd pidfd;
  if (verdict.adopt) {
    auto opened = open_pidfd(pid);
    // Checked again with the pidfd held: the pid cannot be reused behind our back now.
    if (!opened)
      verdict = {false, false, opened.error().message()};
    else if ((verdict = judge_adoption(previous, svtree::process_start_time(pid), parent_)).adopt)
      pidfd = std::move(*opened);
  }
  if (!verdict.adopt) {
    if (!verdict.reason.empty())
      diag::info("not adopting the run recorded in " + supervise_path(dir_.name(), kStatusEntry) +
                 ": " +
                 verdict.reason + "; starting a new one as configured");
    if (verdict.inherit_wishes) return Adoption{0, *previous};
    return std::nullopt;
  }
  pidfd_ = std::move(pidfd);
  pidfd_watch_.set(pidfd_.get(), EV_READ);
  pidfd_watch_.start();
  diag::info("adopting " + dir_.shown("run") + ", pid " + std::to_string(pid) +
             ", left running by a previous supervisor");
  return Adoption{pid, *previous};
}

// --- events

void ServiceRunner::on_control_readable() {
  std::array<char, 128> buffer{};
  for (;;) {
    auto n = read_some(server_.control_fd(), buffer);
    if (!n || *n == 0) return;  // EAGAIN: drained
    for (size_t i = 0; i < *n && !exited_; ++i) {
      // Garbage is harmless: runit ignores unknown bytes too.
      if (const auto command = parse_control_byte(buffer[i])) supervisor_.on_command(*command);
    }
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
    supervisor_.on_ready();
    return;
  }
  if (!n && n.error().code == EAGAIN) return;
  // EOF: run closed the fd without saying it is ready.
  notification_watch_.stop();
  notification_.reset();
}

void ServiceRunner::on_child(pid_t pid, int wait_status) {
  if (!started_) return;
  if (pid == supervisor_.run_pid() && !pidfd_.valid()) {
    supervisor_.on_run_exit(wait_status);
  } else if (pid == supervisor_.finish_pid()) {
    supervisor_.on_finish_exit(wait_status);
  } else if (pid == supervisor_.script_pid()) {
    supervisor_.on_control_script_exit(wait_status);
  } else {
    (void)checker_.on_child(pid, wait_status);
  }
}

void ServiceRunner::on_directory_changed() {
  // dnotify does not say what changed: look.
  if (!dir_still_ours()) {
    parent_notify_.reset();
    dir_notify_.reset();
    supervisor_.on_service_dir_gone();
    return;
  }
  if (parent_moved()) watch_directories();
  if (watching_for_run_) supervisor_.on_run_may_have_appeared();
  if (dependencies_.watching()) {
    // Watch where the records now are before the supervisor looks (no lost change).
    dependencies_.refresh();
    supervisor_.on_dependencies_changed();
  }
}

bool ServiceRunner::dir_still_ours() const {
  // A removed directory can still be held open, but has no link left.
  struct stat st {};
  return ::fstat(dir_.fd(), &st) == 0 && st.st_nlink > 0;
}

void ServiceRunner::watch_directories() {
  // The parent as it is now (our cwd is DIR), held by descriptor: DIR moved elsewhere is
  // re-watched in its new parent at the next notification.
  auto notify = DirNotify::watch("..", kDirGoneEvents, kDirSignal);
  if (!notify) {
    warn(notify.error().message() + "; a removed " + dir_.name() + " goes unnoticed");
    return;
  }
  parent_notify_.emplace(std::move(*notify));
}

bool ServiceRunner::parent_moved() const {
  if (!parent_notify_) return false;
  struct stat watched {};
  struct stat now {};
  if (::fstat(parent_notify_->fd(), &watched) != 0 || ::stat("..", &now) != 0) return false;
  return watched.st_dev != now.st_dev || watched.st_ino != now.st_ino;
}

// --- effects

ServiceKnobs ServiceRunner::load_knobs() {
  std::vector<std::string> warnings;
  ServiceKnobs knobs = load_service_knobs(paths_, warnings);
  warn_once_per_change(last_knob_warnings_, warnings);
  return knobs;
}

void ServiceRunner::warn_once_per_change(std::string& last, const std::vector<std::string>& lines) {
  // A crash loop reads the knobs every second: say each complaint once, not every second.
  std::string text = join_lines(lines);
  if (text == last) return;
  for (const std::string& line : lines) warn(line);
  last = std::move(text);
}

const std::vector<std::string>* ServiceRunner::service_environment() {
  std::vector<std::string> warnings;
  auto changes = read_envdir(paths_.file("env"), warnings, paths_.shown("env"));
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
  const std::string file = paths_.file(name);
  const std::string holder = file.substr(0, file.rfind('/'));
  const std::string shown = dir_.shown(name);
  std::string problem;
  if (is_writable_by_others(file))
    problem = shown + " is world-writable: anyone can change what it runs; chmod o-w " + shown;
  else if (is_writable_by_others(holder))
    problem = "the directory holding " + shown +
              " is world-writable: anyone can replace it; chmod o-w that directory";
  if (problem == last_writable_warning_) return;
  last_writable_warning_ = problem;
  if (!problem.empty()) warn(problem);
}

Result<pid_t> ServiceRunner::spawn_script(ScriptRequest request) {
  warn_if_writable_by_others(request.program);
  request.env = service_environment();
  return spawner_.spawn(request);
}

Result<pid_t> ServiceRunner::start_run(const ServiceKnobs& knobs) {
  release_run();
  // Checked here, since a failed exec in the forked child can only show as its exit 111:
  // this way a missing or non-executable run gets one clear warning and the slow retry.
  if (auto usable = check_executable(paths_.file("run"), "./run in " + dir_.name()); !usable)
    return usable.error();
  std::optional<Pipe> readiness;
  // A oneshot's readiness is its success (issue 14): no readiness pipe.
  if (knobs.notification_fd && !knobs.oneshot) {
    auto made = make_pipe();
    if (!made) return made.error();
    readiness.emplace(std::move(*made));
  }
  ScriptRequest request;
  request.program = "./run";
  request.argv = {"./run"};
  request.new_session = true;
  if (readiness) {
    request.notification_child_fd = *knobs.notification_fd;
    request.notification_parent_fd = readiness->write_end.get();
  }
  auto pid = spawn_script(std::move(request));
  if (pid && readiness) {
    notification_ = std::move(readiness->read_end);
    (void)set_nonblocking(notification_.get(), true);
    notification_watch_.set(notification_.get(), EV_READ);
    notification_watch_.start();
  }
  return pid;
}

std::string ServiceRunner::run_start_hint(int code) {
  const std::string shown = dir_.shown("run");
  switch (code) {
    case ENOENT:
      return "; create it and make it executable: chmod +x " + shown;
    case EACCES: {
      struct stat st {};
      struct statvfs fs {};
      const bool has_x = ::stat("run", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
      // An executable file on a noexec mount: chmod cannot help.
      if (::statvfs("run", &fs) == 0 && (fs.f_flag & ST_NOEXEC) != 0)
        return "; its file system is mounted noexec: move the service directory, or remount "
               "without noexec";
      if (has_x)
        return "; it is executable, but not by this user or a directory on its path is not "
               "searchable: check the owners and modes";
      if (!S_ISREG(st.st_mode)) return "; it must be a regular file";
      return "; make it executable: chmod +x " + shown;
    }
    case ENOEXEC:
      return "; start it with a #! line naming its interpreter";
    case ETXTBSY:
      return "; it is still being written; retrying";
    default:
      return "; retrying";
  }
}

Result<pid_t> ServiceRunner::start_finish(int code, int status) {
  if (!is_executable_file(paths_.file("finish"))) return pid_t{0};
  ScriptRequest request;
  request.program = "./finish";
  request.argv = {"./finish", std::to_string(code), std::to_string(status)};
  request.new_session = true;
  return spawn_script(std::move(request));
}

Result<pid_t> ServiceRunner::start_control_script(Command command) {
  std::string program = "./control/";
  program += control_byte(command);
  if (!is_executable_file(program)) return pid_t{0};
  ScriptRequest request;
  request.program = program;
  request.argv = {program};
  return spawn_script(std::move(request));
}

uint64_t ServiceRunner::process_start_time(pid_t pid) {
  return svtree::process_start_time(pid).value_or(0);
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
    case TimerKind::kControlTimeout:
      return control_timer_;
    case TimerKind::kCheck:
      return check_timer_;
    case TimerKind::kCheckTimeout:
      return check_timeout_timer_;
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
  auto notify = DirNotify::watch(".", kRunAppearsEvents, kDirSignal);
  if (!notify) {
    warn(notify.error().message() + "; retrying " + dir_.shown("run") + " on a timer only");
    return;
  }
  dir_notify_.emplace(std::move(*notify));
}

void ServiceRunner::publish(const StatusRecord& given, bool want_exit) {
  // Stamped with our parent's identity: the next supervisor under the same parent knows
  // the record is this tree's own (its wishes hold), not one found in an image.
  StatusRecord record = given;
  if (record.extension) {
    record.extension->parent_pid = parent_.pid;
    record.extension->parent_start_time = parent_.start_time;
  }
  last_record_ = record;
  last_want_exit_ = want_exit;
  auto result = server_.publish(record, want_exit);
  if (result) {
    last_publish_error_ = 0;
    publish_retry_timer_.stop();
    return;
  }
  // Say it once per cause (a full disk), not at every status change, and write the
  // latest state again on a timer until it works: the files catch up without any event.
  if (result.error().code != last_publish_error_) {
    last_publish_error_ = result.error().code;
    warn(result.error().message() + "; retrying every second");
  }
  if (!publish_retry_timer_.active()) publish_retry_timer_.start_after(kPublishRetrySeconds);
}

void ServiceRunner::retry_publish() {
  if (server_.publish(last_record_, last_want_exit_)) {
    last_publish_error_ = 0;
    return;
  }
  publish_retry_timer_.start_after(kPublishRetrySeconds);
}

void ServiceRunner::warn(std::string_view text) { diag::warning(text); }

// --- oneshots and dependencies (issue 14)

Result<pid_t> ServiceRunner::start_stop() {
  if (!is_executable_file(paths_.file("stop"))) return pid_t{0};
  ScriptRequest request;
  request.program = "./stop";
  request.argv = {"./stop"};
  request.new_session = true;
  return spawn_script(std::move(request));
}

bool ServiceRunner::dependencies_ready() { return dependencies_.ready(); }

void ServiceRunner::watch_dependencies(bool on) {
  if (!on) dependencies_.stop();
}

pid_t ServiceRunner::process_in_session(pid_t session) {
  return find_process_in_session(session);
}

// "supervise: event=…": one write, on the stderr every supervise shares with svscan.
void ServiceRunner::event(std::string_view line) { diag::info(line); }
void ServiceRunner::start_check(const ServiceKnobs& knobs) {
  switch (knobs.check) {
    case ServiceKnobs::CheckKind::kTcp:
      if (knobs.check_tcp) checker_.start_tcp(*knobs.check_tcp);
      return;
    case ServiceKnobs::CheckKind::kHttp:
      if (knobs.check_http) checker_.start_http(*knobs.check_http);
      return;
    case ServiceKnobs::CheckKind::kScript: {
      // runit's ./check with the service's environment, in a process group of its own so
      // that check-timeout kills whatever it started too.
      ScriptRequest request;
      request.program = "./check";
      request.argv = {"./check"};
      request.new_process_group = true;
      if (!dev_null_.valid()) dev_null_.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
      request.stdout_fd = dev_null_.get();
      auto pid = spawn_script(std::move(request));
      if (pid)
        checker_.start_script(*pid);
      else
        checker_.fail_soon(pid.error().message());
      return;
    }
    case ServiceKnobs::CheckKind::kNone:
      return;
  }
}

void ServiceRunner::stop_check() { checker_.stop(); }

void ServiceRunner::exit(int code) {
  exit_code_ = code;
  exited_ = true;
  loop_.break_loop();
}

}  // namespace svtree::supervise
