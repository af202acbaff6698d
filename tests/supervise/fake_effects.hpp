// SPDX-License-Identifier: MIT
// A fake clock and fake effects for driving a Supervisor in unit tests: every effect is
// recorded, spawns succeed with increasing pids unless told otherwise.
#pragma once

#include <sys/wait.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "supervise/supervisor.hpp"

namespace svtree::supervise {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] int64_t monotonic_ms() const override { return now_ms; }
  [[nodiscard]] Tai64n wall() const override {
    return Tai64n{Tai64n::kUnixEpochLabel + 1'700'000'000 + static_cast<uint64_t>(now_ms / 1000),
                  static_cast<uint32_t>((now_ms % 1000) * 1'000'000)};
  }
  int64_t now_ms = 10'000;
};

inline int exited(int code) { return code << 8; }
inline int killed(int signo) { return signo; }

/// Records every effect; spawns succeed with increasing pids unless told otherwise.
class FakeEffects final : public Effects {
 public:
  ServiceKnobs load_knobs() override {
    ++knob_loads;
    return knobs;
  }
  Result<pid_t> start_run(const ServiceKnobs&) override {
    if (run_error != 0) return SysError{run_error, "spawn ./run"};
    runs.push_back(++next_pid);
    return next_pid;
  }
  Result<pid_t> start_finish(int code, int status) override {
    finish_args.push_back(std::to_string(code) + " " + std::to_string(status));
    if (!have_finish) return pid_t{0};
    return ++next_pid;
  }
  Result<pid_t> start_control_script(Command command) override {
    const char letter = control_byte(command);
    if (scripts.find(letter) == std::string::npos) return pid_t{0};
    scripts_started += letter;
    return ++next_pid;
  }
  std::string run_start_hint(int) override { return "; hint"; }
  uint64_t process_start_time(pid_t pid) override { return static_cast<uint64_t>(pid) * 10; }
  pid_t process_in_session(pid_t) override { return session_survivor; }
  void release_run() override { ++released; }
  void send_signal(pid_t pid, int signo) override { signals.push_back({pid, signo}); }
  void send_group_signal(pid_t leader, int signo) override {
    group_signals.push_back({leader, signo});
  }
  void arm_timer(TimerKind kind, int64_t delay_ms) override { timers[kind] = delay_ms; }
  void cancel_timer(TimerKind kind) override { timers.erase(kind); }
  void watch_for_run(bool on) override { watching_for_run = on; }
  void publish(const StatusRecord& record, bool exit_wanted) override {
    published.push_back(record);
    stat = record.stat_text(exit_wanted);
  }
  void warn(std::string_view text) override { warnings.emplace_back(text); }
  void event(std::string_view line) override { events.emplace_back(line); }
  void exit(int code) override { exit_code = code; }
  Result<pid_t> start_stop() override {
    ++stops_started;
    if (!have_stop) return pid_t{0};
    return ++next_pid;
  }
  bool dependencies_ready() override {
    ++dependency_looks;
    return dependencies_up;
  }
  void watch_dependencies(bool on) override { watching_dependencies = on; }
  void start_check(const ServiceKnobs&) override { ++checks_started; }
  void stop_check() override { ++checks_stopped; }

  [[nodiscard]] const StatusRecord& last() const { return published.back(); }
  [[nodiscard]] std::vector<int> signals_to(pid_t pid) const {
    std::vector<int> out;
    for (const auto& [to, signo] : signals)
      if (to == pid) out.push_back(signo);
    return out;
  }

  ServiceKnobs knobs;
  int knob_loads = 0;  // load_knobs calls: one per start (issue #18)
  int run_error = 0;
  pid_t session_survivor = 0;  // what process_in_session answers
  bool have_finish = false;
  std::string scripts;  // letters with a control/C script
  std::string scripts_started;
  pid_t next_pid = 100;
  std::vector<pid_t> runs;
  std::vector<std::string> finish_args;
  std::vector<std::pair<pid_t, int>> signals;
  std::vector<std::pair<pid_t, int>> group_signals;
  std::map<TimerKind, int64_t> timers;
  bool watching_for_run = false;
  std::vector<StatusRecord> published;
  std::string stat;
  std::vector<std::string> warnings;
  std::vector<std::string> events;
  int released = 0;
  std::optional<int> exit_code;
  // Issue 14.
  bool have_stop = false;
  int stops_started = 0;
  bool dependencies_up = true;
  int dependency_looks = 0;
  bool watching_dependencies = false;
  int checks_started = 0;
  int checks_stopped = 0;
};

}  // namespace svtree::supervise
