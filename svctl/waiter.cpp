// SPDX-License-Identifier: MIT
// The wait loop. Idle costs nothing: between a command and its effect svctl sleeps in
// epoll_wait on an inotify descriptor, an epoll descriptor and one timer. The only
// repeated work is re-running a failing ./check, which is itself a probe (with back-off).
#include "waiter.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "status_format.hpp"
#include "svtree/envdir.hpp"
#include "svtree/escape.hpp"
#include "svtree/health_check.hpp"
#include "svtree/io.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/service_identity.hpp"
#include "svtree/spawner.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::svctl {
namespace {

constexpr double kFirstCheckRetry = 0.02;
constexpr double kMaxCheckRetry = 0.5;
constexpr double kFallbackPoll = 0.02;
constexpr double kSupervisorGrace = 2.0;
// status is replaced by rename (runsv, daemontools and ours): IN_MOVED_TO is the one event.
constexpr uint32_t kStatusEvents = IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;

double monotonic_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int64_t now_unix() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

bool is_running(const Snapshot& s) {
  return s.record->pid != 0 && s.record->state == RunState::kRun;
}

bool is_ready(const Snapshot& s) {
  // Without the extension (runsv) a running service counts as ready, as DESIGN.md §2
  // defines readiness for a service without notification-fd.
  return !s.record->extension || s.record->extension->ready();
}

// A oneshot that succeeded (issue 14): it has been up, and stays done.
bool is_done(const Snapshot& s) {
  return s.record->extension && s.record->extension->phase == Phase::kDone;
}

// supervise runs the service's check itself (check-interval, check-tcp, check-http) and
// publishes its latest answer: svctl reads it rather than probing a second time, so that
// svctl check, Docker's HEALTHCHECK and supervise agree (man svctl.8, check).
Health published_health(const Snapshot& s) {
  if (!s.record->extension) return Health::kUnknown;
  return static_cast<Health>(s.record->extension->health);
}

bool stamp_newer(const Tai64n& a, const Tai64n& b) {
  return a.seconds != b.seconds ? a.seconds > b.seconds : a.nanoseconds > b.nanoseconds;
}

// A start happened after `before` was read: the stamp moved forward (it is set at each
// start and each stop), or our supervise counted another start.
bool started_since(const Snapshot& before, const Snapshot& now) {
  if (!before.record) return true;
  const StatusRecord& b = *before.record;
  const StatusRecord& n = *now.record;
  if (b.extension && n.extension && n.extension->start_count != b.extension->start_count)
    return true;
  return stamp_newer(n.since, b.since);
}

/// a - b in milliseconds.
int64_t tai64n_diff_ms(const Tai64n& a, const Tai64n& b) {
  const int64_t seconds = static_cast<int64_t>(a.seconds) - static_cast<int64_t>(b.seconds);
  const int64_t nanos = static_cast<int64_t>(a.nanoseconds) - static_cast<int64_t>(b.nanoseconds);
  return seconds * 1000 + nanos / 1'000'000;
}

std::string join(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// `check`'s verdict beyond sv's (issue 13): a service in backoff, one that gave up, and
// one up less than min-uptime after a failed start are not healthy, whatever their wish.
std::optional<Verdict> policy_problem(const Snapshot& now) {
  const StatusRecord& rec = *now.record;
  if (!rec.extension) return std::nullopt;  // runsv: no phase, no min-uptime
  const StatusExtension& ext = *rec.extension;
  const std::string failed_starts = std::to_string(ext.failed_starts) + " failed start" +
                                    (ext.failed_starts == 1 ? "" : "s") + " in a row";
  if (ext.phase == Phase::kFailed)
    return Verdict{Progress::kWaiting, "failed: gave up after " + failed_starts + " (max-restarts); svctl up restarts it"};
  if (ext.phase == Phase::kBackoff) {
    std::string text = "in backoff after " + failed_starts;
    if (!ext.next_start.is_zero() && !now.taken.is_zero()) {
      const int64_t ms = tai64n_diff_ms(ext.next_start, now.taken);
      text += ", next start in " + std::to_string(std::max<int64_t>(ms, 0) / 100 / 10) + "." +
              std::to_string(std::max<int64_t>(ms, 0) / 100 % 10) + " s";
    }
    return Verdict{Progress::kWaiting, std::move(text)};
  }
  // Only a run that follows a failed start must still prove itself: a periodic job that
  // lived its 30 s and started again is as healthy as before (issue 13's example tree).
  if (rec.state == RunState::kRun && rec.pid != 0 && ext.failed_starts > 0 &&
      !now.taken.is_zero()) {
    const int64_t up_ms = std::max<int64_t>(tai64n_diff_ms(now.taken, rec.since), 0);
    if (up_ms < now.min_uptime_ms)
      return Verdict{Progress::kWaiting,
                     "up " + std::to_string(up_ms) + " ms after " + failed_starts +
                         ", less than min-uptime " + std::to_string(now.min_uptime_ms) + " ms",
                     static_cast<double>(now.min_uptime_ms - up_ms) / 1000 + 0.01};
  }
  return std::nullopt;
}

}  // namespace

Verdict evaluate_progress(std::string_view conditions, const Snapshot& before,
                          const Snapshot& now) {
  if (now.presence != Presence::kSupervised) return {Progress::kGone, {}};
  const StatusRecord& rec = *now.record;
  bool needs_check = false;
  for (char letter : conditions) {
    if (letter == 'C') {
      if (auto problem = policy_problem(now)) return std::move(*problem);
      letter = rec.want_up ? 'u' : 'd';
    }
    switch (letter) {
      case 'x': return {Progress::kWaiting, "supervisor still running"};
      case 'u':
        // sv accepts a service that merely runs, and may then print "want down" after
        // `up`; the command has taken effect only once the supervisor wants it up.
        if (!rec.want_up) return {Progress::kWaiting, "not wanted up"};
        if (is_done(now)) break;  // a oneshot: up means it ran and succeeded
        if (!is_running(now)) return {Progress::kWaiting, "not up"};
        if (!is_ready(now)) return {Progress::kWaiting, "not ready"};
        if (published_health(now) == Health::kFailing)
          return {Progress::kWaiting, "health check failing"};
        if (published_health(now) == Health::kUnknown) needs_check = true;
        break;
      case 'd':
        if (rec.want_up) return {Progress::kWaiting, "not wanted down"};
        if (rec.pid != 0 || rec.state != RunState::kDown) return {Progress::kWaiting, "not down"};
        break;
      case 't':
      case 'k':
        if (rec.pid == 0 && !rec.want_up) break;
        if (is_done(now) && started_since(before, now)) break;  // a oneshot ran again
        if (!started_since(before, now) || !is_running(now) || rec.got_term)
          return {Progress::kWaiting, "not restarted"};
        if (!is_ready(now)) return {Progress::kWaiting, "not ready"};
        if (published_health(now) == Health::kFailing)
          return {Progress::kWaiting, "health check failing"};
        if (published_health(now) == Health::kUnknown) needs_check = true;
        break;
      case 'o':
        if (rec.pid != 0 && rec.want_up) return {Progress::kWaiting, "not started once"};
        if (rec.pid == 0 && !started_since(before, now))
          return {Progress::kWaiting, "not started once"};
        break;
      case 'p':
        if (rec.pid != 0 && !rec.paused) return {Progress::kWaiting, "not paused"};
        break;
      case 'c':
        if (rec.pid != 0 && rec.paused) return {Progress::kWaiting, "paused"};
        break;
      // svctl wait (issue 14): states only, whatever is wanted; nothing was sent.
      case kWaitUp:
        if (!is_running(now) && !is_done(now)) return {Progress::kWaiting, "not up"};
        break;
      case kWaitReady:
        if (!record_ready_or_done(rec)) return {Progress::kWaiting, "not ready"};
        break;
      case kWaitDone:
        if (!is_done(now)) return {Progress::kWaiting, "not done"};
        break;
      case kWaitDown:
        if (rec.pid != 0 || rec.state != RunState::kDown) return {Progress::kWaiting, "not down"};
        break;
      default: break;
    }
  }
  return {needs_check ? Progress::kNeedsCheckScript : Progress::kDone, {}};
}

struct Waiter::Target {
  Target(Waiter& waiter, Loop& loop, ServiceRef ref, size_t position)
      : service(std::move(ref)),
        index(position),
        retry(loop, [this, &waiter] { waiter.evaluate(*this); }),
        grace(loop, [this, &waiter] {
          grace_over = true;
          waiter.evaluate(*this);
        }) {}
  ServiceRef service;
  Snapshot before;
  Snapshot last;
  UniqueFd ok_writer;
  int watch = -1;
  bool active = true;
  pid_t check_pid = 0;
  UniqueFd check_report;  // ./check's exec report (lib spawner), read when it exits
  bool dirty = false;  // the status changed while ./check ran
  double retry_delay = kFirstCheckRetry;
  std::string reason;
  std::unique_ptr<ChildWatch> check_watch;
  std::unique_ptr<DirNotify> dnotify;
  size_t index;     // position in targets_, the epoll tag of ok_writer
  bool grace_over = false;
  TimerWatch retry;  // next ./check run
  TimerWatch grace;  // how long a vanished supervisor may take to come back
};

Waiter::Waiter(Loop& loop, WaitOptions options)
    : loop_(loop), options_(std::move(options)), deadline_(loop, [this] { on_deadline(); }) {
  start_time_ = monotonic_seconds();
  // Only a wait needs event sources; inotify instances are scarce (see below).
  if (!options_.patient) return;
  // A wait holds a descriptor or two per service: `svctl -w 9 start` over a thousand
  // services must not hit the usual soft limit of 1024 when the hard one is higher.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  auto inotify = Inotify::create();
  if (inotify) {
    inotify_ = std::make_unique<Inotify>(std::move(*inotify));
    inotify_watch_ = std::make_unique<IoWatch>(loop_, inotify_->fd(), EV_READ,
                                               [this](int) { on_inotify(); });
    inotify_watch_->start();
  } else {
    // No inotify instance left (fs.inotify.max_user_instances, 128 per user by default and
    // shared by every process of that user): dnotify needs none, only the directory's descriptor. The
    // handler is in place before any directory is watched.
    dnotify_signal_ = std::make_unique<SignalWatch>(loop_, SIGIO, [this](int) {
      for (auto& target : targets_)
        if (target->dnotify) evaluate(*target);
    });
  }
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll_) {
    epoll_watch_ = std::make_unique<IoWatch>(loop_, epoll_.get(), EV_READ,
                                             [this](int) { on_supervisor_gone(); });
    epoll_watch_->start();
  }
  // Last resort, when a service can be watched neither with inotify nor with dnotify:
  // re-read it on a short timer during the wait (sv re-reads every 0.42 s).
  poll_ = std::make_unique<TimerWatch>(loop_, [this] {
    for (auto& target : targets_) evaluate(*target);
    if (pending_ > 0) poll_->start_after(kFallbackPoll);
  });
}

