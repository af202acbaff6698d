// SPDX-License-Identifier: MIT
// Verbs, options and exit codes exactly as runit's sv(8) defines them, plus svctl's
// additions (status table and JSON, check as a probe). Facts from sv(8) and runit 2.1.2.
#include "commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "service.hpp"
#include "status_format.hpp"
#include "svtree/escape.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/io.hpp"
#include "svtree/state_dir.hpp"
#include "waiter.hpp"

namespace svtree::svctl {
namespace {

constexpr int kMaxFailures = 99;
constexpr int kLsbNotRunning = 3;
constexpr int kLsbUnknown = 4;

Action control(std::vector<Command> commands, bool waits = false, bool kill = false) {
  Action action;
  action.mode = Mode::kControl;
  // sv's wait conditions are named by the letters of the commands sent (sv.c).
  for (const Command command : commands) action.conditions += control_byte(command);
  action.commands = std::move(commands);
  action.waits = waits;
  action.kill_on_timeout = kill;
  return action;
}

std::optional<double> parse_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end == copy.c_str() || *end != '\0' || !(value >= 0) || value > 1e7)
    return std::nullopt;
  return value;
}

void write_out(std::string_view text) {
  if (!text.empty()) (void)write_all(STDOUT_FILENO, text);
}

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

std::vector<ServiceRef> named_services(const Invocation& inv) {
  std::vector<ServiceRef> services;
  services.reserve(inv.services.size());
  const std::string tree = state_dir::live_tree_dir_for(inv.svdir);
  for (const auto& name : inv.services) services.push_back(make_service_ref(name, inv.svdir, tree));
  return services;
}

/// `svctl wait [-w SEC] up|ready|done|down NAME...` (issue 14): -w may follow the verb, as
/// the synopsis writes it; then the state word. at points after the verb and is advanced.
bool parse_wait_words(const std::vector<std::string>& argv, size_t& at, Invocation& inv,
                      std::string& error) {
  if (at < argv.size() && argv[at].rfind("-w", 0) == 0) {
    std::string value = argv[at].substr(2);
    if (value.empty() && ++at < argv.size()) value = argv[at];
    const auto seconds = parse_seconds(value);
    if (!seconds) {
      error = "wait -w " + value + ": not a number of seconds (write e.g. -w 10)";
      return false;
    }
    inv.wait_seconds = *seconds;
    inv.verbose = inv.explicit_wait = true;
    ++at;
  }
  const std::string word = at < argv.size() ? argv[at] : std::string();
  char condition = 0;
  if (word == "up") condition = kWaitUp;
  if (word == "ready") condition = kWaitReady;
  if (word == "done") condition = kWaitDone;
  if (word == "down") condition = kWaitDown;
  if (condition == 0) {
    error = "wait for what? write up, ready, done or down, e.g. svctl wait ready web";
    return false;
  }
  inv.action.conditions = std::string(1, condition);
  ++at;
  return true;
}

int capped(int failures) { return std::min(failures, kMaxFailures); }

