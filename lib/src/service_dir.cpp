// SPDX-License-Identifier: MIT
// Service directory paths and knob files.
#include "svtree/service_dir.hpp"

#include <dirent.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>

#include "svtree/io.hpp"
#include "svtree/signal_name.hpp"

namespace svtree {

std::string ServicePaths::file(std::string_view name) const {
  std::string path = dir_;
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

std::string ServicePaths::control_script(char letter) const {
  std::string name = "control/";
  name += letter;
  return file(name);
}

ServicePaths ServicePaths::with_entries() const {
  ServicePaths listed = *this;
  DIR* dir = ::opendir(dir_.empty() ? "." : dir_.c_str());
  if (dir == nullptr) return listed;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  listed.entries_ = std::move(names);
  return listed;
}

bool ServicePaths::may_exist(std::string_view name) const {
  if (!entries_ || name.find('/') != std::string_view::npos) return true;
  return std::binary_search(entries_->begin(), entries_->end(), name);
}

std::string ServicePaths::shown(std::string_view name) const {
  std::string path = shown_;
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

std::optional<uint32_t> parse_milliseconds(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                         text[end - 1] == '\r'))
    --end;
  if (begin == end) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = begin; i < end; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > UINT32_MAX) return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

namespace {

/// The file's text, or nullopt when it does not exist (other errors are reported).
std::optional<std::string> read_knob(const ServicePaths& paths, std::string_view name,
                                     std::vector<std::string>& warnings) {
  if (!paths.may_exist(name)) return std::nullopt;
  auto text = read_small_file(paths.file(name), 256);
  if (text) return std::move(*text);
  if (text.error().code == EINVAL)
    warnings.push_back("ignoring " + paths.shown(name) + ": not a regular file; replace it with one");
  else if (text.error().code != ENOENT)
    warnings.push_back(SysError{text.error().code, "read " + paths.shown(name)}.message());
  return std::nullopt;
}

void load_ms(const ServicePaths& paths, std::string_view name, uint32_t& out,
             std::vector<std::string>& warnings) {
  const std::string path = paths.shown(name);
  const auto text = read_knob(paths, name, warnings);
  if (!text) return;
  if (const auto value = parse_milliseconds(*text)) {
    out = *value;
    return;
  }
  warnings.push_back("ignoring " + path +
                     ": not a number of milliseconds; write one, e.g. echo 3000 > " + path);
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// min-uptime, max-restarts, restart, success-codes (issue 13): each bad file keeps its
// default with one warning saying what to write.
void load_restart_policy(const ServicePaths& paths, ServiceKnobs& knobs,
                         std::vector<std::string>& warnings) {
  load_ms(paths, "min-uptime", knobs.min_uptime_ms, warnings);

  const std::string max_path = paths.shown("max-restarts");
  if (const auto text = read_knob(paths, "max-restarts", warnings)) {
    if (const auto count = parse_milliseconds(*text)) {  // same grammar: a decimal count
      knobs.max_restarts = *count;
    } else {
      warnings.push_back("ignoring " + max_path +
                         ": not a count of restarts; write one, e.g. echo 3 > " + max_path +
                         ", or remove it to never give up");
    }
  }

  const std::string restart_path = paths.shown("restart");
  if (const auto text = read_knob(paths, "restart", warnings)) {
    if (const auto policy = parse_restart_policy(*text)) {
      knobs.restart = *policy;
    } else {
      warnings.push_back("ignoring " + restart_path +
                         ": want always, on-failure or never, e.g. echo on-failure > " +
                         restart_path);
    }
  }

  const std::string codes_path = paths.shown("success-codes");
  if (const auto text = read_knob(paths, "success-codes", warnings)) {
    if (auto codes = parse_success_codes(*text)) {
      knobs.success_codes = std::move(*codes);
    } else {
      warnings.push_back("ignoring " + codes_path +
                         ": want exit codes from 0 to 255 separated by spaces, e.g. echo 0 2 > " +
                         codes_path);
    }
  }
}

/// check-interval, check-timeout, check-retries, check-tcp, check-http: which check
/// supervise runs, and how often.
void load_check_knobs(const ServicePaths& paths, ServiceKnobs& knobs,
                      std::vector<std::string>& warnings) {
  const std::string tcp_path = paths.shown("check-tcp");
  if (const auto text = read_knob(paths, "check-tcp", warnings)) {
    if ((knobs.check_tcp = parse_tcp_target(*text)))
      knobs.check = ServiceKnobs::CheckKind::kTcp;
    else
      warnings.push_back("ignoring " + tcp_path +
                         ": not HOST:PORT with a numeric HOST or localhost; write e.g. "
                         "echo 127.0.0.1:8080 > " + tcp_path);
  }
  const std::string http_path = paths.shown("check-http");
  if (const auto text = read_knob(paths, "check-http", warnings)) {
    if ((knobs.check_http = parse_http_target(*text)))
      knobs.check = ServiceKnobs::CheckKind::kHttp;
    else
      warnings.push_back("ignoring " + http_path +
                         ": not http://HOST:PORT/PATH with a numeric HOST or localhost; write "
                         "e.g. echo http://127.0.0.1:8080/health > " + http_path);
  }
  const std::string interval_path = paths.shown("check-interval");
  const auto interval = read_knob(paths, "check-interval", warnings);
  if (interval) {
    const auto value = parse_milliseconds(*interval);
    if (value && *value > 0) {
      knobs.check_interval_ms = *value;
      // runit's ./check, run by supervise only when asked to (check-interval).
      if (knobs.check == ServiceKnobs::CheckKind::kNone && is_executable_file(paths.check()))
        knobs.check = ServiceKnobs::CheckKind::kScript;
      if (knobs.check == ServiceKnobs::CheckKind::kNone)
        warnings.push_back("ignoring " + interval_path + ": " + paths.shown("check") +
                           " is not an executable file and there is no check-tcp or "
                           "check-http; make it executable, or write e.g. echo 127.0.0.1:8080 > " +
                           paths.shown("check-tcp"));
    } else {
      warnings.push_back("ignoring " + interval_path +
                         ": not a number of milliseconds above 0; write one, e.g. echo 5000 > " +
                         interval_path);
    }
  }
  const std::string timeout_path = paths.shown("check-timeout");
  if (const auto text = read_knob(paths, "check-timeout", warnings)) {
    const auto value = parse_milliseconds(*text);
    if (value && *value > 0)
      knobs.check_timeout_ms = *value;
    else
      warnings.push_back("ignoring " + timeout_path +
                         ": not a number of milliseconds above 0 (a hung check must end); "
                         "write one, e.g. echo 2000 > " + timeout_path);
  }
  const std::string retries_path = paths.shown("check-retries");
  if (const auto text = read_knob(paths, "check-retries", warnings)) {
    if (const auto value = parse_count(*text))
      knobs.check_retries = *value;
    else
      warnings.push_back("ignoring " + retries_path +
                         ": not a count of failures from 1 up; write one, e.g. echo 3 > " +
                         retries_path);
  }
}

/// `type`: longrun (the default) or oneshot (issue 14).
void load_type(const ServicePaths& paths, ServiceKnobs& knobs, std::vector<std::string>& warnings) {
  const auto text = read_knob(paths, "type", warnings);
  if (!text) return;
  const std::string_view word = trim_blanks(*text);
  if (word == "oneshot") {
    knobs.oneshot = true;
  } else if (word != "longrun") {
    const std::string path = paths.shown("type");
    warnings.push_back("ignoring " + path + ": want longrun or oneshot, e.g. echo oneshot > " +
                       path);
  }
}

/// `user` and `limits` (issue 16). A bad limits line is one warning and the others apply;
/// a `user` is kept whatever it says, for supervise to resolve or refuse at each start.
void load_identity_knobs(const ServicePaths& paths, ServiceKnobs& knobs,
                         std::vector<std::string>& warnings) {
  if (auto text = read_small_file(paths.file("user"), 4096)) {
    knobs.user = UserKnob{std::move(*text), std::nullopt};
  } else if (text.error().code != ENOENT) {
    // Unreadable is not absent: starting run as supervise's own user (root) instead of
    // the one named would be the worst reading.
    knobs.user = UserKnob{{}, SysError{text.error().code, "read " + paths.shown("user")}};
  }
  // Longer than other knobs (a line per resource); read_knob's bound is for one value.
  if (auto text = read_small_file(paths.file("limits"), 65536)) {
    knobs.limits = parse_limits(*text, paths.shown("limits"), warnings);
  } else if (text.error().code == EINVAL) {
    warnings.push_back("ignoring " + paths.shown("limits") +
                       ": not a regular file; replace it with one");
  } else if (text.error().code != ENOENT) {
    warnings.push_back(SysError{text.error().code, "read " + paths.shown("limits")}.message() +
                       "; no limit of it applies");
  }
}

}  // namespace

std::optional<ServiceKnobs::StderrMode> parse_stderr_mode(std::string_view text) {
  const std::string_view word = trim_blanks(text);
  if (word == "log") return ServiceKnobs::StderrMode::kLog;
  if (word == "separate") return ServiceKnobs::StderrMode::kSeparate;
  return std::nullopt;
}

ServiceKnobs::StderrMode load_stderr_mode(const ServicePaths& paths,
                                          std::vector<std::string>& warnings) {
  const auto text = read_knob(paths, "stderr", warnings);
  if (!text) return ServiceKnobs::StderrMode::kInherit;
  if (const auto mode = parse_stderr_mode(*text)) return *mode;
  const std::string path = paths.shown("stderr");
  warnings.push_back("ignoring " + path + ": want log or separate, e.g. echo separate > " + path +
                     " (stderr stays inherited meanwhile)");
  return ServiceKnobs::StderrMode::kInherit;
}

ServiceKnobs load_service_knobs(const ServicePaths& given, std::vector<std::string>& warnings) {
  // One listing of DIR, then only the knobs it holds are read (issue #18). A knob made
  // after the listing counts from the next start, as one made after its own read did.
  const ServicePaths paths = given.with_entries();
  ServiceKnobs knobs;
  knobs.down = paths.may_exist("down") && path_exists(paths.file("down"));
  knobs.essential = paths.may_exist("essential") && path_exists(paths.file("essential"));

  const std::string signal_path = paths.shown("down-signal");
  if (const auto text = read_knob(paths, "down-signal", warnings)) {
    if (const auto signo = parse_signal(*text)) {
      knobs.down_signal = *signo;
    } else {
      warnings.push_back("ignoring " + signal_path +
                         ": not a signal name or number; write e.g. echo INT > " + signal_path);
    }
  }

  const std::string fd_path = paths.shown("notification-fd");
  if (const auto text = read_knob(paths, "notification-fd", warnings)) {
    const auto fd = parse_milliseconds(*text);  // same grammar: a small decimal number
    if (fd && *fd >= 3 && *fd < 1024) {
      knobs.notification_fd = static_cast<int>(*fd);
    } else {
      warnings.push_back("ignoring " + fd_path +
                         ": want a descriptor number from 3 to 1023, e.g. echo 3 > " + fd_path);
    }
  }

  load_ms(paths, "timeout-kill", knobs.timeout_kill_ms, warnings);
  load_ms(paths, "timeout-finish", knobs.timeout_finish_ms, warnings);
  load_ms(paths, "restart-delay", knobs.restart_delay_ms, warnings);
  load_ms(paths, "restart-delay-max", knobs.restart_delay_max_ms, warnings);
  if (knobs.restart_delay_max_ms < knobs.restart_delay_ms)
    knobs.restart_delay_max_ms = knobs.restart_delay_ms;
  load_restart_policy(paths, knobs, warnings);
  load_check_knobs(paths, knobs, warnings);
  load_type(paths, knobs, warnings);
  load_identity_knobs(paths, knobs, warnings);
  knobs.stderr_mode = load_stderr_mode(paths, warnings);
  return knobs;
}

std::vector<std::string> load_dependencies(const ServicePaths& paths,
                                           std::vector<std::string>& warnings) {
  std::vector<std::string> names;
  const std::string dir = paths.file("depends");
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) {
    if (errno != ENOENT && errno != ENOTDIR)
      warnings.push_back(SysError{errno, "list " + paths.shown("depends")}.message());
    return names;
  }
  while (const dirent* entry = ::readdir(listing)) {
    // Hidden entries are editors' and tools' leftovers, never service names.
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

RestartPolicy effective_restart(const ServiceKnobs& knobs) {
  // DESIGN.md §2: on-failure is a oneshot's default (issue 14).
  return knobs.restart.value_or(knobs.oneshot ? RestartPolicy::kOnFailure : RestartPolicy::kAlways);
}

bool is_success_exit(const ServiceKnobs& knobs, int wait_status) {
  if (!WIFEXITED(wait_status)) return false;
  const int code = WEXITSTATUS(wait_status);
  return std::find(knobs.success_codes.begin(), knobs.success_codes.end(), code) !=
         knobs.success_codes.end();
}

bool restarts_after(const ServiceKnobs& knobs, int wait_status) {
  switch (effective_restart(knobs)) {
    case RestartPolicy::kAlways: return true;
    case RestartPolicy::kOnFailure: return !is_success_exit(knobs, wait_status);
    case RestartPolicy::kNever: return false;
  }
  return true;
}

const char* restart_policy_name(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
    case RestartPolicy::kNever: return "never";
  }
  return "always";
}

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
  const std::string_view word = trim_blanks(text);
  for (const RestartPolicy policy :
       {RestartPolicy::kAlways, RestartPolicy::kOnFailure, RestartPolicy::kNever})
    if (word == restart_policy_name(policy)) return policy;
  return std::nullopt;
}

std::optional<std::vector<int>> parse_success_codes(std::string_view text) {
  std::vector<int> codes;
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && is_blank(text[at])) ++at;
    if (at == text.size()) break;
    size_t end = at;
    while (end < text.size() && !is_blank(text[end])) ++end;
    const auto code = parse_milliseconds(text.substr(at, end - at));  // a decimal number
    if (!code || *code > 255) return std::nullopt;
    if (std::find(codes.begin(), codes.end(), static_cast<int>(*code)) == codes.end())
      codes.push_back(static_cast<int>(*code));
    at = end;
  }
  if (codes.empty()) return std::nullopt;
  return codes;
}

}  // namespace svtree