Waiter::~Waiter() = default;

Snapshot Waiter::arm(const ServiceRef& service) {
  auto target = std::make_unique<Target>(*this, loop_, service, targets_.size());
  // Watch first, read second: a change between the two cannot be missed. A probe that
  // answers from one reading watches nothing.
  if (inotify_ && options_.patient) {
    auto watch = inotify_->add_watch(supervise_path(service.supervise_home()), kStatusEvents);
    if (watch) target->watch = *watch;
  } else if (dnotify_signal_) {
    auto notify = DirNotify::watch(supervise_path(service.supervise_home()), DN_RENAME, SIGIO);
    if (notify) target->dnotify = std::make_unique<DirNotify>(std::move(*notify));
  }
  Result<UniqueFd> writer = UniqueFd();
  if (options_.patient) writer = open_ok_writer(service.supervise_home());
  Snapshot snapshot = read_for_conditions(service);
  if (snapshot.presence != Presence::kSupervised || !writer) return snapshot;
  target->ok_writer = std::move(*writer);
  if (epoll_ && target->ok_writer) {
    epoll_event event{};
    event.events = 0;  // EPOLLERR (no reader left) is always reported
    event.data.u64 = targets_.size();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, target->ok_writer.get(), &event);
  }
  if (target->watch < 0 && !target->dnotify && options_.patient) needs_poll_ = true;
  target->before = snapshot;
  target->last = snapshot;
  targets_.push_back(std::move(target));
  ++pending_;
  return snapshot;
}

