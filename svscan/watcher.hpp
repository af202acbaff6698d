// SPDX-License-Identifier: MIT
// Watcher: notices changes of the scan directory and of each service's log/ at once,
// through inotify (no polling), and reads the directory listing.
#pragma once

#include <dirent.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scan_diff.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/inotify.hpp"
#include "svtree/result.hpp"

namespace svtree::svscan {

/// A symlink of the scan directory whose target does not exist (yet): runit's idiom
/// `ln -s /etc/sv/web /etc/service/web` may come before /etc/sv/web is made.
struct DanglingEntry {
  std::string name;
  std::string target;  // the link's text; a relative one is relative to the scan directory
};

/// Reads the scan directory once (one readdir pass, a stat per entry and per entry/log):
/// subdirectories and symlinks to directories, dot names skipped, in directory order.
/// Symlinks whose target does not exist go to `dangling` when it is given.
/// `scan_dir` is reused across calls (rewound), and must be the current directory when
/// `dangling` is given (relative targets are left relative).
Result<void> read_listing(DIR* scan_dir, std::vector<ScanEntry>& listing,
                          std::vector<DanglingEntry>* dangling = nullptr);

/// The directories holding each symbolic link met while resolving `path` (absolute),
/// component by component, links to links included (at most 40, as the kernel allows).
/// Watching them sees a link re-pointed, as runit's runsvchdir re-points
/// /etc/runit/runsvdir/current. Empty when path has no link on it.
std::vector<std::string> link_parents(const std::string& path);

/// The directory to watch so that a dangling link's target appearing is an event: the
/// nearest existing ancestor of the target, following a chain of links (at most 8) whose
/// last one dangles. Empty when there is none to watch.
std::string dangling_watch_dir(const std::string& target);

/// Calls on_change once per batch of relevant inotify events: an entry of the scan
/// directory came or went, a `log` came or went in a watched service directory, or the
/// kernel's queue overflowed. The owner rescans; events carry no state of their own.
class Watcher {
 public:
  using Callback = std::function<void()>;
  Watcher(Loop& loop, Callback on_change);
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  /// Watches the scan directory. False (with a warning) when inotify is not available:
  /// then only the fallback rescan timer and SIGHUP notice changes.
  bool watch_scan_dir(const std::string& path);
  /// Moves the scan directory's watch to `path` (the scan path now leads elsewhere).
  bool rewatch_scan_dir(const std::string& path);
  /// Watches a service directory for log/; -1 when it cannot (the watcher is then
  /// incomplete and the owner keeps a fallback rescan timer). The kernel gives one watch
  /// descriptor per inode, so two callers watching one directory (a service re-enabled
  /// while its old supervise still stops) share it: each call must be paired with one
  /// unwatch, and the watch goes only with the last (issue 12, item 6).
  int watch_service(const std::string& dir);
  void unwatch(int watch);
  /// Watches exactly these directories for entries appearing, on behalf of dangling
  /// links (any name counts), and drops the watches no longer listed: with nothing
  /// dangling, nothing is watched for it. Returns true when a watch was added, so the
  /// owner looks once more (a target made between its listing and the watch is seen).
  /// A directory that cannot be watched makes the watcher incomplete while it is listed.
  bool watch_targets(const std::vector<std::string>& dirs);
  /// True when every wanted watch is in place.
  [[nodiscard]] bool complete() const {
    return inotify_.has_value() && failures_ == 0 && !target_missing_;
  }

 private:
  void on_readable();
  /// inotify_add_watch with the one mask every watch here uses, counted per descriptor.
  Result<int> acquire(const std::string& path);
  void release(int watch);
  [[nodiscard]] bool is_target_watch(int watch) const;

  Loop& loop_;
  Callback on_change_;
  std::optional<Inotify> inotify_;
  std::unique_ptr<IoWatch> io_;
  int scan_watch_ = -1;
  /// Watch descriptor -> holders, sorted by descriptor: 8 bytes a watch where a hash
  /// map's node took 32 and its bucket 8 (one watch per service, issue 17).
  using Ref = std::pair<int, int>;
  std::vector<Ref> refs_;
  /// The entry of watch in refs_, or where it would go.
  std::vector<Ref>::iterator find_ref(int watch);
  std::map<std::string, int> target_watches_;  // dangling links' watched dirs -> descriptor
  bool target_missing_ = false;
  int failures_ = 0;
  bool warned_ = false;
};

}  // namespace svtree::svscan
