// SPDX-License-Identifier: MIT
// Tree: supervise children, log pipes, restarts, shutdown order.
#include "tree.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "svtree/diag.hpp"
#include "svtree/process.hpp"

namespace svtree::svscan {
namespace {

/// A supervisor not running with a restart scheduled.
bool restart_pending(const auto& sup) { return sup.pid == 0 && sup.restart_at_ms >= 0; }
/// …whose time has come.
bool due(const auto& sup, int64_t now) { return restart_pending(sup) && sup.restart_at_ms <= now; }

std::string describe_exit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit code " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "status " + std::to_string(wait_status);
}

}  // namespace

Result<CatchPipes> TreeEffects::open_catch_all(const std::string& name) {
  return SysError{ENOSYS, "open the catch-all pipe of " + name};
}
void TreeEffects::rename_catch_all(int /*id*/, const std::string& /*name*/) {}
void TreeEffects::release_catch_all(int /*id*/) {}
Result<pid_t> TreeEffects::start_supervise_caught(const std::string& dir, int stdout_fd,
                                                  int /*stderr_fd*/) {
  return start_supervise(dir, -1, stdout_fd);
}

Tree::Tree(TreeEffects& effects, const Clock& clock, size_t max_services)
    : effects_(effects), clock_(clock), max_services_(max_services) {
  // Reserved once, never reallocated; pages are touched only as slots come into use.
  slots_.reserve(max_services);
  free_slots_.reserve(max_services);
}

std::string Tree::dir_of(const Service& service, Role role) const {
  if (role == Role::kStderrLogger) return service.name + "/log/err";
  return role == Role::kService ? service.name : service.name + "/log";
}

Tree::LogSide& Tree::log_side(Service& s) {
  if (!s.log) s.log = std::make_unique<LogSide>();
  return *s.log;
}

Tree::StderrSide& Tree::stderr_side(Service& s) {
  LogSide& log = log_side(s);
  if (!log.err) log.err = std::make_unique<StderrSide>();
  return *log.err;
}

Tree::Supervisor& Tree::supervisor_of(size_t slot, Role role) {
  Service& s = slots_[slot];
  switch (role) {
    case Role::kService: return s.main;
    case Role::kLogger: return log_side(s).logger;
    case Role::kStderrLogger: return stderr_side(s).logger;
  }
  return s.main;
}

const Tree::Service* Tree::find(std::string_view name) const {
  for (const Service& s : slots_)
    if (s.in_use && !s.removed && s.name == name) return &s;
  return nullptr;
}

pid_t Tree::service_pid(std::string_view name) const {
  const Service* s = find(name);
  return s != nullptr ? s->main.pid : 0;
}
pid_t Tree::logger_pid(std::string_view name) const {
  const Service* s = find(name);
  return s != nullptr ? logger_pid_of(*s) : 0;
}
bool Tree::has_pipe(std::string_view name) const {
  const Service* s = find(name);
  return s != nullptr && s->log && s->log->pipe_read.valid();
}

size_t Tree::services_alive() const {
  return static_cast<size_t>(std::count_if(by_pid_.begin(), by_pid_.end(), [](const auto& p) {
    return p.second.role == Role::kService;
  }));
}

std::vector<pid_t> Tree::logger_pids() const {
  std::vector<pid_t> pids;
  for (const auto& [pid, ref] : by_pid_)
    if (ref.role != Role::kService) pids.push_back(pid);  // stderr loggers drain too
  return pids;
}

std::vector<std::string> Tree::logger_dirs() const {
  std::vector<std::string> dirs;
  for (const auto& [pid, ref] : by_pid_)
    if (ref.role == Role::kLogger) dirs.push_back(slots_[ref.slot].name + "/log");
  return dirs;
}

