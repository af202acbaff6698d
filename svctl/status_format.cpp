// SPDX-License-Identifier: MIT
// Status output. The sv line is byte-for-byte runit's sv(8) format (order of the flags,
// "normally up" only when down, "want up" only when down, and so on): scripts parse it.
#include "status_format.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "svtree/escape.hpp"
#include "svtree/health_check.hpp"
#include "svtree/json.hpp"
#include "svtree/signal_name.hpp"

namespace svtree::svctl {
namespace {

const char* state_word(RunState state) {
  switch (state) {
    case RunState::kDown: return "down";
    case RunState::kRun: return "run";
    case RunState::kFinish: return "finish";
  }
  return "down";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

const char* json_bool(bool value) { return value ? "true" : "false"; }

// Restarts: every start after the first since this supervisor began.
uint32_t restarts_of(const StatusExtension& ext) {
  return ext.start_count > 0 ? ext.start_count - 1 : 0;
}

// The phases a state byte cannot tell (issue 13): why a service is down.
bool phase_says_more(const StatusRecord& rec) {
  if (!rec.extension || rec.state != RunState::kDown) return false;
  const Phase phase = rec.extension->phase;
  return phase == Phase::kBackoff || phase == Phase::kFailed || phase == Phase::kDone;
}

void append_json_object(std::string& out, const StatusRow& row, const StatusRow* log,
                        int64_t now_unix) {
  const Snapshot& snap = row.snapshot;
  const bool supervised = snap.presence == Presence::kSupervised;
  out += "{\"name\":";
  append_json_string(out, row.service.name);
  out += ",\"dir\":";
  append_json_string(out, row.service.dir);
  out += ",\"supervised\":";
  out += json_bool(supervised);
  if (supervised) {
    const StatusRecord& rec = *snap.record;
    const auto& ext = rec.extension;
    std::array<char, 48> since{};
    std::snprintf(since.data(), since.size(), "%lld.%09u",
                  static_cast<long long>(rec.since.unix_seconds()), rec.since.nanoseconds);
    out += ",\"state\":\"";
    out += state_word(rec.state);
    out += "\",\"pid\":";
    out += rec.pid != 0 ? std::to_string(rec.pid) : "null";
    out += ",\"since\":";
    out += since.data();
    out += ",\"seconds\":" + std::to_string(seconds_since(rec, now_unix));
    out += ",\"want\":\"";
    out += rec.want_up ? "up" : "down";
    out += "\",\"paused\":";
    out += json_bool(rec.paused);
    out += ",\"got_term\":";
    out += json_bool(rec.got_term);
    out += ",\"ready\":";
    out += ext ? json_bool(ext->ready()) : "null";
    out += ",\"health\":";
    out += ext ? std::string("\"") + health_name(static_cast<Health>(ext->health)) + "\"" : "null";
    out += ",\"normally\":\"";
    out += snap.normally_up ? "up" : "down";
    out += "\",\"last_exit\":";
    if (ext && ext->last_wait_status != StatusExtension::kNoWaitStatus) {
      const int status = static_cast<int>(ext->last_wait_status);
      if (WIFSIGNALED(status)) {
        out += "{\"signal\":";
        append_json_string(out, std::string(signal_name(WTERMSIG(status))));
        out += ",\"core\":";
        out += json_bool(WCOREDUMP(status));
        out += "}";
      } else {
        out += "{\"code\":" + std::to_string(WEXITSTATUS(status)) + "}";
      }
    } else {
      out += "null";
    }
    out += ",\"start_count\":";
    out += ext ? std::to_string(ext->start_count) : "null";
    out += ",\"phase\":";
    if (ext)
      append_json_string(out, phase_name(ext->phase));
    else
      out += "null";
    out += ",\"restarts\":";
    out += ext ? std::to_string(restarts_of(*ext)) : "null";
    out += ",\"failed_starts\":";
    out += ext ? std::to_string(ext->failed_starts) : "null";
    // The dependencies a held start waits for (depends/, issue 14); empty when none.
    out += ",\"waiting_for\":[";
    for (size_t i = 0; i < snap.waiting_for.size(); ++i) {
      if (i > 0) out += ",";
      append_json_string(out, snap.waiting_for[i]);
    }
    out += "]";
    out += ",\"error\":null";
  } else {
    out += ",\"state\":null,\"pid\":null,\"since\":null,\"seconds\":null,\"want\":null,"
           "\"paused\":null,\"got_term\":null,\"ready\":null,\"health\":null,\"normally\":null,"
           "\"last_exit\":null,\"start_count\":null,\"phase\":null,\"restarts\":null,"
           "\"failed_starts\":null,\"waiting_for\":null,\"error\":";
    append_json_string(out, describe_problem(row.service.dir, snap, row.service.home));
  }
  if (log != nullptr) {
    out += ",\"log\":";
    append_json_object(out, *log, nullptr, now_unix);
  } else if (row.service.name.size() < 4 ||
             row.service.name.compare(row.service.name.size() - 4, 4, "/log") != 0) {
    out += ",\"log\":null";
  }
  out += '}';
}

}  // namespace

int64_t seconds_since(const StatusRecord& record, int64_t now_unix) {
  const int64_t stamp = record.since.unix_seconds();
  return now_unix < stamp ? 0 : now_unix - stamp;
}

std::string sv_status_fragment(const std::string& name, const Snapshot& snapshot,
                               int64_t now_unix) {
  const StatusRecord& rec = *snapshot.record;
  std::string out = state_word(rec.state);
  out += ": ";
  out += escape_name(name);
  out += ": ";
  // sv prints the pid whenever the state byte is not "down", even a pid of 0.
  if (rec.state != RunState::kDown) out += "(pid " + std::to_string(rec.pid) + ") ";
  out += std::to_string(seconds_since(rec, now_unix));
  out += 's';
  const bool has_pid = rec.pid != 0;
  if (has_pid && !snapshot.normally_up) out += ", normally down";
  if (!has_pid && snapshot.normally_up) out += ", normally up";
  if (has_pid && rec.paused) out += ", paused";
  if (!has_pid && rec.want_up) out += ", want up";
  if (has_pid && !rec.want_up) out += ", want down";
  if (has_pid && rec.got_term) out += ", got TERM";
  // svtree's own note (issue 14), after sv's: a start held for depends/ (a oneshot that
  // is done is said by svtree_status_notes, with the other phases).
  if (!snapshot.waiting_for.empty()) {
    out += ", waiting for";
    for (const std::string& dependency : snapshot.waiting_for) {
      // Two appends, not " " + name: GCC 12 at -O3 reports a bogus -Wrestrict overlap
      // there (bug 105329), and CI builds the release with warnings as errors.
      out += ' ';
      out += escape_name(dependency);
    }
  }
  return out;
}

std::string sv_status_line(const ServiceRef& service, int64_t now_unix, int& failures) {
  Snapshot snap = read_snapshot(service.dir, service.home);
  fill_waiting_for(service.dir, snap);
  if (snap.presence != Presence::kSupervised) {
    ++failures;
    return "fail: " + escape_name(service.name) + ": " +
           describe_problem(service.dir, snap, service.home) + "\n";
  }
  std::string out = sv_status_fragment(service.name, snap, now_unix) + svtree_status_notes(snap);
  const ServiceRef logger = service.logger();
  if (exists(logger.dir)) {
    out += "; ";
    const Snapshot log = read_snapshot(logger.dir, logger.home);
    if (log.presence == Presence::kSupervised) {
      out += sv_status_fragment("log", log, now_unix) + svtree_status_notes(log);
    } else {
      ++failures;
      out += "fail: " + escape_name(logger.name) + ": " +
             describe_problem(logger.dir, log, logger.home);
    }
  }
  out += '\n';
  return out;
}

std::string svtree_status_notes(const Snapshot& snapshot) {
  if (!snapshot.record || !snapshot.record->extension) return {};
  const StatusRecord& rec = *snapshot.record;
  // Only where sv's line hides a crash: a phase that says why the service is down, or a
  // run that follows failed starts. A service stopped or running as asked prints sv's
  // exact bytes (svctl's tests compare them with sv's against our supervise).
  const bool why_down = phase_says_more(rec);
  if (!why_down && !(rec.state == RunState::kRun && rec.extension->failed_starts > 0)) return {};
  std::string out;
  if (why_down) {
    out += ", ";
    out += phase_name(rec.extension->phase);
  }
  if (const std::string last = describe_last_exit(snapshot); !last.empty()) out += ", last " + last;
  return out;
}

std::string describe_last_exit(const Snapshot& snapshot) {
  if (!snapshot.record || !snapshot.record->extension) return {};
  const uint32_t raw = snapshot.record->extension->last_wait_status;
  if (raw == StatusExtension::kNoWaitStatus) return {};
  const int status = static_cast<int>(raw);
  if (WIFSIGNALED(status)) {
    std::string text = "signal " + std::string(signal_name(WTERMSIG(status)));
    if (WCOREDUMP(status)) text += " (core)";
    return text;
  }
  return "exit " + std::to_string(WEXITSTATUS(status));
}

std::string human_duration(int64_t seconds) {
  std::array<char, 32> text{};
  const auto s = static_cast<long long>(seconds);
  if (s < 60) {
    std::snprintf(text.data(), text.size(), "%llds", s);
  } else if (s < 3600) {
    std::snprintf(text.data(), text.size(), "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(text.data(), text.size(), "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(text.data(), text.size(), "%lldd%02lldh", s / 86400, (s % 86400) / 3600);
  }
  return text.data();
}

std::string status_table(const std::vector<StatusRow>& rows, int64_t now_unix) {
  constexpr size_t kColumns = 8;
  using Cells = std::array<std::string, kColumns>;
  std::vector<Cells> table;
  table.reserve(rows.size() + 1);
  table.push_back(
      {"SERVICE", "STATE", "PID", "TIME", "READY", "RESTARTS", "LAST-EXIT", "NOTES"});
  for (const auto& row : rows) {
    const Snapshot& snap = row.snapshot;
    Cells cells;
    cells[0] = escape_name(row.service.name);
    if (snap.presence != Presence::kSupervised) {
      cells[1] = "?";
      cells[2] = cells[3] = cells[4] = cells[5] = cells[6] = "-";
      cells[7] = describe_problem(row.service.dir, snap, row.service.home);
      table.push_back(std::move(cells));
      continue;
    }
    const StatusRecord& rec = *snap.record;
    cells[1] = phase_says_more(rec) ? phase_name(rec.extension->phase) : state_word(rec.state);
    cells[2] = rec.pid != 0 ? std::to_string(rec.pid) : "-";
    cells[3] = human_duration(seconds_since(rec, now_unix));
    if (!rec.extension || rec.state != RunState::kRun) {
      cells[4] = "-";
    } else {
      cells[4] = rec.extension->ready() ? "yes" : "no";
      // The check supervise runs has failed lately: READY says so rather than yes.
      if (static_cast<Health>(rec.extension->health) == Health::kFailing) cells[4] = "failing";
    }
    cells[5] = rec.extension ? std::to_string(restarts_of(*rec.extension)) : "-";
    cells[6] = describe_last_exit(snap);
    if (cells[6].empty()) cells[6] = "-";
    // The notes are sv's flags, in sv's order and on sv's conditions.
    const std::string fragment = sv_status_fragment("", snap, now_unix);
    const size_t comma = fragment.find(", ");
    cells[7] = comma == std::string::npos ? "" : fragment.substr(comma + 2);
    table.push_back(std::move(cells));
  }
  std::array<size_t, kColumns> width{};
  for (const auto& cells : table)
    for (size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], cells[i].size());
  std::string out;
  out.reserve(table.size() * 64);
  for (const auto& cells : table) {
    std::string line;
    for (size_t i = 0; i < kColumns; ++i) {
      line += cells[i];
      if (i + 1 < kColumns) line.append(width[i] - cells[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string status_json(const std::vector<StatusRow>& rows, int64_t now_unix) {
  std::string out = "[";
  bool first = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    const StatusRow* log = nullptr;
    const std::string log_name = rows[i].service.name + "/log";
    if (i + 1 < rows.size() && rows[i + 1].service.name == log_name) log = &rows[i + 1];
    out += first ? "\n" : ",\n";
    first = false;
    append_json_object(out, rows[i], log, now_unix);
    if (log != nullptr) ++i;
  }
  out += first ? "]\n" : "\n]\n";
  return out;
}

}  // namespace svtree::svctl
