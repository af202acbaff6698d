// SPDX-License-Identifier: MIT
// The event sources behind a Supervisor: libev watchers, dnotify, the health checker; and
// the requests of its effects (service_effects.hpp) applied to them after each event.
#include "service_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "svtree/dir_notify.hpp"
#include "svtree/io.hpp"
#include "svtree/spawner.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::supervise {
namespace {

// dnotify rather than inotify: an inotify instance per supervisor would exhaust the per-user
// limit (fs.inotify.max_user_instances, 128 by default) long before a thousand services.
// The parent reports DIR's removal or rename at once, even while run has DIR as its cwd
// (which delays DIR's own IN_DELETE_SELF until run exits).
constexpr unsigned long kDirGoneEvents = DN_DELETE | DN_RENAME;

// supervise/ where lib's supervise_location puts it (issue 16): DIR's own, or, for an
// instance and for a read-only DIR, one in svscan's state directory.
Result<SuperviseServer> open_server(const ServiceDir& service) {
  const char* instance = std::getenv(supervise_location::kInstanceVariable);
  auto home = supervise_location::choose_home(
      service.fd(), service.name(), service.name(), instance != nullptr && *instance != '\0',
      [&] { return supervise_location::supervise_tree_dir(service.name(), service.fd()); });
  if (!home) return home.error();
  if (*home == service.name()) return SuperviseServer::open(service);
  auto state = ServiceDir::open(*home);
  if (!state) return state.error();
  return SuperviseServer::open(*state);
}

}  // namespace

Result<std::unique_ptr<ServiceRunner>> ServiceRunner::open(const std::string& dir, Loop& loop) {
  auto service = ServiceDir::open(dir);
  if (!service) return service.error();
  // DIR becomes our cwd: run is started as ./run there (as runsv does), and a rename of DIR
  // (svscan keys services by device and inode, so a rename is not a restart) changes
  // nothing for us or for run.
  if (::fchdir(service->fd()) != 0) return errno_error("change to service directory " + dir);
  auto server = open_server(*service);
  if (!server) return server.error();
  return std::unique_ptr<ServiceRunner>(
      new ServiceRunner(std::move(*service), std::move(*server), loop));
}

ServiceRunner::ServiceRunner(ServiceDir dir, SuperviseServer server, Loop& loop)
    : effects_(std::move(dir), std::move(server)),
      loop_(loop),
      supervisor_(effects_.dir().name(), effects_, clock_),
      control_watch_(loop, effects_.control_fd(), EV_READ, [this](int) { on_control_readable(); }),
      child_watch_(loop, 0, [this](pid_t pid, int status) { on_child(pid, status); }),
      term_watch_(loop, SIGTERM,
                  [this](int) {
                    if (started_) dispatch([this] { supervisor_.on_terminate_signal(); });
                  }),
      interrupt_watch_(loop, SIGINT,
                       [this](int) {
                         if (started_) dispatch([this] { supervisor_.on_terminate_signal(); });
                       }),
      directory_watch_(loop, kDirSignal,
                       [this](int) {
                         if (started_) on_directory_changed();
                       }),
      hangup_watch_(loop, SIGHUP,
                    [this](int) {
                      if (started_) dispatch([this] { supervisor_.on_hangup_signal(); });
                    }),
      restart_timer_(loop,
                     [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kRestart); }); }),
      kill_timer_(loop, [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kKill); }); }),
      finish_timer_(
          loop, [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kFinishTimeout); }); }),
      control_timer_(
          loop, [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kControlTimeout); }); }),
      publish_retry_timer_(loop, [this] { dispatch([this] { effects_.retry_publish(); }); }),
      check_timer_(loop, [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kCheck); }); }),
      check_timeout_timer_(
          loop, [this] { dispatch([this] { supervisor_.on_timer(TimerKind::kCheckTimeout); }); }),
      checker_(loop,
               [this](bool passed, const std::string& reason) {
                 dispatch([&] {
                   if (passed)
                     supervisor_.on_check_passed();
                   else
                     supervisor_.on_check_failed(reason);
                 });
               }),
      notification_watch_(loop, -1, EV_READ, [this](int) { on_notification_readable(); }),
      pidfd_watch_(loop, -1, EV_READ, [this](int) {
        pidfd_watch_.stop();
        pidfd_.reset();
        dispatch([this] { supervisor_.on_run_exit(std::nullopt); });
      }) {}

ServiceRunner::~ServiceRunner() = default;