void Tree::sync(std::span<const ScanEntry> listing) {
  if (shutting_down_) return;
  std::vector<KnownService> known;
  std::vector<size_t> known_slot;
  known.reserve(in_use_);
  known_slot.reserve(in_use_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Service& s = slots_[i];
    if (!s.in_use || s.removed) continue;
    known.push_back({s.name, s.id, s.logged ? std::optional<FileId>(s.log->id) : std::nullopt,
                     s.instance ? *s.instance : std::string()});
    known_slot.push_back(i);
  }
  const ScanDiff diff = diff_scan(known, listing);
  for (const size_t k : diff.removed) remove_service(known_slot[k]);
  for (const auto& [k, e] : diff.renamed) {
    Service& s = slots_[known_slot[k]];
    effects_.note(s.name + " renamed to " + listing[e].name + ": same service, not restarted");
    s.name = listing[e].name;
    if (s.catch_all.id >= 0) effects_.rename_catch_all(s.catch_all.id, s.name);
  }
  for (const auto& [k, e] : diff.log_added) add_log(known_slot[k], *listing[e].log);
  for (const auto& [k, e] : diff.log_removed) remove_log(known_slot[k]);
  for (const auto& [k, e] : diff.log_replaced) replace_log(known_slot[k], *listing[e].log);
  std::vector<std::string> skipped;
  for (const size_t e : diff.added)
    if (!add_service(listing[e])) skipped.push_back(listing[e].name);
  note_skipped(std::move(skipped));
  note_duplicates(listing, diff);
}

void Tree::note_duplicates(std::span<const ScanEntry> listing, const ScanDiff& diff) {
  // `ln -s worker worker-1` is one service under two names, not two (issue 16): said once
  // per pair, again only after the pair was gone from a scan.
  std::vector<std::string> pairs;
  for (const auto& [entry, first] : diff.duplicates) {
    std::string pair = listing[first].name + "\n" + listing[entry].name;
    if (!std::binary_search(duplicates_said_.begin(), duplicates_said_.end(), pair))
      effects_.warn(listing[entry].name + " is the same directory as " + listing[first].name +
                    ": supervising it once, as " + listing[first].name +
                    " (for several copies of one service, make it a template: name the"
                    " directory NAME@ and link NAME@1, NAME@2 to it)");
    pairs.push_back(std::move(pair));
  }
  std::sort(pairs.begin(), pairs.end());
  duplicates_said_ = std::move(pairs);
}

void Tree::note_skipped(std::vector<std::string> skipped) {
  // One line naming every service newly left out, not one per rescan: the set is
  // remembered, and a name is said again only after it started or left the directory.
  std::sort(skipped.begin(), skipped.end());
  std::string fresh;
  for (const std::string& name : skipped) {
    if (std::binary_search(skipped_.begin(), skipped_.end(), name)) continue;
    fresh += fresh.empty() ? name : ", " + name;
  }
  if (!fresh.empty())
    effects_.warn("unable to supervise " + fresh + ": already " +
                  std::to_string(max_services_) +
                  " services (raise -c); started as soon as a slot frees");
  skipped_ = std::move(skipped);
}

bool Tree::add_service(const ScanEntry& entry) {
  if (free_slots_.empty() && slots_.size() < max_services_) {
    slots_.emplace_back();
    free_slots_.push_back(slots_.size() - 1);
  }
  if (free_slots_.empty()) return false;
  const size_t slot = free_slots_.back();
  free_slots_.pop_back();
  ++in_use_;
  Service& s = slots_[slot];
  s = Service{};
  s.in_use = true;
  s.name = entry.name;
  s.id = entry.id;
  if (!entry.instance.empty()) s.instance = std::make_unique<std::string>(entry.instance);
  s.watch = effects_.watch_service(entry.name);
  if (entry.log) {
    auto pipe = effects_.make_log_pipe();
    if (pipe) {
      LogSide& log = log_side(s);
      s.logged = true;
      log.id = *entry.log;
      log.pipe_read = std::move(pipe->read_end);
      log.pipe_write = std::move(pipe->write_end);
      start(slot, Role::kLogger);
      add_stderr_pipe(slot);
    } else {
      // Without the pipe the service still runs, its output on our stdout; the rescan
      // timer keeps running until a rescan pairs it (add_log), as for a log/ added later.
      effects_.warn(pipe.error().message() + " for " + entry.name +
                    "/log: the service logs to svscan's output until a rescan can pair it");
      s.log_unpaired = true;
    }
  }
  if (!s.logged) open_catch_all(slot);
  start(slot, Role::kService);
  return true;
}

void Tree::remove_service(size_t slot) {
  Service& s = slots_[slot];
  s.removed = true;
  effects_.note(s.name + " removed: stopping its supervise");
  s.main.restart_at_ms = -1;
  if (s.log) s.log->logger.restart_at_ms = -1;
  if (s.main.pid > 0) {
    s.main.stopping = true;
    effects_.send_signal(s.main.pid, SIGTERM);
  } else {
    release_pair(slot);
  }
  maybe_free(slot);
}

