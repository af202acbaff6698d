// SPDX-License-Identifier: MIT
// Service directories as svctl sees them: sv's name resolution, SVDIR listing, and one
// consistent reading of supervise/ (is it supervised? the status record, normally up/down).
#pragma once

#include <optional>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "svtree/result.hpp"
#include "svtree/status_record.hpp"
#include "svtree/supervise_protocol.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svctl {

/// One service as named on the command line (name, printed as given, like sv) and the
/// directory it resolves to.
struct ServiceRef {
  ServiceRef() = default;
  ServiceRef(std::string name_as_given, std::string directory, std::string supervise_home_dir = {},
             std::string logger_home = {})
      : name(std::move(name_as_given)),
        dir(std::move(directory)),
        home(std::move(supervise_home_dir)),
        log_home(std::move(logger_home)) {}
  std::string name;
  std::string dir;
  /// Where its supervise/ is (lib supervise_location, issue 16): svscan's state directory
  /// for an instance or a read-only service; empty: dir, runit's place.
  std::string home;
  /// The same for its logger, NAME/log; empty: dir/log.
  std::string log_home;
  /// An instance's name (issue 16), given to ./check as SVTREE_INSTANCE; else empty.
  std::string instance;
  [[nodiscard]] const std::string& supervise_home() const { return home.empty() ? dir : home; }
  /// NAME/log as a ServiceRef of its own.
  [[nodiscard]] ServiceRef logger() const;
};

/// The ServiceRef of name in svdir: resolve_service_dir, and for a name listed in svdir
/// (no path) where supervise/ is in the tree whose state directory is tree_dir (empty: no
/// live svscan; state_dir::live_tree_dir_for gives it).
ServiceRef make_service_ref(const std::string& name, const std::string& svdir,
                            const std::string& tree_dir);

/// sv's rule (sv(8)): a name that starts with '.' or '/' or ends with '/' is a path used as
/// is; any other name is looked up in svdir.
std::string resolve_service_dir(const std::string& name, const std::string& svdir);

/// The main command of the svscan running on svdir (`svscan DIR -- CMD`), shown as ".main"
/// (a name no service can take: svscan skips dot names); nullopt when there is none.
std::optional<ServiceRef> main_command_of(const std::string& svdir);

/// The services of svdir for "every service" commands: directories (symlinks followed) whose
/// names do not start with '.', as runsvdir and svscan skip those, sorted by name. Each is
/// followed by NAME/log when that is a directory. As svscan does (issue 16): templates
/// (`worker@`) are left out, each instance (`worker@1`) is a service, and a second name for
/// a directory already listed is left out (svscan supervises it once).
Result<std::vector<ServiceRef>> list_services(const std::string& svdir, bool with_loggers);

/// What svctl can tell about a service directory.
enum class Presence {
  kSupervised,     // a supervisor holds supervise/ok; record is set
  kNotSupervised,  // supervise/ok exists, nobody reads it (ENXIO)
  kNeverStarted,   // no supervise/ok: no supervisor ever ran here
  kNoDir,          // the service directory does not exist
  kNotDir,         // it is not a directory
  kDenied,         // EACCES somewhere (supervise/ is 0700, as runit makes it)
  kError,          // anything else, or a status file that cannot be decoded
};

/// One reading of a service: the facts every command and every output format start from.
struct Snapshot {
  Presence presence = Presence::kError;
  SysError error;                      // what failed, when presence is not kSupervised
  std::optional<StatusRecord> record;  // set when kSupervised
  bool normally_up = true;             // no `down` file
  /// Held for depends/ (issue 14): the dependencies not ready or done yet. Filled only by
  /// fill_waiting_for (status), not by every reading.
  std::vector<std::string> waiting_for;
  // Filled for `check` only (read_probe_snapshot): what its verdict needs beyond the record.
  uint32_t min_uptime_ms = 1000;       // the service's `min-uptime` knob
  Tai64n taken;                        // when it was read; zero: not a probe reading
};

/// A service wanted up with nothing running is held when some entry of DIR/depends/ is not
/// ready (longrun) or done (oneshot): names them in snapshot.waiting_for, read from the
/// siblings' records.
void fill_waiting_for(const std::string& dir, Snapshot& snapshot);

/// Reads dir: probes supervise/ok (open O_WRONLY|O_NONBLOCK, as sv does), reads
/// supervise/status, and stats `down`. Never blocks, never fails: errors land in presence.
/// home: the directory holding supervise/ when not dir (ServiceRef::home).
Snapshot read_snapshot(const std::string& dir, const std::string& home = {});

/// read_snapshot, plus what `svctl check` judges: the `min-uptime` knob and the time of
/// the reading (issue 13: a service up less than min-uptime is not healthy yet).
Snapshot read_probe_snapshot(const std::string& dir, const std::string& home = {});

/// Reads supervise/status alone (after a change notification).
Snapshot read_status_only(const std::string& dir, bool normally_up);

/// One line naming the problem for a snapshot that is not kSupervised, without the
/// "fail: NAME: " prefix: "not supervised: no supervisor is running on /srv/web".
std::string describe_problem(const std::string& dir, const Snapshot& snapshot,
                             const std::string& home = {});

}  // namespace svtree::svctl
