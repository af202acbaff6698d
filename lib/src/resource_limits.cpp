// SPDX-License-Identifier: MIT
// The `limits` knob's grammar and its plan against the limits held now. Pure (issue 16).
#include "svtree/resource_limits.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace svtree {
namespace {

struct ResourceName {
  const char* name;
  int resource;
};

// prlimit(1)'s names for every limit Linux has.
constexpr std::array<ResourceName, 16> kResources{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && is_blank(line[at])) ++at;
    if (at == line.size()) break;
    size_t end = at;
    while (end < line.size() && !is_blank(line[end])) ++end;
    out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

/// A decimal number below RLIM_INFINITY, or `unlimited`.
std::optional<rlim_t> parse_value(std::string_view text) {
  if (text == "unlimited") return RLIM_INFINITY;
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= RLIM_INFINITY) return std::nullopt;
  return static_cast<rlim_t>(value);
}

std::string shown_value(rlim_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
}

std::string where(const std::string& shown, size_t line) {
  return "line " + std::to_string(line) + " of " + shown;
}

}  // namespace

std::optional<int> parse_resource_name(std::string_view name) {
  for (const ResourceName& entry : kResources)
    if (name == entry.name) return entry.resource;
  return std::nullopt;
}

std::vector<LimitSetting> parse_limits(std::string_view text, const std::string& shown,
                                       std::vector<std::string>& warnings) {
  std::vector<LimitSetting> settings;
  size_t number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    const auto fields = words(line);
    if (fields.empty() || fields[0].front() == '#') continue;
    const std::string ignoring = "ignoring " + where(shown, number) + ": ";
    const auto resource = parse_resource_name(fields[0]);
    if (!resource) {
      warnings.push_back(ignoring + "unknown resource " + std::string(fields[0]) +
                         "; use as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
                         "nofile, nproc, rss, rtprio, rttime, sigpending or stack");
      continue;
    }
    if (fields.size() < 2 || fields.size() > 3) {
      warnings.push_back(ignoring + "want RESOURCE SOFT [HARD], e.g. nofile 1024 4096");
      continue;
    }
    LimitSetting setting{*resource, std::string(fields[0]), 0, std::nullopt, number};
    const auto soft = parse_value(fields[1]);
    const auto hard = fields.size() == 3 ? parse_value(fields[2]) : std::optional<rlim_t>(0);
    if (!soft || !hard) {
      warnings.push_back(ignoring + "a limit is a number or unlimited, e.g. " + setting.name +
                         " 1024 4096");
      continue;
    }
    setting.soft = *soft;
    if (fields.size() == 3) setting.hard = *hard;
    if (setting.hard && setting.soft > *setting.hard) {
      warnings.push_back(ignoring + "the soft limit " + shown_value(setting.soft) +
                         " is above the hard limit " + shown_value(*setting.hard) +
                         "; lower it, or raise the hard one");
      continue;
    }
    const auto same = [&](const LimitSetting& other) { return other.resource == *resource; };
    if (std::any_of(settings.begin(), settings.end(), same)) {
      warnings.push_back(ignoring + setting.name + " is set on an earlier line already; "
                         "keep one line per resource");
      continue;
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

std::optional<struct rlimit> plan_limit(const LimitSetting& setting, const struct rlimit& current,
                                        bool may_raise_hard, const std::string& shown,
                                        std::vector<std::string>& warnings) {
  struct rlimit planned {};
  planned.rlim_cur = setting.soft;
  planned.rlim_max = setting.hard.value_or(current.rlim_max);
  const std::string ignoring = "ignoring " + where(shown, setting.line) + ": ";
  if (planned.rlim_max > current.rlim_max && !may_raise_hard) {
    // setrlimit(2): raising a hard limit takes CAP_SYS_RESOURCE. Refused here, with the
    // line named, rather than as a start of run that fails in the child.
    warnings.push_back(ignoring + "the hard " + setting.name + " limit is " +
                       shown_value(current.rlim_max) + " and only a privileged supervise may "
                       "raise it; write at most " + shown_value(current.rlim_max));
    return std::nullopt;
  }
  if (planned.rlim_cur > planned.rlim_max) {
    warnings.push_back(ignoring + "the soft limit " + shown_value(planned.rlim_cur) +
                       " is above the hard " + setting.name + " limit " +
                       shown_value(planned.rlim_max) + "; lower it, or give a hard limit too");
    return std::nullopt;
  }
  return planned;
}

}  // namespace svtree