void Tree::add_log(size_t slot, const FileId& log_id) {
  Service& s = slots_[slot];
  auto pipe = effects_.make_log_pipe();
  if (!pipe) {
    if (!s.log_unpaired)
      effects_.warn(pipe.error().message() + " for " + s.name + "/log; retrying at each rescan");
    s.log_unpaired = true;
    return;
  }
  s.log_unpaired = false;
  // A run adopted across the change keeps the catch-all pipe it has: svscan reads it
  // until that run ends, so nothing it writes is lost.
  close_catch_all(slot);
  // A logger still leaving from an earlier log/ removal keeps its own pipe copy; ours
  // is new, so the two never share lines.
  LogSide& log = log_side(s);
  log.pipe_read = std::move(pipe->read_end);
  log.pipe_write = std::move(pipe->write_end);
  s.logged = true;
  log.id = log_id;
  effects_.note(s.name + ": log/ added: starting its logger and restarting its supervise "
                "so that run writes to the logger");
  start(slot, Role::kLogger);
  add_stderr_pipe(slot);
  if (s.main.pid > 0) {
    s.main.replacing = true;
    effects_.send_signal(s.main.pid, SIGKILL);
  }
}

bool Tree::pairing_pending() const {
  for (const Service& s : slots_)
    if (s.in_use && !s.removed && s.log_unpaired) return true;
  return false;
}

void Tree::remove_log(size_t slot) {
  Service& s = slots_[slot];
  s.logged = false;
  s.log_unpaired = false;
  effects_.note(s.name + ": log/ removed: stopping its logger and restarting its supervise "
                "so that run writes to svscan's output");
  open_catch_all(slot);
  LogSide& log = log_side(s);  // sync only reports a removal of a log/ it was told of
  log.logger.restart_at_ms = -1;
  if (log.logger.pid > 0) {
    log.logger.stopping = true;
    effects_.send_signal(log.logger.pid, SIGTERM);
  } else {
    retire_pipe(slot);
  }
  drop_stderr_pipe(slot);
  if (s.main.pid > 0) {
    s.main.replacing = true;
    effects_.send_signal(s.main.pid, SIGKILL);
  }
}

void Tree::retire_pipe(size_t slot) {
  Service& s = slots_[slot];
  if (!s.log) return;
  s.log->pipe_write.reset();
  if (s.log->pipe_read.valid()) effects_.forward_to_stdout(std::move(s.log->pipe_read), s.name);
}

void Tree::open_catch_all(size_t slot) {
  Service& s = slots_[slot];
  if (s.catch_all.out.valid()) return;
  auto pipes = effects_.open_catch_all(s.name);
  if (pipes) {
    s.catch_all = std::move(*pipes);
    return;
  }
  // Without it the service writes to our stdout itself, as before issue 15.
  if (pipes.error().code != ENOSYS)
    effects_.warn(pipes.error().message() + ": " + s.name +
                  " writes to svscan's stdout unlabelled until its supervise restarts");
}

void Tree::close_catch_all(size_t slot) {
  Service& s = slots_[slot];
  if (s.catch_all.id >= 0) effects_.release_catch_all(s.catch_all.id);
  s.catch_all = CatchPipes{};
}

void Tree::replace_log(size_t slot, const FileId& log_id) {
  Service& s = slots_[slot];
  LogSide& log = log_side(s);
  log.id = log_id;
  effects_.note(s.name + ": log/ is a new directory: restarting its logger on the same pipe");
  if (log.logger.pid > 0) {
    log.logger.replacing = true;
    effects_.send_signal(log.logger.pid, SIGTERM);
  } else {
    start(slot, Role::kLogger);
  }
  // Its stderr directory lives in the new log/ too: same pipe, new svlog.
  if (has_stderr_pipe(s)) {
    Supervisor& err_logger = log.err->logger;
    if (err_logger.pid > 0) {
      err_logger.replacing = true;
      effects_.send_signal(err_logger.pid, SIGTERM);
    } else {
      start(slot, Role::kStderrLogger);
    }
  }
}