void Waiter::disarm_last() {
  if (targets_.empty()) return;
  Target& target = *targets_.back();
  if (target.ok_writer && epoll_)
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, target.ok_writer.get(), nullptr);
  targets_.pop_back();
  --pending_;
}

int Waiter::run() {
  if (pending_ > 0) {
    const double left = options_.timeout_seconds - (monotonic_seconds() - start_time_);
    deadline_.start_after(std::max(left, 0.0));
    if (needs_poll_) poll_->start_after(kFallbackPoll);
    // sv looks once right after sending; so do we, in argument order.
    for (auto& target : targets_) evaluate(*target);
  }
  if (pending_ > 0) loop_.run();
  deadline_.stop();
  if (poll_) poll_->stop();
  return failures_;
}

void Waiter::on_inotify() {
  auto events = inotify_->read_events();
  if (!events) return;
  std::vector<int> changed;
  bool everything = false;
  for (const auto& event : *events) {
    if (event.watch < 0) everything = true;
    else if (event.name == kStatusEntry || event.name.empty()) changed.push_back(event.watch);
  }
  for (auto& target : targets_) {
    if (everything || std::find(changed.begin(), changed.end(), target->watch) != changed.end())
      evaluate(*target);
  }
}

void Waiter::on_supervisor_gone() {
  std::array<epoll_event, 16> events{};
  const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
  for (int i = 0; i < n; ++i) {
    const auto index = static_cast<size_t>(events[static_cast<size_t>(i)].data.u64);
    if (index >= targets_.size()) continue;
    Target& target = *targets_[index];
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, target.ok_writer.get(), nullptr);
    target.ok_writer.reset();
    evaluate(target);
    // A new supervisor may already hold a fresh FIFO: follow it.
    if (target.active) {
      auto writer = open_ok_writer(target.service.supervise_home());
      if (writer) {
        target.ok_writer = std::move(*writer);
        epoll_event event{};
        event.data.u64 = index;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, target.ok_writer.get(), &event);
      }
    }
  }
}

