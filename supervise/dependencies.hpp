// SPDX-License-Identifier: MIT
// Dependencies: DIR/depends/'s sibling services, read through the protocol module and
// watched with dnotify while a start is held for them (issue 14).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "svtree/dir_notify.hpp"

namespace svtree::supervise {

/// The dependency cycle self is on, self first, each member once, in depends/ order; empty
/// when there is none. deps_of(NAME) lists NAME/depends/. Pure: the tests give a graph.
std::vector<std::string> find_dependency_cycle(
    const std::string& self,
    const std::function<std::vector<std::string>(const std::string&)>& deps_of);

/// The dependencies of the service in the current directory (supervise's cwd), siblings in
/// "..". Not thread-safe; all calls from the loop.
class Dependencies {
 public:
  /// shown: DIR as the user named it; signo: the dnotify signal the owner watches.
  Dependencies(std::string shown, int signo) : shown_(std::move(shown)), signo_(signo) {}

  /// Is each service of ./depends/ ready (longrun) or done (oneshot)? When not, watches
  /// their records (before looking again, so that nothing is missed) and warns once about
  /// a missing dependency or a cycle.
  bool ready();
  /// Stops watching (the held start went ahead).
  void stop() { watches_.clear(); }
  [[nodiscard]] bool watching() const { return !watches_.empty(); }
  /// One of our directories changed: watch again where the records now are, if that moved.
  void refresh();
  void rewatch(const std::vector<std::string>& names);
  /// rewatch's one round: names[i]'s records are expected in homes[i]/supervise.
  void watch_homes(const std::vector<std::string>& names, const std::vector<std::string>& homes);
  /// Names in depends/ (read each time: edits apply at the next start).
  std::vector<std::string> load();

 private:
  [[nodiscard]] bool satisfied(const std::vector<std::string>& names) const;
  void warn_about(const std::vector<std::string>& names);

  std::string shown_;
  int signo_;
  std::vector<DirNotify> watches_;
  std::vector<std::string> watched_names_;  // depends/ as the watches were set up
  bool all_records_ = false;  // every dependency watched at its supervise/ (the records)
  // Per dependency, the place watch_homes chose (deepest existing): a deeper one that
  // exists once the watches are in place appeared meanwhile, unseen by them.
  std::vector<std::string> watched_places_;
  std::set<std::string> warned_missing_;
  std::string warned_cycle_;
  std::string last_load_warnings_;
};

}  // namespace svtree::supervise
