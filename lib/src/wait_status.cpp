// SPDX-License-Identifier: MIT
// Wait-status text and /proc/PID/stat parsing. Pure.
#include "svtree/wait_status.hpp"

#include <sys/wait.h>

namespace svtree {

ExitDescription describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    return {code, 0, code};
  }
  if (WIFSIGNALED(wait_status)) {
    const int signo = WTERMSIG(wait_status);
    return {-1, wait_status & 0xff, 128 + signo};
  }
  return {-1, 0, 128};
}

std::optional<uint64_t> parse_proc_stat_start_time(std::string_view stat) {
  // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses, so fields are counted
  // after the last ')'. STATE is field 3, starttime field 22.
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  int field = 2;
  uint64_t value = 0;
  bool in_field = false;
  bool have_digits = false;
  for (size_t i = 0; i <= rest.size(); ++i) {
    const char c = i < rest.size() ? rest[i] : ' ';
    if (c == ' ' || c == '\n') {
      if (in_field && field == 22) return have_digits ? std::optional<uint64_t>(value) : std::nullopt;
      in_field = false;
      continue;
    }
    if (!in_field) {
      in_field = true;
      ++field;
      if (field == 3 && (c == 'Z' || c == 'X')) return std::nullopt;
    }
    if (field == 22) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint64_t>(c - '0');
      have_digits = true;
    }
  }
  return std::nullopt;
}

std::optional<pid_t> parse_proc_stat_session(std::string_view stat) {
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  // After ')': STATE PPID PGRP SESSION, fields 3 to 6.
  std::string_view fields[4];
  for (std::string_view& out : fields) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const size_t end = rest.find(' ');
    if (end == std::string_view::npos) return std::nullopt;
    out = rest.substr(0, end);
    rest.remove_prefix(end);
  }
  if (fields[0] == "Z" || fields[0] == "X") return std::nullopt;
  pid_t session = 0;
  if (fields[3].empty()) return std::nullopt;
  for (const char c : fields[3]) {
    if (c < '0' || c > '9') return std::nullopt;
    session = session * 10 + (c - '0');
  }
  return session;
}

}  // namespace svtree