Snapshot Waiter::read_for_conditions(const ServiceRef& service) const {
  return options_.conditions.find('C') != std::string::npos
             ? read_probe_snapshot(service.dir, service.home)
             : read_snapshot(service.dir, service.home);
}

void Waiter::evaluate(Target& target) {
  if (!target.active) return;
  if (target.check_pid != 0) {
    target.dirty = true;
    return;
  }
  target.retry.stop();
  target.last = read_for_conditions(target.service);
  if (target.last.presence == Presence::kSupervised && options_.patient &&
      (target.grace.active() || !target.ok_writer)) {
    // A supervisor is back: watch it as the old one was watched.
    target.grace.stop();
    target.grace_over = false;
    auto writer = open_ok_writer(target.service.supervise_home());
    if (writer && epoll_) {
      target.ok_writer = std::move(*writer);
      epoll_event event{};
      event.data.u64 = target.index;
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, target.ok_writer.get(), &event);
    }
  }
  const Verdict verdict = evaluate_progress(options_.conditions, target.before, target.last);
  switch (verdict.progress) {
    case Progress::kDone:
      finish(target, true, "ok: " + sv_status_fragment(target.service.name, target.last,
                                                       now_unix()) + "\n");
      return;
    case Progress::kGone: {
      const bool exiting = !options_.conditions.empty() && options_.conditions.front() == 'x';
      // svscan may replace a supervisor (DESIGN.md §1: log/ added or removed); the new
      // one adopts the service. A wait gives it a moment before calling it a failure.
      if (!exiting && options_.patient && !target.grace_over) {
        if (!target.grace.active()) target.grace.start_after(kSupervisorGrace);
        target.reason = "supervisor gone";
        return;
      }
      finish_gone(target);
      return;
    }
    case Progress::kNeedsCheckScript: {
      struct stat st {};
      if (::stat(join(target.service.dir, "check").c_str(), &st) != 0) {
        finish(target, true, "ok: " + sv_status_fragment(target.service.name, target.last,
                                                         now_unix()) + "\n");
        return;
      }
      start_check_script(target);
      return;
    }
    case Progress::kWaiting:
      target.reason = verdict.reason;
      // Time alone ends this wait (min-uptime): no record will be written to wake us.
      if (options_.patient && verdict.recheck_after > 0)
        target.retry.start_after(verdict.recheck_after);
      if (!options_.patient)
        finish(target, false, "fail: " + escape_name(target.service.name) + ": " + verdict.reason + " (" +
                                  sv_status_fragment(target.service.name, target.last,
                                                     now_unix()) + ")\n");
      return;
  }
}