int run_status(const Invocation& inv) {
  const int64_t now = now_unix();
  int failures = 0;
  if (inv.json || inv.services.empty()) {
    std::vector<ServiceRef> services;
    if (inv.services.empty()) {
      auto listed = list_services(inv.svdir, true);
      if (!listed) {
        (void)write_all(STDERR_FILENO, "svctl: fatal: " + listed.error().message() + "\n");
        return kMaxFailures + 1;
      }
      services = std::move(*listed);
      if (auto main = main_command_of(inv.svdir)) services.push_back(std::move(*main));
    } else {
      for (auto& ref : named_services(inv)) {
        ServiceRef logger = ref.logger();
        const bool has_log = path_exists(logger.dir);
        services.push_back(std::move(ref));
        if (has_log) services.push_back(std::move(logger));
      }
    }
    std::vector<StatusRow> rows;
    rows.reserve(services.size());
    for (auto& ref : services) {
      Snapshot snapshot = read_snapshot(ref.dir, ref.home);
      fill_waiting_for(ref.dir, snapshot);
      if (snapshot.presence != Presence::kSupervised) ++failures;
      rows.push_back({std::move(ref), std::move(snapshot)});
    }
    write_out(inv.json ? status_json(rows, now) : status_table(rows, now));
    return capped(failures);
  }
  std::string out;
  for (const auto& ref : named_services(inv)) out += sv_status_line(ref, now, failures);
  write_out(out);
  if (inv.lsb) {
    // sv's init-script codes: 0 running, 3 down, 4 unknown; not supervised stays 1.
    const ServiceRef first = named_services(inv).front();
    const Snapshot snapshot = read_snapshot(first.dir, first.home);
    switch (snapshot.presence) {
      case Presence::kSupervised: return snapshot.record->pid != 0 ? 0 : kLsbNotRunning;
      case Presence::kNotSupervised:
      case Presence::kNoDir: return 1;
      default: return kLsbUnknown;
    }
  }
  return capped(failures);
}

int run_control(const Invocation& inv) {
  const Action& action = inv.action;
  const bool is_check = action.mode == Mode::kCheck;
  const bool sends = action.mode == Mode::kControl;
  // `check` is a health probe: it answers from one reading unless told to wait.
  const bool waiting = is_check ? inv.verbose : (action.waits || inv.verbose);
  std::vector<ServiceRef> services;
  if (inv.services.empty()) {
    auto listed = list_services(inv.svdir, true);
    if (!listed) {
      (void)write_all(STDERR_FILENO, "svctl: fatal: " + listed.error().message() + "\n");
      return inv.lsb ? 151 : kMaxFailures + 1;
    }
    services = std::move(*listed);
    if (auto main = main_command_of(inv.svdir)) services.push_back(std::move(*main));
  } else {
    services = named_services(inv);
  }

  Loop& loop = Loop::default_loop();
  WaitOptions options;
  options.conditions = action.conditions;
  options.timeout_seconds =
      is_check && !waiting ? std::min(inv.wait_seconds, kProbeCheckSeconds) : inv.wait_seconds;
  options.kill_on_timeout = action.kill_on_timeout;
  options.patient = waiting;
  options.emit = write_out;
  Waiter waiter(loop, options);
  const bool exit_command =
      !action.commands.empty() && action.commands.front() == Command::kExit;

  int failures = 0;
  bool armed_any = false;
  for (const auto& ref : services) {
    const bool arm = waiting || is_check;
    const Snapshot snapshot = arm ? waiter.arm(ref) : read_snapshot(ref.dir, ref.home);
    if (snapshot.presence != Presence::kSupervised) {
      if (exit_command && snapshot.presence == Presence::kNotSupervised) {
        write_out("ok: " + escape_name(ref.name) + ": supervisor not running\n");
      } else {
        write_out("fail: " + escape_name(ref.name) + ": " +
                  describe_problem(ref.dir, snapshot, ref.home) + "\n");
        ++failures;
      }
      continue;
    }
    armed_any = armed_any || arm;
    if (!sends) continue;
    // sv sends nothing when the wish is already recorded: "up" on a service wanted up,
    // "down" on one wanted down unless a TERM is still pending.
    const Command first = action.commands.front();
    const bool wanted_up = snapshot.record->want_up;
    if ((first == Command::kUp && wanted_up) ||
        (first == Command::kDown && !wanted_up && snapshot.record->got_term))
      continue;
    auto sent = send_commands(ref.supervise_home(), action.commands);
    if (!sent) {
      if (arm) waiter.disarm_last();
      if (sent.error().code == ENXIO && exit_command) {
        write_out("ok: " + escape_name(ref.name) + ": supervisor not running\n");
        continue;
      }
      Snapshot failed;
      failed.presence = sent.error().code == ENXIO ? Presence::kNotSupervised
                        : sent.error().code == EACCES ? Presence::kDenied
                                                      : Presence::kError;
      failed.error = sent.error();
      write_out("fail: " + escape_name(ref.name) + ": " +
                describe_problem(ref.dir, failed, ref.home) + "\n");
      ++failures;
    }
  }
  if (armed_any) failures += waiter.run();
  if (inv.lsb) return failures > 0 ? 1 : 0;
  return capped(failures);
}

