// SPDX-License-Identifier: MIT
// Fuzz: any sequence of control bytes and process/timer events through supervise's state
// machine. It must never ask to signal pid 0 or a negative pid (kill(0)/kill(-1) would hit
// the supervisor or everything), and every record it publishes must be coherent: a pid
// exactly when something runs, the state matching what runs.
#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "supervise/supervisor.hpp"

namespace {

using svtree::RunState;
using svtree::StatusRecord;
using svtree::supervise::Adoption;
using svtree::supervise::Effects;
using svtree::supervise::Supervisor;
using svtree::supervise::TimerKind;

class FuzzClock final : public svtree::Clock {
 public:
  [[nodiscard]] int64_t monotonic_ms() const override { return now; }
  [[nodiscard]] svtree::Tai64n wall() const override {
    return {svtree::Tai64n::kUnixEpochLabel + static_cast<uint64_t>(now / 1000), 0};
  }
  int64_t now = 1'000'000;
};

class FuzzEffects final : public Effects {
 public:
  svtree::ServiceKnobs load_knobs() override { return knobs; }
  svtree::Result<pid_t> start_run(const svtree::ServiceKnobs&) override {
    if (fail_next_start) return svtree::SysError{ENOENT, "spawn ./run"};
    return next_pid++;
  }
  svtree::Result<pid_t> start_finish(int, int) override { return have_finish ? next_pid++ : 0; }
  std::string run_start_hint(int) override { return {}; }
  uint64_t process_start_time(pid_t pid) override { return static_cast<uint64_t>(pid); }
  pid_t process_in_session(pid_t) override { return 0; }
  svtree::Result<pid_t> start_control_script(svtree::Command) override {
    return have_scripts ? next_pid++ : 0;
  }
  void release_run() override {}
  void send_signal(pid_t pid, int) override {
    if (pid <= 0) std::abort();
  }
  void send_group_signal(pid_t leader, int) override {
    if (leader <= 1) std::abort();
  }
  void arm_timer(TimerKind kind, int64_t delay_ms) override {
    if (delay_ms < 0) std::abort();
    armed.insert(kind);
  }
  void cancel_timer(TimerKind kind) override { armed.erase(kind); }
  void watch_for_run(bool) override {}
  void publish(const StatusRecord& record, bool) override {
    const bool something_runs = record.state != RunState::kDown;
    if (something_runs != (record.pid != 0)) std::abort();
    const auto bytes = record.pack();
    if (bytes.size() != StatusRecord::kRunitSize) std::abort();
    auto back = StatusRecord::unpack(bytes);
    if (!back) std::abort();
    back->extension = StatusRecord::unpack_extended(bytes, record.pack_extended());
    if (!(*back == record)) std::abort();
  }
  void warn(std::string_view) override {}
  void event(std::string_view line) override {
    if (line.find('\n') != std::string_view::npos) std::abort();  // one event, one line
  }
  void exit(int) override { exited = true; }
  svtree::Result<pid_t> start_stop() override { return have_finish ? next_pid++ : 0; }
  bool dependencies_ready() override { return dependencies_up; }
  void watch_dependencies(bool) override {}
  // One check at a time, and none at all without a check configured (zero wake-ups).
  void start_check(const svtree::ServiceKnobs&) override {
    if (checking || knobs.check == svtree::ServiceKnobs::CheckKind::kNone) std::abort();
    checking = true;
  }
  void stop_check() override { checking = false; }

  svtree::ServiceKnobs knobs;
  bool fail_next_start = false;
  bool have_finish = false;
  bool have_scripts = false;
  bool exited = false;
  bool dependencies_up = true;
  pid_t next_pid = 100;
  std::set<TimerKind> armed;
  bool checking = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  FuzzClock clock;
  FuzzEffects effects;
  // The first byte chooses the service directory's files.
  effects.have_finish = (data[0] & 1) != 0;
  effects.have_scripts = (data[0] & 2) != 0;
  effects.knobs.down = (data[0] & 4) != 0;
  effects.knobs.essential = (data[0] & 8) != 0;
  effects.knobs.timeout_kill_ms = (data[0] & 16) != 0 ? 100 : 0;
  effects.knobs.restart_delay_max_ms = (data[0] & 32) != 0 ? 8000 : 1000;
  // A oneshot when the last byte is odd (the first byte's bits are all taken).
  effects.knobs.oneshot = (data[size - 1] & 1) != 0;
  // The restart policy: give up after 2, on-failure (0 and 2 succeed) or never.
  if ((data[0] & 128) != 0) {
    effects.knobs.max_restarts = 2;
    effects.knobs.restart = (data[0] & 32) != 0 ? svtree::RestartPolicy::kOnFailure
                                                 : svtree::RestartPolicy::kNever;
    effects.knobs.success_codes = {0, 2};
  }
  // Odd-length inputs run with a health check (the first byte's bits are all taken).
  if ((size & 1) != 0) effects.knobs.check = svtree::ServiceKnobs::CheckKind::kTcp;
  Supervisor supervisor("fuzz", effects, clock);
  if ((data[0] & 64) != 0) {
    Adoption adoption;
    adoption.pid = 42;
    supervisor.start(adoption);
  } else {
    supervisor.start(std::nullopt);
  }
  for (size_t i = 1; i + 1 < size && !effects.exited; i += 2) {
    const uint8_t kind = data[i];
    const uint8_t arg = data[i + 1];
    clock.now += arg * 10;
    switch (kind % 10) {
      case 0: {
        if (const auto command = svtree::parse_control_byte(static_cast<char>(arg)))
          supervisor.on_command(*command);
        break;
      }
      case 1:
        if (supervisor.run_pid() != 0)
          supervisor.on_run_exit(arg % 3 == 0 ? std::nullopt : std::optional<int>(arg));
        break;
      case 2:
        if (supervisor.finish_pid() != 0) supervisor.on_finish_exit(arg);
        break;
      case 3:
        if (supervisor.script_pid() != 0) supervisor.on_control_script_exit(arg << 8);
        break;
      case 4: {
        const auto timer = static_cast<TimerKind>(arg % 5);
        if (effects.armed.erase(timer) != 0) supervisor.on_timer(timer);
        break;
      }
      case 5:
        // A check answers only while one is in flight (the checker gives one verdict).
        if (arg % 3 == 0) {
          supervisor.on_ready();
        } else if (effects.checking) {
          effects.checking = false;
          if (arg % 3 == 1)
            supervisor.on_check_passed();
          else
            supervisor.on_check_failed("refused");
        }
        break;
      case 6: supervisor.on_hangup_signal(); break;
      case 7: supervisor.on_terminate_signal(); break;
      case 8: effects.fail_next_start = (arg & 1) != 0; supervisor.on_run_may_have_appeared(); break;
      case 9:
        if (arg == 0xff) {
          supervisor.on_service_dir_gone();
        } else {
          effects.dependencies_up = (arg & 1) != 0;
          supervisor.on_dependencies_changed();
        }
        break;
    }
  }
  return 0;
}