void Waiter::start_check_script(Target& target) {
  auto devnull = open_file("/dev/null", O_WRONLY);
  const std::string shown = join(target.service.dir, "check");
  auto dir = open_file(target.service.dir, O_PATH | O_DIRECTORY);
  SpawnSpec spec;
  spec.path = "./check";  // relative to cwd_fd, whatever DIR's name is relative to
  spec.argv = {"./check"};
  if (dir) spec.cwd_fd = dir->get();
  spec.group = SpawnSpec::Group::kNewProcessGroup;  // so a deadline can kill all of it
  // sv closes the script's stdout; /dev/null is the safe form of that.
  if (devnull) spec.fds.emplace_back(1, devnull->get());
  // ./check runs as under its supervise: the service's user and limits, the user's
  // variables with env/ over them (issue 16), and an instance learns which one it checks.
  // What is wrong with a knob file is supervise's to say: a probe answers pass or fail.
  std::vector<std::string> knob_warnings;
  const ServicePaths paths(target.service.dir);
  const ServiceIdentity identity =
      prepare_identity(load_service_knobs(paths, knob_warnings), paths, knob_warnings);
  std::vector<EnvChange> changes;
  if (!target.service.instance.empty())
    changes.push_back(EnvChange{supervise_location::kInstanceVariable, target.service.instance});
  for (EnvChange& change : script_environment_changes(paths, identity, true, knob_warnings))
    changes.push_back(std::move(change));
  std::vector<std::string> environment;
  if (!changes.empty()) {
    environment = apply_env_changes(current_environment(), changes);
    spec.env = &environment;
  }
  apply_credentials(identity.credentials, spec);
  spec.report_exec_failure = true;
  Result<Spawned> spawned = !dir                ? Result<Spawned>(dir.error())
                            : identity.problem ? Result<Spawned>(identity.problem->error)
                                               : spawn(spec);
  if (!spawned) {
    target.reason = "unable to run " + shown + ": " + spawned.error().message();
    if (!options_.patient) {
      finish(target, false, "fail: " + escape_name(target.service.name) + ": " + target.reason + "\n");
    } else {
      target.retry.start_after(target.retry_delay);
      target.retry_delay = std::min(target.retry_delay * 2, kMaxCheckRetry);
    }
    return;
  }
  target.check_pid = spawned->pid;
  target.check_report = std::move(spawned->report);
  target.check_watch = std::make_unique<ChildWatch>(
      loop_, spawned->pid,
      [this, &target](pid_t, int status) { on_check_script_exit(target, status); });
}

