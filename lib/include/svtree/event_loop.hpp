// SPDX-License-Identifier: MIT
// Thin RAII layer over libev's default loop: watchers are plain objects that stop when
// destroyed. One loop per process (libev: child watchers live only in the default loop).
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <functional>

namespace svtree {

class Loop {
 public:
  /// The process's default libev loop. Creating it makes libev own SIGCHLD and reap every
  /// child: start a ChildWatch for each pid (or pid 0) before returning to the loop.
  static Loop& default_loop();

  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  struct ev_loop* raw() const { return loop_; }
  /// Runs until break_loop() or until no watcher is active.
  void run();
  void break_loop();
  /// Monotonic seconds, as cached by libev for this iteration.
  [[nodiscard]] double now() const;

 private:
  explicit Loop(struct ev_loop* loop) : loop_(loop) {}
  struct ev_loop* loop_;
};

/// Readiness of one fd. Callback receives libev's revents (EV_READ / EV_WRITE).
class IoWatch {
 public:
  using Callback = std::function<void(int revents)>;
  IoWatch(Loop& loop, int fd, int events, Callback callback);
  ~IoWatch();
  IoWatch(const IoWatch&) = delete;
  IoWatch& operator=(const IoWatch&) = delete;

  void start();
  void stop();
  /// Changes fd and events (stops and restarts if active).
  void set(int fd, int events);
  [[nodiscard]] bool active() const;

 private:
  static void trampoline(struct ev_loop*, ev_io* watcher, int revents) noexcept;
  Loop& loop_;
  ev_io watcher_{};
  Callback callback_;
};

/// A one-shot timer, re-armable.
class TimerWatch {
 public:
  using Callback = std::function<void()>;
  TimerWatch(Loop& loop, Callback callback);
  ~TimerWatch();
  TimerWatch(const TimerWatch&) = delete;
  TimerWatch& operator=(const TimerWatch&) = delete;

  /// (Re)starts so that the callback runs once after seconds.
  void start_after(double seconds);
  void stop();
  [[nodiscard]] bool active() const;
  /// Seconds until it fires (0 when inactive).
  [[nodiscard]] double remaining() const;

 private:
  static void trampoline(struct ev_loop*, ev_timer* watcher, int revents) noexcept;
  Loop& loop_;
  ev_timer watcher_{};
  Callback callback_;
};

/// A signal delivered to this process; libev turns it into a loop event (no work in a
/// handler). Starts on construction.
class SignalWatch {
 public:
  using Callback = std::function<void(int signo)>;
  SignalWatch(Loop& loop, int signo, Callback callback);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  static void trampoline(struct ev_loop*, ev_signal* watcher, int revents) noexcept;
  Loop& loop_;
  ev_signal watcher_{};
  Callback callback_;
};

/// The death of a child (pid 0: any child). libev has already reaped it when the callback
/// runs. Starts on construction; never kills anything.
class ChildWatch {
 public:
  using Callback = std::function<void(pid_t pid, int wait_status)>;
  ChildWatch(Loop& loop, pid_t pid, Callback callback);
  ~ChildWatch();
  ChildWatch(const ChildWatch&) = delete;
  ChildWatch& operator=(const ChildWatch&) = delete;

 private:
  static void trampoline(struct ev_loop*, ev_child* watcher, int revents) noexcept;
  Loop& loop_;
  ev_child watcher_{};
  Callback callback_;
};

/// Neutralises SIGPIPE with a no-op handler (not SIG_IGN, which exec would pass on to our
/// children): a write to a closed pipe then fails with EPIPE instead of killing us.
void neutralise_sigpipe();

}  // namespace svtree