// SIGHUP is the main command's in main-command mode: a rescan is asked through svscan's
// state directory instead (svscan(8)), in scan mode too.
int run_rescan(const Invocation& inv) {
  const std::string tree = state_dir::live_tree_dir_for(inv.svdir);
  if (tree.empty()) {
    write_out("fail: rescan: no svscan runs on " + escape_name(inv.svdir) + "\n");
    return 1;
  }
  if (auto asked = state_dir::request_rescan(tree); !asked) {
    write_out("fail: rescan: " + escape_name(asked.error().message()) + "\n");
    return 1;
  }
  write_out("ok: rescan: " + escape_name(inv.svdir) + "\n");
  return 0;
}

}  // namespace

std::optional<Action> parse_action(std::string_view verb, bool lsb) {
  if (verb.empty()) return std::nullopt;
  switch (verb.front()) {
    case 'x':
    case 'e': return control({Command::kExit});
    case 'X':
    case 'E': return control({Command::kExit}, true, true);
    case 'D': return control({Command::kDown}, true, true);
    case 'T': return control({Command::kTerm, Command::kCont}, true, true);
    case 's':
      if (verb == "shutdown") return control({Command::kExit}, true);
      if (verb == "start") return control({Command::kUp}, true);
      if (verb == "stop") return control({Command::kDown}, true);
      if (lsb && verb != "status") return std::nullopt;
      {
        Action action;
        action.mode = Mode::kStatus;
        return action;
      }
    case 'r':
      if (verb == "restart") return control({Command::kTerm, Command::kCont, Command::kUp}, true);
      if (verb == "rescan") {
        Action action;
        action.mode = Mode::kRescan;
        return action;
      }
      if (verb == "reload") return control({Command::kHup}, true);
      return std::nullopt;
    case 'f':
      if (verb == "force-reload") return control({Command::kTerm, Command::kCont}, true, true);
      if (verb == "force-restart") return control({Command::kTerm, Command::kCont, Command::kUp}, true, true);
      if (verb == "force-shutdown") return control({Command::kExit}, true, true);
      if (verb == "force-stop") return control({Command::kDown}, true, true);
      return std::nullopt;
    case 't':
      if (verb == "try-restart") return control({Command::kTerm, Command::kCont}, true);
      return control({Command::kTerm});
    case 'w':
      if (verb == "wait") {
        Action action;
        action.mode = Mode::kWait;
        action.waits = true;
        return action;  // the condition is the next word (parse_invocation)
      }
      return std::nullopt;
    case 'c':
      if (verb == "check") {
        Action action;
        action.mode = Mode::kCheck;
        action.conditions = "C";
        action.waits = true;
        return action;
      }
      return control({Command::kCont});
    case 'u':
    case 'd':
    case 'o':
    case 'p':
    case 'h':
    case 'a':
    case 'i':
    case 'k':
    case 'q':
    case '1':
    case '2': return control({*parse_control_byte(verb.front())});
    default: return std::nullopt;
  }
}

std::string usage_text(std::string_view program, bool lsb) {
  std::string text(program);
  text += lsb ? " [-w SEC] COMMAND" : " [-v] [-w SEC] COMMAND [SERVICE...]";
  return text;
}