void Waiter::on_check_script_exit(Target& target, int wait_status) {
  target.check_pid = 0;
  // The watcher cannot be destroyed from inside its own callback: stop it later.
  spent_child_watches_.push_back(std::move(target.check_watch));
  // Read now, not watched: with the script gone no write end is left, so this never blocks.
  const std::optional<int> exec_error =
      target.check_report ? read_exec_report(target.check_report.get()) : std::nullopt;
  target.check_report.reset();
  if (!target.active) return;
  if (target.dirty) {
    target.dirty = false;
    evaluate(target);
    return;
  }
  if (!exec_error && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    finish(target, true, "ok: " + sv_status_fragment(target.service.name, target.last,
                                                     now_unix()) + "\n");
    return;
  }
  if (exec_error)
    target.reason =
        "unable to run " + join(target.service.dir, "check") + ": " + std::strerror(*exec_error);
  else
    target.reason = WIFEXITED(wait_status)
                        ? "./check failed (exit " + std::to_string(WEXITSTATUS(wait_status)) + ")"
                        : "./check killed by signal " + std::to_string(WTERMSIG(wait_status));
  if (!options_.patient) {
    finish(target, false, "fail: " + escape_name(target.service.name) + ": " + target.reason + " (" +
                              sv_status_fragment(target.service.name, target.last, now_unix()) +
                              ")\n");
    return;
  }
  target.retry.start_after(target.retry_delay);
  target.retry_delay = std::min(target.retry_delay * 2, kMaxCheckRetry);
}

void Waiter::on_deadline() {
  for (auto& owned : targets_) {
    Target& target = *owned;
    if (!target.active) continue;
    if (target.check_pid != 0) {
      // The script's own process group (spawned with one): what it started goes too.
      ::kill(-target.check_pid, SIGKILL);
      target.check_pid = 0;
      if (!options_.patient) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", options_.timeout_seconds);
        finish(target, false,
               "fail: " + escape_name(target.service.name) + ": ./check did not answer within " +
                   seconds + " s: killed (" +
                   sv_status_fragment(target.service.name, target.last, now_unix()) + ")\n");
        continue;
      }
    }
    // One last look: a change that raced the deadline still counts.
    target.last = read_for_conditions(target.service);
    const Verdict verdict = evaluate_progress(options_.conditions, target.before, target.last);
    if (verdict.progress == Progress::kGone) {
      finish_gone(target);
      continue;
    }
    const bool has_check =
        path_exists(join(target.service.dir, "check"));
    if (verdict.progress == Progress::kDone ||
        (verdict.progress == Progress::kNeedsCheckScript && !has_check)) {
      finish(target, true, "ok: " + sv_status_fragment(target.service.name, target.last,
                                                       now_unix()) + "\n");
      continue;
    }
    std::string line = options_.kill_on_timeout ? "kill: " : "timeout: ";
    line += sv_status_fragment(target.service.name, target.last, now_unix()) + "\n";
    if (options_.kill_on_timeout)
      (void)send_commands(target.service.supervise_home(), std::array{Command::kKill});
    finish(target, false, line);
  }
}

void Waiter::finish_gone(Target& target) {
  if (!options_.conditions.empty() && options_.conditions.front() == 'x') {
    finish(target, true, "ok: " + escape_name(target.service.name) + ": supervisor not running\n");
  } else {
    finish(target, false,
           "fail: " + escape_name(target.service.name) + ": " +
               describe_problem(target.service.dir, target.last, target.service.home) + "\n");
  }
}

void Waiter::finish(Target& target, bool success, const std::string& line) {
  if (!target.active) return;
  target.active = false;
  target.retry.stop();
  target.grace.stop();
  target.dnotify.reset();
  if (target.check_pid != 0) ::kill(-target.check_pid, SIGKILL);
  if (target.ok_writer && epoll_)
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, target.ok_writer.get(), nullptr);
  target.ok_writer.reset();
  if (options_.emit) options_.emit(line);
  if (!success) ++failures_;
  --pending_;
  if (pending_ == 0) {
    deadline_.stop();
    if (poll_) poll_->stop();
    loop_.break_loop();
  }
}

}  // namespace svtree::svctl