void Tree::add_stderr_pipe(size_t slot) {
  Service& s = slots_[slot];
  if (has_stderr_pipe(s) || !effects_.wants_separate_stderr(s.name)) return;
  auto pipe = effects_.make_log_pipe();
  if (!pipe) {
    // The service still runs: its stderr stays inherited (svscan's), as without the knob.
    effects_.warn(pipe.error().message() + " for " + s.name +
                  "/log/err: its stderr goes to svscan's stderr meanwhile");
    return;
  }
  StderrSide& err = stderr_side(s);
  err.read = std::move(pipe->read_end);
  err.write = std::move(pipe->write_end);
  start(slot, Role::kStderrLogger);
}

void Tree::drop_stderr_pipe(size_t slot) {
  Service& s = slots_[slot];
  if (!s.log || !s.log->err) return;
  StderrSide& err = *s.log->err;
  err.read.reset();
  err.write.reset();
  err.logger.restart_at_ms = -1;
  // No signal: svlog reads on to end of file, when the last run writing into the pipe
  // (possibly one adopted across the change) is gone, so that run never gets SIGPIPE.
  if (err.logger.pid > 0) err.logger.stopping = true;
}

void Tree::start(size_t slot, Role role) {
  Service& s = slots_[slot];
  Supervisor& sup = supervisor_of(slot, role);
  sup.restart_at_ms = -1;
  sup.stopping = false;
  sup.replacing = false;
  const std::string dir = dir_of(s, role);
  const int stdin_fd = role == Role::kLogger ? s.log->pipe_read.get() : -1;
  int stdout_fd = role == Role::kService && s.logged ? s.log->pipe_write.get() : -1;
  int stderr_fd = -1;
  if (role == Role::kService && !s.logged) {
    stdout_fd = s.catch_all.out.valid() ? s.catch_all.out.get() : -1;
    stderr_fd = s.catch_all.err.valid() ? s.catch_all.err.get() : -1;
  }
  sup.started_ms = clock_.monotonic_ms();
  const int stderr_write = has_stderr_pipe(s) ? s.log->err->write.get() : -1;
  auto pid = role == Role::kStderrLogger
                 ? effects_.start_stderr_logger(s.name, s.log->err->read.get())
             : role == Role::kService && stderr_write >= 0
                 ? effects_.start_supervise_with_stderr(dir, stdin_fd, stdout_fd, stderr_write)
             : stderr_fd >= 0 ? effects_.start_supervise_caught(dir, stdout_fd, stderr_fd)
                              : effects_.start_supervise(dir, stdin_fd, stdout_fd);
  if (!pid) {
    effects_.warn(pid.error().message() + "; retrying");
    sup.pid = 0;
    schedule_restart(slot, role);
    return;
  }
  sup.pid = *pid;
  by_pid_.emplace(*pid, PidRef{static_cast<uint32_t>(slot), role});
  if (role == Role::kStderrLogger)
    effects_.note("logging " + s.name + "'s stderr to " + effects_.stderr_log_dir(s.name) +
                  " (svlog pid " + std::to_string(*pid) + ")");
  else
    effects_.note("supervising " + dir + " (supervise pid " + std::to_string(*pid) + ")");
}

void Tree::schedule_restart(size_t slot, Role role) {
  Supervisor& sup = supervisor_of(slot, role);
  const int64_t now = clock_.monotonic_ms();
  const int64_t lived = now - sup.started_ms;
  if (lived >= sup.backoff_ms) {
    // It lived long enough: not a crash loop. Start again at once, throttle reset.
    sup.backoff_ms = kMinRestartMs;
    sup.restart_at_ms = std::max(now, sup.started_ms + kMinRestartMs);
  } else {
    sup.restart_at_ms = sup.started_ms + sup.backoff_ms;
    sup.backoff_ms = static_cast<uint16_t>(std::min<int64_t>(sup.backoff_ms * 2, kMaxRestartMs));
  }
}

bool Tree::on_child_exit(pid_t pid, int wait_status) {
  const auto found = by_pid_.find(pid);
  if (found == by_pid_.end()) return false;
  const PidRef ref = found->second;
  by_pid_.erase(found);
  if (ref.role == Role::kService) on_service_exit(ref.slot, wait_status);
  else if (ref.role == Role::kStderrLogger) on_stderr_logger_exit(ref.slot, wait_status);
  else on_logger_exit(ref.slot, wait_status);
  return true;
}

