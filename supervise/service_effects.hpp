// SPDX-License-Identifier: MIT
// ServiceEffects: the real effects a Supervisor asks for, through the protocol server half
// (SuperviseServer) and the one ScriptSpawner. It makes the system calls but owns no watcher
// and no loop: what touches an event source (timers, the readiness watch, the publish retry,
// the health check, the exit) is recorded in EffectRequests, which ServiceRunner takes and
// applies after each event. So ownership is a tree: ServiceRunner owns this and the
// Supervisor, which holds it as its Effects; nothing points back at the runner.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dependencies.hpp"
#include "script_spawner.hpp"
#include "svtree/service_identity.hpp"
#include "supervisor.hpp"
#include "svtree/dir_notify.hpp"
#include "svtree/health_check.hpp"
#include "svtree/result.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/stderr_pipe.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::supervise {

/// The signal dnotify raises (for DIR, its parent and depends/); libev turns it into a loop
/// event.
inline constexpr int kDirSignal = SIGIO;

/// What the effects of one event ask of the event sources, in the order that matters.
struct EffectRequests {
  /// A timer's fate: started after delay_ms, or stopped. Within one event the last call wins
  /// (arm then cancel: stopped), as calling the timer itself each time would leave it.
  struct Timer {
    bool armed = false;
    int64_t delay_ms = 0;
  };
  enum class PublishRetry { kLeave, kStop, kArm };  // kArm: start unless already armed
  /// One call on the HealthChecker; applied in order (a start then a stop kills the check).
  struct Check {
    enum class Kind { kStop, kTcp, kHttp, kScript, kFailSoon } kind = Kind::kStop;
    std::optional<TcpTarget> tcp;
    std::optional<HttpTarget> http;
    pid_t pid = 0;       // kScript: ./check, spawned already
    std::string reason;  // kFailSoon: why ./check could not be spawned
  };

  std::map<TimerKind, Timer> timers;  // a timer not named is left as it is
  bool drop_run_watches = false;  // run ended: stop watching its readiness pipe and pidfd
  UniqueFd readiness;             // a new run's readiness pipe (read end, non-blocking)
  /// A new run waits to exec until this is released, which apply does first: by then the
  /// event's one publish has recorded its pid, so no successor can miss it (two copies).
  UniqueFd run_exec_gate;
  PublishRetry publish_retry = PublishRetry::kLeave;
  std::vector<Check> checks;
  std::optional<int> exit_code;  // break the loop and exit with this code
};

/// A recorded run found alive by find_orphan, and its pidfd (valid only with a run to adopt).
struct Orphan {
  std::optional<Adoption> adoption;
  UniqueFd pidfd;
};

class ServiceEffects final : public Effects {
 public:
  /// dir is supervise's cwd already (run, finish and the knobs are ./NAME); server is its
  /// supervise/, locked.
  ServiceEffects(ServiceDir dir, SuperviseServer server);
  ServiceEffects(const ServiceEffects&) = delete;
  ServiceEffects& operator=(const ServiceEffects&) = delete;
  ~ServiceEffects() override;

  /// What the calls since the last take asked of the event sources; starts a new record.
  EffectRequests take_requests();

  /// The previous supervisor's record, judged for adoption (DESIGN.md §3 Orphans).
  Orphan find_orphan();
  /// Writes the latest record again (the retry timer fired); arms the retry if it fails.
  void retry_publish();

  [[nodiscard]] const ServiceDir& dir() const { return dir_; }
  [[nodiscard]] int control_fd() const { return server_.control_fd(); }
  [[nodiscard]] bool watching_for_run() const { return watching_for_run_; }
  /// DIR is gone: its dnotify watch goes too (watch_for_run keeps its wish).
  void drop_run_notify() { dir_notify_.reset(); }
  Dependencies& dependencies() { return dependencies_; }

  // Effects
  ServiceKnobs load_knobs() override;
  Result<pid_t> start_run(const ServiceKnobs& knobs) override;
  std::string run_start_hint(int code) override;
  Result<pid_t> start_finish(int code, int status) override;
  Result<pid_t> start_control_script(Command command) override;
  uint64_t process_start_time(pid_t pid) override;
  pid_t process_in_session(pid_t session) override;
  void release_run() override;
  void send_signal(pid_t pid, int signo) override;
  void send_group_signal(pid_t leader, int signo) override;
  void arm_timer(TimerKind kind, int64_t delay_ms) override;
  void cancel_timer(TimerKind kind) override;
  void watch_for_run(bool on) override;
  void publish(const StatusRecord& record, bool want_exit) override;
  void warn(std::string_view text) override;
  void event(std::string_view line) override;
  void start_check(const ServiceKnobs& knobs) override;
  void stop_check() override;
  void exit(int code) override;
  Result<pid_t> start_stop() override;
  bool dependencies_ready() override;
  void watch_dependencies(bool on) override;

 private:
  const std::vector<std::string>* service_environment(bool as_service_user);
  Result<pid_t> spawn_script(ScriptRequest request);
  /// Warns (once per cause) when others could change program or the directory holding it.
  void warn_if_writable_by_others(const std::string& program);
  void warn_once_per_change(std::string& last, const std::vector<std::string>& lines);
  /// The `stderr` knob applied to run's or finish's request (issue 15).
  void route_stderr(ScriptRequest& request, ServiceKnobs::StderrMode mode) const;

  ProcessIdentity parent_;  // who started us (svscan): stamped on every record
  ServiceDir dir_;      // DIR: its name for messages, its descriptor; also our cwd
  ServicePaths paths_;  // ./NAME, shown as DIR/NAME
  SuperviseServer server_;
  ForkExecSpawner spawner_;
  UniqueFd dev_null_;  // ./check's stdout, as svctl gives it: a check every second is no log
  std::optional<DirNotify> dir_notify_;  // run appears (only while it is missing)
  bool watching_for_run_ = false;
  Dependencies dependencies_;  // depends/, watched while a start is held (issue 14)
  EffectRequests requests_;
  /// `user` and `limits` as of the last load_knobs (issue 16): run, finish, check and stop
  /// of one start get the same identity; control/C keeps supervise's, as with runsv.
  ServiceIdentity identity_;

  std::vector<std::string> environment_;
  // `stderr separate` (issue 15): the write end of the stderr pipe svscan holds, handed
  // over through SVTREE_STDERR_FD; invalid when we were not given one.
  UniqueFd stderr_pipe_ = take_stderr_pipe();
  ServiceKnobs::StderrMode stderr_mode_ = ServiceKnobs::StderrMode::kInherit;  // run's, for finish
  std::string last_knob_warnings_;
  std::string last_writable_warning_;  // said once per cause, not at every restart
  std::string last_env_warnings_;
  int last_publish_error_ = 0;
  StatusRecord last_record_;  // the latest state, written again while writes fail
  bool last_want_exit_ = false;
};

}  // namespace svtree::supervise