int ServiceRunner::run() {
  control_watch_.start();
  watch_directories();
  started_ = true;
  Orphan orphan = effects_.find_orphan();
  if (orphan.pidfd.valid()) {
    pidfd_ = std::move(orphan.pidfd);
    pidfd_watch_.set(pidfd_.get(), EV_READ);
    pidfd_watch_.start();
  }
  dispatch([&] { supervisor_.start(orphan.adoption); });
  // Bytes written to control before we started are waiting in the FIFO: the watcher sees
  // them on the first loop iteration.
  if (!exited_) loop_.run();
  return exit_code_;
}

// --- events

void ServiceRunner::on_control_readable() {
  std::array<char, 128> buffer{};
  for (;;) {
    auto n = read_some(effects_.control_fd(), buffer);
    if (!n || *n == 0) return;  // EAGAIN: drained
    for (size_t i = 0; i < *n && !exited_; ++i) {
      // Garbage is harmless: runit ignores unknown bytes too.
      if (const auto command = parse_control_byte(buffer[i]))
        dispatch([&] { supervisor_.on_command(*command); });
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
    dispatch([this] { supervisor_.on_ready(); });
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
    dispatch([&] { supervisor_.on_run_exit(wait_status); });
  } else if (pid == supervisor_.finish_pid()) {
    dispatch([&] { supervisor_.on_finish_exit(wait_status); });
  } else if (pid == supervisor_.script_pid()) {
    dispatch([&] { supervisor_.on_control_script_exit(wait_status); });
  } else {
    (void)checker_.on_child(pid, wait_status);
  }
}

void ServiceRunner::on_directory_changed() {
  // dnotify does not say what changed: look.
  if (!dir_still_ours()) {
    parent_notify_.reset();
    effects_.drop_run_notify();
    dispatch([this] { supervisor_.on_service_dir_gone(); });
    return;
  }
  if (parent_moved()) watch_directories();
  if (effects_.watching_for_run()) dispatch([this] { supervisor_.on_run_may_have_appeared(); });
  if (effects_.dependencies().watching()) {
    // Watch where the records now are before the supervisor looks (no lost change).
    effects_.dependencies().refresh();
    dispatch([this] { supervisor_.on_dependencies_changed(); });
  }
}

bool ServiceRunner::dir_still_ours() const {
  // A removed directory can still be held open, but has no link left.
  struct stat st {};
  return ::fstat(effects_.dir().fd(), &st) == 0 && st.st_nlink > 0;
}

void ServiceRunner::watch_directories() {
  // The parent as it is now (our cwd is DIR), held by descriptor: DIR moved elsewhere is
  // re-watched in its new parent at the next notification.
  auto notify = DirNotify::watch("..", kDirGoneEvents, kDirSignal);
  if (!notify) {
    effects_.warn(notify.error().message() + "; a removed " + effects_.dir().name() +
                  " goes unnoticed");
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

// --- requests of the effects

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

void ServiceRunner::apply(EffectRequests requests) {
  release_exec(requests.run_exec_gate);
  // The old run's watches go before a new run's readiness pipe is watched.
  if (requests.drop_run_watches) {
    notification_watch_.stop();
    notification_.reset();
    pidfd_watch_.stop();
    pidfd_.reset();
  }
  if (requests.readiness.valid()) {
    notification_ = std::move(requests.readiness);
    notification_watch_.set(notification_.get(), EV_READ);
    notification_watch_.start();
  }
  for (const auto& [kind, request] : requests.timers) {
    if (request.armed)
      timer(kind).start_after(static_cast<double>(request.delay_ms) / 1000.0);
    else
      timer(kind).stop();
  }
  switch (requests.publish_retry) {
    case EffectRequests::PublishRetry::kStop:
      publish_retry_timer_.stop();
      break;
    case EffectRequests::PublishRetry::kArm:
      // Not pushed back while armed: the files catch up within a second of the first failure.
      if (!publish_retry_timer_.active()) publish_retry_timer_.start_after(kPublishRetrySeconds);
      break;
    case EffectRequests::PublishRetry::kLeave:
      break;
  }
  for (EffectRequests::Check& check : requests.checks) apply_check(check);
  if (requests.exit_code) {
    exit_code_ = *requests.exit_code;
    exited_ = true;
    loop_.break_loop();
  }
}

void ServiceRunner::apply_check(EffectRequests::Check& check) {
  using Kind = EffectRequests::Check::Kind;
  switch (check.kind) {
    case Kind::kStop:
      checker_.stop();
      return;
    case Kind::kTcp:
      checker_.start_tcp(*check.tcp);
      return;
    case Kind::kHttp:
      checker_.start_http(*check.http);
      return;
    case Kind::kScript:
      checker_.start_script(check.pid);
      return;
    case Kind::kFailSoon:
      checker_.fail_soon(check.reason);
      return;
  }
}

}  // namespace svtree::supervise
