// SPDX-License-Identifier: MIT
// The syscalls behind a Supervisor: spawning, signals, knobs, the environment; supervise/
// itself goes through the protocol module (svtree/supervise_protocol.hpp). What touches an
// event source is only recorded here (EffectRequests): ServiceRunner applies it.
#include "service_effects.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "svtree/diag.hpp"
#include "svtree/envdir.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"
#include "svtree/process.hpp"
#include "svtree/supervise_location.hpp"

namespace svtree::supervise {
namespace {

// DIR's entries, while run is missing: created, moved in, written, made executable.
constexpr unsigned long kRunAppearsEvents = DN_CREATE | DN_RENAME | DN_ATTRIB | DN_MODIFY;

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

ServiceEffects::ServiceEffects(ServiceDir dir, SuperviseServer server)
    : parent_{::getppid(), svtree::process_start_time(::getppid()).value_or(0)},
      dir_(std::move(dir)),
      paths_(".", dir_.name()),
      server_(std::move(server)),
      spawner_(dir_.name()),
      dependencies_(dir_.name(), kDirSignal) {}

ServiceEffects::~ServiceEffects() = default;

EffectRequests ServiceEffects::take_requests() { return std::exchange(requests_, {}); }

Orphan ServiceEffects::find_orphan() {
  const auto previous = server_.read_previous();
  if (!previous) return {};
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
    if (verdict.inherit_wishes) return {Adoption{0, *previous}, UniqueFd()};
    return {};
  }
  diag::info("adopting " + dir_.shown("run") + ", pid " + std::to_string(pid) +
             ", left running by a previous supervisor");
  return {Adoption{pid, *previous}, std::move(pidfd)};
}

ServiceKnobs ServiceEffects::load_knobs() {
  std::vector<std::string> warnings;
  ServiceKnobs knobs = load_service_knobs(paths_, warnings);
  identity_ = prepare_identity(knobs, paths_, warnings);
  warn_once_per_change(last_knob_warnings_, warnings);
  return knobs;
}

void ServiceEffects::warn_once_per_change(std::string& last,
                                          const std::vector<std::string>& lines) {
  // A crash loop reads the knobs every second: say each complaint once, not every second.
  std::string text = join_lines(lines);
  if (text == last) return;
  for (const std::string& line : lines) warn(line);
  last = std::move(text);
}

const std::vector<std::string>* ServiceEffects::service_environment(bool as_service_user) {
  std::vector<std::string> warnings;
  std::vector<EnvChange> all =
      script_environment_changes(paths_, identity_, as_service_user, warnings);
  warn_once_per_change(last_env_warnings_, warnings);
  if (all.empty()) return nullptr;  // inherit ours unchanged
  environment_ = apply_env_changes(current_environment(), all);
  return &environment_;
}

void ServiceEffects::warn_if_writable_by_others(const std::string& program) {
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

void ServiceEffects::route_stderr(ScriptRequest& request, ServiceKnobs::StderrMode mode) const {
  switch (mode) {
    case ServiceKnobs::StderrMode::kInherit:
      return;
    case ServiceKnobs::StderrMode::kLog:
      // `exec 2>&1` done for the script: the log pipe, or whatever our stdout is.
      request.stderr_fd = request.stdout_fd >= 0 ? request.stdout_fd : STDOUT_FILENO;
      return;
    case ServiceKnobs::StderrMode::kSeparate:
      // Without a pipe from svscan (standalone supervise, or a starter that gave none)
      // stderr stays inherited: separate from stdout still, as the knob asks.
      if (stderr_pipe_.valid()) request.stderr_fd = stderr_pipe_.get();
      return;
  }
}

Result<pid_t> ServiceEffects::spawn_script(ScriptRequest request) {
  warn_if_writable_by_others(request.program);
  request.env = service_environment(request.credentials != nullptr);
  return spawner_.spawn(request);
}

Result<pid_t> ServiceEffects::start_run(const ServiceKnobs& knobs) {
  release_run();
  // A `user` that cannot be honoured keeps run down (never started as supervise's own
  // user); run_start_hint says what to do.
  if (identity_.problem) return identity_.problem->error;
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
  // An instance's name is run's $1 (issue 16); finish keeps runit's two arguments.
  if (const char* instance = std::getenv(supervise_location::kInstanceVariable);
      instance != nullptr && *instance != '\0')
    request.argv.emplace_back(instance);
  request.new_session = true;
  request.credentials = &identity_.credentials;
  request.hold_exec = true;
  if (readiness) {
    request.notification_child_fd = *knobs.notification_fd;
    request.notification_parent_fd = readiness->write_end.get();
  }
  stderr_mode_ = knobs.stderr_mode;
  route_stderr(request, stderr_mode_);
  auto pid = spawn_script(std::move(request));
  requests_.run_exec_gate = spawner_.take_exec_gate();
  if (pid && readiness) {
    requests_.readiness = std::move(readiness->read_end);
    (void)set_nonblocking(requests_.readiness.get(), true);
  }
  return pid;
}

std::string ServiceEffects::run_start_hint(int code) {
  if (identity_.problem) return identity_.problem->hint;
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

Result<pid_t> ServiceEffects::start_finish(int code, int status) {
  if (!is_executable_file(paths_.file("finish"))) return pid_t{0};
  // Not as the wrong user either; run's start already said why.
  if (identity_.problem) return pid_t{0};
  ScriptRequest request;
  request.program = "./finish";
  request.argv = {"./finish", std::to_string(code), std::to_string(status)};
  request.new_session = true;
  request.credentials = &identity_.credentials;
  route_stderr(request, stderr_mode_);
  return spawn_script(std::move(request));
}

Result<pid_t> ServiceEffects::start_control_script(Command command) {
  std::string program = "./control/";
  program += control_byte(command);
  if (!is_executable_file(program)) return pid_t{0};
  ScriptRequest request;
  request.program = program;
  request.argv = {program};
  return spawn_script(std::move(request));
}

uint64_t ServiceEffects::process_start_time(pid_t pid) {
  return svtree::process_start_time(pid).value_or(0);
}

void ServiceEffects::release_run() {
  // A readiness pipe of a run started earlier in this event goes with it.
  requests_.drop_run_watches = true;
  requests_.readiness.reset();
}

void ServiceEffects::send_signal(pid_t pid, int signo) { (void)signal_process(pid, signo); }

void ServiceEffects::send_group_signal(pid_t leader, int signo) {
  (void)signal_process_group(leader, signo);
}

void ServiceEffects::arm_timer(TimerKind kind, int64_t delay_ms) {
  requests_.timers[kind] = EffectRequests::Timer{true, delay_ms};
}

void ServiceEffects::cancel_timer(TimerKind kind) {
  requests_.timers[kind] = EffectRequests::Timer{false, 0};
}

void ServiceEffects::watch_for_run(bool on) {
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

void ServiceEffects::publish(const StatusRecord& given, bool want_exit) {
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
    requests_.publish_retry = EffectRequests::PublishRetry::kStop;
    return;
  }
  // Say it once per cause (a full disk), not at every status change, and write the
  // latest state again on a timer until it works: the files catch up without any event.
  if (result.error().code != last_publish_error_) {
    last_publish_error_ = result.error().code;
    warn(result.error().message() + "; retrying every second");
  }
  requests_.publish_retry = EffectRequests::PublishRetry::kArm;
}

void ServiceEffects::retry_publish() {
  if (server_.publish(last_record_, last_want_exit_)) {
    last_publish_error_ = 0;
    return;
  }
  requests_.publish_retry = EffectRequests::PublishRetry::kArm;
}

void ServiceEffects::warn(std::string_view text) { diag::warning(text); }

// --- oneshots and dependencies (issue 14)

Result<pid_t> ServiceEffects::start_stop() {
  if (!is_executable_file(paths_.file("stop"))) return pid_t{0};
  if (identity_.problem) return pid_t{0};  // as finish: never as the wrong user
  ScriptRequest request;
  request.program = "./stop";
  request.argv = {"./stop"};
  request.new_session = true;
  request.credentials = &identity_.credentials;
  return spawn_script(std::move(request));
}

bool ServiceEffects::dependencies_ready() { return dependencies_.ready(); }

void ServiceEffects::watch_dependencies(bool on) {
  if (!on) dependencies_.stop();
}

pid_t ServiceEffects::process_in_session(pid_t session) {
  return find_process_in_session(session);
}

// "supervise: event=…": one write, through diag: the pipe svscan reads ($SVTREE_DIAG_FD)
// under svscan, else our own stderr.
void ServiceEffects::event(std::string_view line) { diag::info(line); }
void ServiceEffects::start_check(const ServiceKnobs& knobs) {
  switch (knobs.check) {
    case ServiceKnobs::CheckKind::kTcp:
      if (knobs.check_tcp) {
        EffectRequests::Check check;
        check.kind = EffectRequests::Check::Kind::kTcp;
        check.tcp = *knobs.check_tcp;
        requests_.checks.push_back(std::move(check));
      }
      return;
    case ServiceKnobs::CheckKind::kHttp:
      if (knobs.check_http) {
        EffectRequests::Check check;
        check.kind = EffectRequests::Check::Kind::kHttp;
        check.http = *knobs.check_http;
        requests_.checks.push_back(std::move(check));
      }
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
      request.credentials = &identity_.credentials;
      auto pid = identity_.problem ? Result<pid_t>(identity_.problem->error)
                                   : spawn_script(std::move(request));
      EffectRequests::Check check;
      if (pid) {
        check.kind = EffectRequests::Check::Kind::kScript;
        check.pid = *pid;
      } else {
        check.kind = EffectRequests::Check::Kind::kFailSoon;
        check.reason = pid.error().message();
      }
      requests_.checks.push_back(std::move(check));
      return;
    }
    case ServiceKnobs::CheckKind::kNone:
      return;
  }
}

void ServiceEffects::stop_check() { requests_.checks.emplace_back(); }

void ServiceEffects::exit(int code) {
  requests_.exit_code = code;
}

}  // namespace svtree::supervise