std::string help_text(std::string_view program) {
  return "usage: " + usage_text(program, false) +
         "\n"
         "  status [--json] [SERVICE...]  sv's status lines; no SERVICE: every service\n"
         "  up down once exit             keep up, keep down, start once, stop and exit\n"
         "  pause cont hup alarm interrupt quit 1 2 term kill    send a signal\n"
         "  start stop restart reload shutdown try-restart       and wait (7 s)\n"
         "  force-stop force-reload force-restart force-shutdown and KILL on timeout\n"
         "  check [SERVICE...]            health probe: in the wanted state, ready, ./check\n"
         "  rescan                        ask the svscan running on SVDIR to rescan now\n"
         "  wait [-w SEC] up|ready|done|down SERVICE...  wait for a state; send nothing\n"
         "  log SERVICE [-f] [-n N] [--stderr]  last N lines (10) in local time; -f follows\n"
         "  -v: wait for any command   -w SEC: wait up to SEC seconds\n"
         "  SVDIR (default: the tree a running svscan recorded, else /etc/service),\n"
         "  SVWAIT (default 7). .main names svscan's main command. See svctl(8).\n";
}

std::optional<Invocation> parse_invocation(const std::vector<std::string>& argv,
                                           const char* svdir_env, const char* svwait_env,
                                           std::string& error) {
  Invocation inv;
  std::string program = argv.empty() ? "svctl" : argv.front();
  if (const size_t slash = program.rfind('/'); slash != std::string::npos)
    program = program.substr(slash + 1);
  inv.lsb = program != "svctl" && program != "sv";
  if (svdir_env != nullptr && *svdir_env != '\0') inv.svdir = svdir_env;
  if (svwait_env != nullptr) {
    if (auto seconds = parse_seconds(svwait_env)) inv.wait_seconds = *seconds;
  }
  size_t at = 1;
  for (; at < argv.size(); ++at) {
    const std::string& arg = argv[at];
    if (arg == "--") {
      ++at;
      break;
    }
    if (arg == "--json") {
      inv.json = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') break;
    for (size_t i = 1; i < arg.size(); ++i) {
      const char option = arg[i];
      if (option == 'v') {
        inv.verbose = true;
      } else if (option == 'w') {
        std::string value = arg.substr(i + 1);
        if (value.empty()) {
          if (++at >= argv.size()) {
            error = "option -w needs a number of seconds";
            return std::nullopt;
          }
          value = argv[at];
        }
        auto seconds = parse_seconds(value);
        if (!seconds) {
          error = "-w " + value + ": not a number of seconds (write e.g. -w 10)";
          return std::nullopt;
        }
        inv.wait_seconds = *seconds;
        inv.verbose = true;
        inv.explicit_wait = true;
        break;
      } else {
        error = std::string("unknown option -") + option;
        return std::nullopt;
      }
    }
  }
  if (at >= argv.size()) {
    error = "no command given";
    return std::nullopt;
  }
  inv.verb = argv[at++];
  auto action = parse_action(inv.verb, inv.lsb);
  if (!action) {
    error = "unknown command " + inv.verb;
    return std::nullopt;
  }
  inv.action = *action;
  if (inv.action.mode == Mode::kWait && !parse_wait_words(argv, at, inv, error))
    return std::nullopt;
  if (inv.lsb) {
    inv.services = {program};
    return inv;
  }
  for (; at < argv.size(); ++at) {
    if (argv[at] == "--json" && inv.action.mode == Mode::kStatus) {
      inv.json = true;
      continue;
    }
    inv.services.push_back(argv[at]);
  }
  if (inv.json && inv.action.mode != Mode::kStatus) {
    error = "--json goes with status only";
    return std::nullopt;
  }
  if (inv.services.empty() &&
      (inv.action.mode == Mode::kControl || inv.action.mode == Mode::kWait)) {
    error = "which service? name at least one (only status and check mean every service)";
    return std::nullopt;
  }
  for (const auto& name : inv.services) {
    if (name.empty()) {
      error = "empty service name";
      return std::nullopt;
    }
  }
  return inv;
}

int run_invocation(const Invocation& invocation) {
  if (invocation.action.mode == Mode::kStatus) return run_status(invocation);
  if (invocation.action.mode == Mode::kRescan) return run_rescan(invocation);
  return run_control(invocation);
}

}  // namespace svtree::svctl
