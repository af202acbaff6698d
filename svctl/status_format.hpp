// SPDX-License-Identifier: MIT
// Every way svctl prints a service: sv's exact status line, the aligned SVDIR table and JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "service.hpp"

namespace svtree::svctl {

/// sv's status fragment for a supervised service, without newline:
/// "run: NAME: (pid N) Ss, normally down, paused, want down, got TERM". Seconds count from
/// the record's stamp to now_unix (0 if the stamp is in the future), as sv computes them.
std::string sv_status_fragment(const std::string& name, const Snapshot& snapshot,
                               int64_t now_unix);

/// What `sv status NAME` prints for one service, newline included: the service's fragment,
/// then "; " and the logger's (named "log") when DIR/log exists. A service that is not
/// supervised gives "fail: NAME: PROBLEM". failures is incremented as sv counts them.
std::string sv_status_line(const ServiceRef& service, int64_t now_unix, int& failures);

/// What svtree's supervise records beyond sv's line, for `svctl status NAME` only (the
/// waiting verbs print sv's exact fragment): for a service down in phase backoff, failed
/// or done, that phase, then ", last exit 3" or ", last signal SEGV (core)"; for a run
/// that follows failed starts, the last exit. Empty otherwise (a service stopped or
/// running as asked) and under runsv, so sv's bytes stay identical there.
std::string svtree_status_notes(const Snapshot& snapshot);

/// One row of the table and of the JSON: a service or a logger.
struct StatusRow {
  ServiceRef service;
  Snapshot snapshot;
};

/// The aligned table of `svctl status` without arguments: SERVICE STATE PID TIME READY
/// RESTARTS LAST-EXIT NOTES, one row per service and logger. STATE is sv's word (run, down,
/// finish), or the phase when it says why a service is down (backoff, failed, done).
std::string status_table(const std::vector<StatusRow>& rows, int64_t now_unix);

/// `svctl status --json`: a JSON array, one object per service (its logger nested as "log").
/// rows must list each logger right after its service, as list_services does.
std::string status_json(const std::vector<StatusRow>& rows, int64_t now_unix);

/// "exit 3", "signal TERM" (", core dumped"), or "" when the record does not say.
std::string describe_last_exit(const Snapshot& snapshot);

/// 5s, 3m07s, 2h05m, 4d03h: compact elapsed time for the table.
std::string human_duration(int64_t seconds);

/// Seconds between the record's stamp and now_unix, never negative.
int64_t seconds_since(const StatusRecord& record, int64_t now_unix);

}  // namespace svtree::svctl
