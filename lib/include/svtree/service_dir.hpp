// SPDX-License-Identifier: MIT
// A service directory: its paths and its one-file-per-knob settings (DESIGN.md §2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/health_check.hpp"
#include "svtree/resource_limits.hpp"
#include "svtree/result.hpp"

namespace svtree {

/// Paths inside a service directory. dir is used as given (relative or absolute); shown is
/// how messages name it (supervise opens "." after changing into DIR, and says DIR).
class ServicePaths {
 public:
  explicit ServicePaths(std::string dir, std::string shown = {})
      : dir_(std::move(dir)), shown_(shown.empty() ? dir_ : std::move(shown)) {}
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string file(std::string_view name) const;
  /// SHOWN/name, for messages.
  [[nodiscard]] std::string shown(std::string_view name) const;
  [[nodiscard]] std::string run() const { return file("run"); }
  [[nodiscard]] std::string finish() const { return file("finish"); }
  [[nodiscard]] std::string check() const { return file("check"); }
  [[nodiscard]] std::string log_dir() const { return file("log"); }
  [[nodiscard]] std::string env_dir() const { return file("env"); }
  [[nodiscard]] std::string control_script(char letter) const;
  /// A copy that knows DIR's entries from one listing, so that reading the knobs skips
  /// the names DIR does not hold: a start looked up some twenty files, most of them
  /// absent, one system call each (issue #18). Without a listing (DIR unreadable) every
  /// name may exist.
  [[nodiscard]] ServicePaths with_entries() const;
  /// False only when the listing was taken and has no entry name (a name with a '/' is
  /// below DIR and may exist).
  [[nodiscard]] bool may_exist(std::string_view name) const;

 private:
  std::string dir_;
  std::string shown_;
  std::optional<std::vector<std::string>> entries_;  // sorted; set by with_entries
};

/// `restart`: whether a run that ended unasked starts again (DESIGN.md §2).
enum class RestartPolicy { kAlways, kOnFailure, kNever };

/// The `user` file as read (issue 16): its text, or why it could not be read. A `user`
/// file that is there is never ignored: run does not start until it can be honoured.
struct UserKnob {
  std::string text;
  std::optional<SysError> read_error;
};

/// The knob files, read when run is about to start, so `echo 3000 > timeout-kill` takes
/// effect at the next start without restarting the supervisor.
struct ServiceKnobs {
  static constexpr uint32_t kDefaultRestartDelayMs = 1000;
  static constexpr uint32_t kDefaultTimeoutFinishMs = 5000;
  static constexpr uint32_t kDefaultRestartDelayMaxMs = 30000;
  static constexpr uint32_t kDefaultMinUptimeMs = 1000;

  bool down = false;                        // `down` exists
  bool essential = false;                   // `essential` exists
  int down_signal = 15;                     // `down-signal`, default SIGTERM
  std::optional<int> notification_fd;       // `notification-fd`
  uint32_t timeout_kill_ms = 0;             // `timeout-kill`, 0 = never
  uint32_t timeout_finish_ms = kDefaultTimeoutFinishMs;  // `timeout-finish`, 0 = never
  uint32_t restart_delay_ms = kDefaultRestartDelayMs;    // `restart-delay`
  uint32_t restart_delay_max_ms = kDefaultRestartDelayMaxMs;  // `restart-delay-max`
  bool oneshot = false;                     // `type` says oneshot (issue 14)
  // Restart policy (DESIGN.md §2, issue 13).
  uint32_t min_uptime_ms = kDefaultMinUptimeMs;  // `min-uptime`
  std::optional<uint32_t> max_restarts;          // `max-restarts`; absent: never give up
  std::optional<RestartPolicy> restart;          // `restart`; absent: effective_restart()
  std::vector<int> success_codes{0};             // `success-codes`

  // Health checks that supervise runs itself (DESIGN.md §2): check-interval with ./check,
  // or check-tcp / check-http (which need no check-interval: they default to 1000 ms).
  static constexpr uint32_t kDefaultCheckIntervalMs = 1000;
  static constexpr uint32_t kDefaultCheckTimeoutMs = 2000;
  static constexpr uint32_t kDefaultCheckRetries = 3;
  enum class CheckKind : uint8_t { kNone, kScript, kTcp, kHttp };
  CheckKind check = CheckKind::kNone;      // which check supervise runs, if any
  uint32_t check_interval_ms = kDefaultCheckIntervalMs;  // `check-interval`
  uint32_t check_timeout_ms = kDefaultCheckTimeoutMs;    // `check-timeout`
  uint32_t check_retries = kDefaultCheckRetries;         // `check-retries`
  std::optional<TcpTarget> check_tcp;      // `check-tcp`
  std::optional<HttpTarget> check_http;    // `check-http`

  // Who run, finish, check and stop run as, and with which rlimits (issue 16): resolved
  // and applied by supervise at each start.
  std::optional<UserKnob> user;            // `user`
  std::vector<LimitSetting> limits;        // `limits`, its good lines

  // Where run's and finish's fd 2 goes (DESIGN.md §2, issue 15): absent, inherited
  // (runit); `log`, joined to fd 1; `separate`, a stream of its own (svscan's stderr pipe
  // to NAME/log/err/, or labelled as stderr on the catch-all for a service without log/).
  enum class StderrMode : uint8_t { kInherit, kLog, kSeparate };
  StderrMode stderr_mode = StderrMode::kInherit;  // `stderr`
};

/// The policy that applies: the `restart` file's word, else the default for the service's
/// type: always for longruns, on-failure for oneshots.
RestartPolicy effective_restart(const ServiceKnobs& knobs);

/// Whether an exit with this wait status is a success (an exit, not a signal, with one of
/// the success codes). Pure.
bool is_success_exit(const ServiceKnobs& knobs, int wait_status);

/// Whether the policy restarts a run that ended unasked with this wait status. Pure.
bool restarts_after(const ServiceKnobs& knobs, int wait_status);

/// "always", "on-failure", "never"; parse_restart_policy reads them (blanks allowed).
const char* restart_policy_name(RestartPolicy policy);
std::optional<RestartPolicy> parse_restart_policy(std::string_view text);
/// Space-, tab- or newline-separated exit codes from 0 to 255, at least one.
std::optional<std::vector<int>> parse_success_codes(std::string_view text);

/// `stderr`: "log" or "separate" (blanks and a newline allowed); nullopt for anything else.
std::optional<ServiceKnobs::StderrMode> parse_stderr_mode(std::string_view text);
/// The `stderr` knob alone, for svscan, which decides at pairing time whether a service gets
/// a stderr pipe. Absent or unparsable: kInherit (a bad value adds one line to warnings).
ServiceKnobs::StderrMode load_stderr_mode(const ServicePaths& paths,
                                          std::vector<std::string>& warnings);

/// Reads every knob file of dir. A file that exists but cannot be parsed keeps the default
/// and adds one line to warnings naming the file and what to write instead.
ServiceKnobs load_service_knobs(const ServicePaths& paths, std::vector<std::string>& warnings);

/// The entries of DIR/depends/ (issue 14): the names of sibling services DIR waits for,
/// sorted, without hidden entries. Empty when there is no depends/; an unreadable one adds
/// a warning.
std::vector<std::string> load_dependencies(const ServicePaths& paths,
                                           std::vector<std::string>& warnings);

/// Parses a non-negative decimal number of milliseconds (blanks and a newline allowed).
std::optional<uint32_t> parse_milliseconds(std::string_view text);

}  // namespace svtree