void Tree::on_service_exit(size_t slot, int wait_status) {
  Service& s = slots_[slot];
  const bool stopping = s.main.stopping;
  const bool replacing = s.main.replacing;
  s.main.pid = 0;
  s.main.stopping = false;
  s.main.replacing = false;
  if (shutting_down_ || s.removed) {
    effects_.note("supervise " + s.name + " ended (" + describe_exit(wait_status) + ")");
    release_pair(slot);
    if (shutting_down_) on_dependent_gone(slot);
    maybe_free(slot);
    return;
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == diag::kExitEssentialEnded &&
      !stopping) {
    const std::optional<int> run_status = effects_.last_run_wait_status(s.name);
    const int shell = run_status ? describe_wait_status(*run_status).shell_status
                                 : diag::kExitSystem;
    if (run_status)
      effects_.note("essential service " + s.name + " ended (" + describe_exit(*run_status) +
                    "): stopping the tree, exit status " + std::to_string(shell));
    else
      effects_.warn("essential service " + s.name + " ended with no known exit status (" +
                    s.name + "/supervise/status unreadable, or its run was adopted from an "
                    "earlier supervise): stopping the tree, exit status 111");
    if (!essential_status_) essential_status_ = shell;
    return;
  }
  if (replacing) {
    start(slot, Role::kService);
    return;
  }
  restart_after_exit(slot, Role::kService, "supervise " + s.name, wait_status, "");
}

void Tree::on_logger_exit(size_t slot, int wait_status) {
  Service& s = slots_[slot];
  Supervisor& logger = log_side(s).logger;  // its pid was in by_pid_: the side exists
  const bool replacing = logger.replacing;
  logger.pid = 0;
  logger.stopping = false;
  logger.replacing = false;
  const std::string dir = s.name + "/log";
  if (shutting_down_ || s.removed) {
    effects_.note("supervise " + dir + " ended (" + describe_exit(wait_status) + ")");
    maybe_free(slot);
    return;
  }
  if (!s.logged) {
    // log/ was removed: this was its last logger. The service's new supervise writes
    // elsewhere already.
    effects_.note("supervise " + dir + " ended (" + describe_exit(wait_status) + ")");
    retire_pipe(slot);
    return;
  }
  if (replacing) {
    start(slot, Role::kLogger);
    return;
  }
  restart_after_exit(slot, Role::kLogger, "supervise " + dir, wait_status,
                     "; its pipe keeps the lines meanwhile");
}

void Tree::on_stderr_logger_exit(size_t slot, int wait_status) {
  Service& s = slots_[slot];
  Supervisor& logger = stderr_side(s).logger;  // its pid was in by_pid_: the side exists
  const bool replacing = logger.replacing;
  logger.pid = 0;
  logger.stopping = false;
  logger.replacing = false;
  const std::string dir = s.name + "/log/err";
  if (shutting_down_ || s.removed || !has_stderr_pipe(s)) {
    effects_.note("svlog " + dir + " ended (" + describe_exit(wait_status) + ")");
    maybe_free(slot);
    return;
  }
  if (replacing) {
    start(slot, Role::kStderrLogger);
    return;
  }
  restart_after_exit(slot, Role::kStderrLogger, "svlog " + dir, wait_status,
                     "; its pipe keeps the lines meanwhile");
}

void Tree::restart_after_exit(size_t slot, Role role, const std::string& what, int wait_status,
                              std::string_view tail) {
  schedule_restart(slot, role);
  const int64_t delay_ms =
      std::max<int64_t>(0, supervisor_of(slot, role).restart_at_ms - clock_.monotonic_ms());
  effects_.warn(what + " ended (" + describe_exit(wait_status) + "); restarting it in " +
                std::to_string(delay_ms) + " ms" + std::string(tail));
}

void Tree::release_pair(size_t slot) {
  Service& s = slots_[slot];
  drop_stderr_pipe(slot);
  close_catch_all(slot);
  if (!s.log) return;
  LogSide& log = *s.log;
  log.pipe_read.reset();
  log.pipe_write.reset();
  log.logger.restart_at_ms = -1;
  if (log.logger.pid > 0 && !log.logger.stopping) {
    // DESIGN.md §3: HUP = exit once the logger ended on its own, which it does at the EOF
    // that closing the last write ends gives it.
    log.logger.stopping = true;
    effects_.send_signal(log.logger.pid, SIGHUP);
  }
}

