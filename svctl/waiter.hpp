// SPDX-License-Identifier: MIT
// Waiting for commands to take effect, driven by events instead of sv's 0.42 s polling:
// inotify on supervise/ (status is replaced by rename: IN_MOVED_TO; dnotify when no inotify
// instance is left), an epoll error
// condition on supervise/ok when the supervisor exits, ./check runs as child events, and
// one deadline timer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/inotify.hpp"

namespace svtree::svctl {

/// Where a service stands against the conditions a command waits for.
enum class Progress {
  kDone,              // every condition holds
  kWaiting,           // a condition does not hold yet (reason says which)
  kNeedsCheckScript,  // the state conditions hold; ./check decides if it exists
  kGone,              // the supervisor is gone: done for 'x', a failure otherwise
};

struct Verdict {
  Progress progress = Progress::kWaiting;
  std::string reason;  // for kWaiting: "not up", "not ready", "not down", ...
  /// For kWaiting: seconds after which the verdict changes with no record written (up
  /// less than min-uptime); 0 when only a change of the record can change it.
  double recheck_after = 0;
};

/// The conditions of `svctl wait up|ready|done|down` (issue 14): letters no command sends.
/// up: run runs, or a oneshot is done; ready: ready, or done; done: a oneshot succeeded;
/// down: nothing runs. None depends on what is wanted, and none runs ./check.
inline constexpr char kWaitUp = 'U';
inline constexpr char kWaitReady = 'R';
inline constexpr char kWaitDone = 'F';
inline constexpr char kWaitDown = 'N';

/// Evaluates sv's condition letters (the command's own bytes, or 'C' for "whatever is
/// wanted") on now, given before, the record read just before the command was sent.
/// Stricter than sv where sv races (sv.c compares whole seconds):
///  - u: wanted up, running, and ready when the record carries the svtree extension; or a
///    oneshot done (issue 14);
///  - d: wanted down, and down;
///  - t, k: a start after the command (a newer stamp, to the nanosecond, or a higher start
///    count), running, no TERM pending, ready; or down and wanted down;
///  - o: running and wanted down, or down with a stamp newer than before's;
///  - x: never while supervised; p / c: paused / not paused (or down);
///  - C (check): not in backoff, not failed, not up less than min-uptime after a failed
///    start (svtree records only), then u when wanted up, else d;
///  - anything else (h a i q 1 2 s): at once.
Verdict evaluate_progress(std::string_view conditions, const Snapshot& before,
                          const Snapshot& now);

/// How long `check` without -w lets ./check run before it kills the script's process
/// group and reports a failure: the probe answers at once, not after the 7 s a wait
/// allows (issue 12, item 11). 2 s, supervise's default check-timeout.
inline constexpr double kProbeCheckSeconds = 2.0;

struct WaitOptions {
  std::string conditions;         // e.g. "tcu", "C", "d"
  double timeout_seconds = 7;     // from the start of the command, as sv counts it
  bool kill_on_timeout = false;   // force-*: send 'k' and print "kill:" on timeout
  bool patient = true;            // false: `check` without -w answers from one reading
  std::function<void(std::string_view)> emit;  // receives each output line (with \n)
};

/// Waits for a set of services. Use: arm() each service before its command is sent (so no
/// change can be missed), then run(). One Waiter per svctl invocation.
class Waiter {
 public:
  Waiter(Loop& loop, WaitOptions options);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  /// Watches service and returns the snapshot taken after the watch is in place. A service
  /// that is not supervised is not kept: the caller reports it.
  Snapshot arm(const ServiceRef& service);
  /// Forgets the service armed last (its command could not be sent).
  void disarm_last();
  /// Runs the loop until every armed service is done, failed or timed out. Returns the
  /// number of failures and timeouts.
  int run();

 private:
  struct Target;
  void on_inotify();
  void on_supervisor_gone();
  void on_deadline();
  void evaluate(Target& target);
  /// read_snapshot, or read_probe_snapshot when the conditions include check's 'C'.
  [[nodiscard]] Snapshot read_for_conditions(const ServiceRef& service) const;
  void start_check_script(Target& target);
  void on_check_script_exit(Target& target, int wait_status);
  void finish(Target& target, bool success, const std::string& line);
  void finish_gone(Target& target);
  void maybe_stop();

  Loop& loop_;
  WaitOptions options_;
  std::unique_ptr<Inotify> inotify_;
  UniqueFd epoll_;
  std::unique_ptr<IoWatch> inotify_watch_;
  std::unique_ptr<IoWatch> epoll_watch_;
  std::unique_ptr<SignalWatch> dnotify_signal_;  // only when inotify is unavailable
  TimerWatch deadline_;
  std::unique_ptr<TimerWatch> poll_;  // only without inotify
  std::vector<std::unique_ptr<Target>> targets_;
  // A ChildWatch cannot be destroyed inside its own callback; spent ones rest here.
  std::vector<std::unique_ptr<ChildWatch>> spent_child_watches_;
  double start_time_ = 0;
  bool needs_poll_ = false;
  int failures_ = 0;
  int pending_ = 0;
  bool deadline_passed_ = false;
};

}  // namespace svtree::svctl
