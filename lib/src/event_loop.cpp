// SPDX-License-Identifier: MIT
// libev watcher wrappers. Callbacks run inside ev_run, which is C: nothing may throw out.
#include "svtree/event_loop.hpp"

#include <signal.h>

#include <cstdlib>

#include "svtree/diag.hpp"
#include "svtree/spawner.hpp"

namespace svtree {

namespace {

void never_called(struct ev_loop*, ev_periodic*, int) noexcept {}

// Without a timerfd, libev wakes every 59.743 s (MAX_BLOCKTIME) to look for clock jumps.
// It creates that timerfd only once a periodic watcher exists; then it blocks for up to
// ~17 days. One periodic far in the future, unref'd so it never keeps ev_run alive, buys
// an idle loop with no wake-up at all (measured with strace: epoll_wait timeout 59743 ms
// before, 1500001070 ms after).
void stop_idle_wakeups(struct ev_loop* loop) {
  static ev_periodic far_future;
  ev_periodic_init(&far_future, &never_called, 4.0e9, 0., nullptr);
  ev_periodic_start(loop, &far_future);
  ev_unref(loop);
}

}  // namespace

Loop& Loop::default_loop() {
  // EVFLAG_NOENV: LIBEV_FLAGS in a service's environment must not change how we run.
  static Loop loop(ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV));
  if (loop.loop_ == nullptr) diag::fatal(diag::kExitSystem, "unable to initialise libev");
  // libev caught SIGCHLD for its child watchers: our children must not run its handler.
  static const bool idle_ready =
      (stop_idle_wakeups(loop.loop_), note_signal_disposition(SIGCHLD, false), true);
  (void)idle_ready;
  return loop;
}

void Loop::run() { ev_run(loop_, 0); }
void Loop::break_loop() { ev_break(loop_, EVBREAK_ALL); }
double Loop::now() const { return ev_now(loop_); }

// --- IoWatch
IoWatch::IoWatch(Loop& loop, int fd, int events, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {
  ev_io_init(&watcher_, &IoWatch::trampoline, fd, events);
  watcher_.data = this;
}
IoWatch::~IoWatch() { stop(); }
void IoWatch::start() { ev_io_start(loop_.raw(), &watcher_); }
void IoWatch::stop() { ev_io_stop(loop_.raw(), &watcher_); }
bool IoWatch::active() const { return ev_is_active(&watcher_) != 0; }
void IoWatch::set(int fd, int events) {
  const bool was_active = active();
  stop();
  ev_io_set(&watcher_, fd, events);
  if (was_active) start();
}
void IoWatch::trampoline(struct ev_loop*, ev_io* watcher, int revents) noexcept {
  static_cast<IoWatch*>(watcher->data)->callback_(revents);
}

// --- TimerWatch
TimerWatch::TimerWatch(Loop& loop, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {
  ev_timer_init(&watcher_, &TimerWatch::trampoline, 0., 0.);
  watcher_.data = this;
}
TimerWatch::~TimerWatch() { stop(); }
void TimerWatch::start_after(double seconds) {
  ev_timer_stop(loop_.raw(), &watcher_);
  ev_timer_set(&watcher_, seconds < 0 ? 0. : seconds, 0.);
  ev_timer_start(loop_.raw(), &watcher_);
}
void TimerWatch::stop() { ev_timer_stop(loop_.raw(), &watcher_); }
bool TimerWatch::active() const { return ev_is_active(&watcher_) != 0; }
double TimerWatch::remaining() const {
  return active() ? ev_timer_remaining(loop_.raw(), const_cast<ev_timer*>(&watcher_)) : 0.;
}
void TimerWatch::trampoline(struct ev_loop*, ev_timer* watcher, int) noexcept {
  static_cast<TimerWatch*>(watcher->data)->callback_();
}

// --- SignalWatch
SignalWatch::SignalWatch(Loop& loop, int signo, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {
  ev_signal_init(&watcher_, &SignalWatch::trampoline, signo);
  watcher_.data = this;
  ev_signal_start(loop_.raw(), &watcher_);
  note_signal_disposition(signo, false);
}
SignalWatch::~SignalWatch() { ev_signal_stop(loop_.raw(), &watcher_); }
void SignalWatch::trampoline(struct ev_loop*, ev_signal* watcher, int) noexcept {
  static_cast<SignalWatch*>(watcher->data)->callback_(watcher->signum);
}

// --- ChildWatch
ChildWatch::ChildWatch(Loop& loop, pid_t pid, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {
  ev_child_init(&watcher_, &ChildWatch::trampoline, pid, 0);
  watcher_.data = this;
  ev_child_start(loop_.raw(), &watcher_);
}
ChildWatch::~ChildWatch() { ev_child_stop(loop_.raw(), &watcher_); }
void ChildWatch::trampoline(struct ev_loop*, ev_child* watcher, int) noexcept {
  static_cast<ChildWatch*>(watcher->data)->callback_(watcher->rpid, watcher->rstatus);
}

namespace {
void ignore_signal(int) {}
}  // namespace

void neutralise_sigpipe() {
  struct sigaction action {};
  action.sa_handler = &ignore_signal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGPIPE, &action, nullptr);
  note_signal_disposition(SIGPIPE, false);
}

}  // namespace svtree