void Tree::maybe_free(size_t slot) {
  Service& s = slots_[slot];
  if (!s.in_use || (!s.removed && !shutting_down_)) return;
  for (const Supervisor* sup : supervisors_of(s))
    if (sup != nullptr && sup->pid > 0) return;
  if (s.watch >= 0) effects_.unwatch_service(s.watch);
  close_catch_all(slot);  // before the name it lends goes (release_pair closed it already)
  s = Service{};
  free_slots_.push_back(slot);
  --in_use_;
}

void Tree::on_timer() {
  if (shutting_down_) return;
  const int64_t now = clock_.monotonic_ms();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Service& s = slots_[i];
    if (!s.in_use || s.removed) continue;
    if (s.logged && due(s.log->logger, now)) start(i, Role::kLogger);
    if (has_stderr_pipe(s) && due(s.log->err->logger, now)) start(i, Role::kStderrLogger);
    if (due(s.main, now)) start(i, Role::kService);
  }
}

std::optional<int64_t> Tree::next_deadline_ms() const {
  if (shutting_down_) return std::nullopt;
  std::optional<int64_t> next;
  for (const Service& s : slots_) {
    if (!s.in_use || s.removed) continue;
    for (const Supervisor* sup : supervisors_of(s))
      if (sup != nullptr && restart_pending(*sup) && (!next || sup->restart_at_ms < *next))
        next = sup->restart_at_ms;
  }
  return next;
}

void Tree::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Service& s = slots_[i];
    if (!s.in_use) continue;
    for (Supervisor* sup : supervisors_of(s))
      if (sup != nullptr) sup->restart_at_ms = -1;
    // Stopped by stop_when_free after its dependents (issue 14).
    if (s.main.pid > 0 && !s.main.stopping) s.main.awaiting_dependents = true;
    if (s.main.pid <= 0) release_pair(i);
    maybe_free(i);
  }
  count_dependents();
  for (size_t i = 0; i < slots_.size(); ++i) stop_when_free(i);
  break_shutdown_cycle();
}

void Tree::count_dependents() {
  // Each live service's depends/, resolved once to slots: a service exiting then tells its
  // dependencies in O(its entries), not a scan of the whole tree (1000 services).
  std::unordered_map<std::string_view, size_t> slot_of;
  dependency_slots_.assign(slots_.size(), {});
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].in_use && slots_[i].main.pid > 0) slot_of.emplace(slots_[i].name, i);
  for (size_t i = 0; i < slots_.size(); ++i) {
    Service& s = slots_[i];
    if (!s.in_use || s.main.pid <= 0) continue;
    std::vector<std::string> names = effects_.dependencies_of(s.name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const std::string& name : names) {
      const auto found = slot_of.find(name);
      if (found == slot_of.end() || found->second == i) continue;
      dependency_slots_[i].push_back(found->second);
      ++slots_[found->second].live_dependents;
    }
  }
}

void Tree::stop_when_free(size_t slot) {
  Service& s = slots_[slot];
  if (!s.in_use || s.main.pid <= 0 || !s.main.awaiting_dependents || s.live_dependents > 0)
    return;
  s.main.awaiting_dependents = false;
  s.main.stopping = true;
  effects_.send_signal(s.main.pid, SIGTERM);
}

void Tree::on_dependent_gone(size_t slot) {
  // count_dependents sized the table at the shutdown's start (no slot is added after it).
  std::vector<size_t> dependencies;
  if (slot < dependency_slots_.size()) dependencies = std::exchange(dependency_slots_[slot], {});
  for (const size_t dependency : dependencies) {
    Service& d = slots_[dependency];
    if (d.live_dependents > 0) --d.live_dependents;
    stop_when_free(dependency);
  }
  break_shutdown_cycle();
}

void Tree::break_shutdown_cycle() {
  // Services still waiting while nothing is being stopped can only wait on each other (a
  // cycle, reported by supervise): stop them together rather than sit out the grace time.
  bool waiting = false;
  for (const Service& s : slots_) {
    if (!s.in_use || s.main.pid <= 0) continue;
    if (!s.main.awaiting_dependents) return;  // one is stopping: its exit wakes us
    waiting = true;
  }
  if (!waiting) return;
  for (Service& s : slots_) {
    if (!s.in_use || s.main.pid <= 0 || !s.main.awaiting_dependents) continue;
    s.main.awaiting_dependents = false;
    s.main.stopping = true;
    effects_.send_signal(s.main.pid, SIGTERM);
  }
}

}  // namespace svtree::svscan
