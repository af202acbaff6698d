// SPDX-License-Identifier: MIT
// depends/: which siblings a held start waits for, and the dnotify watches on their records.
#include "dependencies.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "svtree/diag.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/supervise_location.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::supervise {
namespace {

// A record is published by renaming NAME.new over NAME inside supervise/: renames alone
// (not the creation of each NAME.new) wake a waiting dependent, half the wake-ups.
constexpr unsigned long kRecordEvents = DN_RENAME;
// supervise/, or the service itself, created or renamed in after we started waiting; an
// entry of our own depends/ added or removed.
constexpr unsigned long kEntryEvents = DN_CREATE | DN_RENAME | DN_DELETE;

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string sibling(const std::string& name) { return "../" + name; }

// The deepest place of a dependency whose records are (or will be) in home/supervise that
// exists now: its supervise/ (the records), else home (supervise/ to come), else ".." (the
// service to come).
std::string deepest_place(const std::string& home) {
  if (std::string records = supervise_path(home); is_directory(records)) return records;
  if (is_directory(home)) return home;
  return "..";
}

// Where a sibling's records are (lib supervise_location, issue 16): its own supervise/, or
// svscan's state directory for an instance or a read-only service.
std::string sibling_home(const std::string& name) {
  return supervise_location::client_home(
      "..", name, [] { return supervise_location::tree_dir_from_environment(".."); });
}

// A dependency is a plain name beside us: no path may lead elsewhere.
bool valid_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

}  // namespace

std::vector<std::string> find_dependency_cycle(
    const std::string& self,
    const std::function<std::vector<std::string>(const std::string&)>& deps_of) {
  // Depth-first from self along depends/ links; the first path back to self is the cycle.
  std::vector<std::string> path{self};
  std::set<std::string> visited{self};
  std::function<bool(const std::string&)> walk = [&](const std::string& name) {
    for (const std::string& next : deps_of(name)) {
      if (next == self) return true;
      if (!visited.insert(next).second) continue;
      path.push_back(next);
      if (walk(next)) return true;
      path.pop_back();
    }
    return false;
  };
  if (walk(self)) return path;
  return {};
}

void Dependencies::refresh() {
  // Each wake-up of a held start: watch again only when depends/ changed or a dependency
  // is not yet watched at its records (its supervise/ may exist now).
  std::vector<std::string> names = load();
  if (all_records_ && names == watched_names_) return;
  rewatch(names);
}

std::vector<std::string> Dependencies::load() {
  std::vector<std::string> warnings;
  std::vector<std::string> names = load_dependencies(ServicePaths(".", shown_), warnings);
  std::string text;
  for (const std::string& line : warnings) text += line + '\n';
  if (text != last_load_warnings_) {
    for (const std::string& line : warnings) diag::warning(line);
    last_load_warnings_ = text;
  }
  return names;
}

bool Dependencies::satisfied(const std::vector<std::string>& names) const {
  return std::all_of(names.begin(), names.end(), [](const std::string& name) {
    if (!valid_name(name)) return false;
    const auto record = read_live_status(sibling_home(name));
    return record && record_ready_or_done(*record);
  });
}

bool Dependencies::ready() {
  const std::vector<std::string> names = load();
  if (names.empty()) {
    stop();
    return true;
  }
  if (watches_.empty()) {
    if (satisfied(names)) return true;
    rewatch(names);
  } else if (!all_records_ || names != watched_names_) {
    rewatch(names);
  }
  if (satisfied(names)) {
    stop();
    return true;
  }
  warn_about(names);
  return false;
}

void Dependencies::rewatch(const std::vector<std::string>& names) {
  // Where the records are can move while we watch (issue 16: a sibling's supervise/ made
  // in svscan's state directory rather than in its own): look again once the watches are
  // in place, and watch again if it moved meanwhile.
  for (int round = 0; round < 4; ++round) {
    std::vector<std::string> homes;
    for (const std::string& name : names)
      homes.push_back(valid_name(name) ? sibling_home(name) : "");
    watch_homes(names, homes);
    // A supervise/ (or the service) made between the look that chose a place and the
    // watch set on it gave its event to nobody: the dependency's records would change
    // unseen for good (a dependent held forever, seen under load). Now that the watches
    // are in place, a deeper place that exists is watched instead.
    bool moved = false;
    for (size_t i = 0; i < names.size() && !moved; ++i)
      moved = valid_name(names[i]) && (sibling_home(names[i]) != homes[i] ||
                                        deepest_place(homes[i]) != watched_places_[i]);
    if (!moved) return;
  }
}

void Dependencies::watch_homes(const std::vector<std::string>& names,
                               const std::vector<std::string>& homes) {
  // Each dependency is watched at the deepest place that exists: its supervise/ (the
  // records), else its directory (supervise/ to come), else ".." (the service to come).
  // A sibling whose supervise/ is nowhere yet may make it in svscan's state directory: that
  // directory's services/ is watched too. dnotify costs a descriptor, not one of the 128
  // inotify instances a user may have.
  watches_.clear();
  // depends/ itself: an entry removed (a cycle broken, a typo fixed) is seen at once.
  if (auto own = DirNotify::watch("depends", kEntryEvents, signo_))
    watches_.push_back(std::move(*own));
  watched_names_ = names;
  watched_places_.assign(names.size(), std::string());
  all_records_ = true;
  bool parent = false;
  bool state_watched = false;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (!valid_name(name)) continue;
    const std::string dir = sibling(name);
    std::string where = deepest_place(homes[i]);
    watched_places_[i] = where;
    unsigned long events = kRecordEvents;
    if (where != supervise_path(homes[i])) {
      events = kEntryEvents;
      all_records_ = false;
      if (homes[i] == dir && !state_watched) {
        state_watched = true;
        const std::string tree = supervise_location::tree_dir_from_environment("..");
        if (!tree.empty())
          if (auto state = DirNotify::watch(supervise_location::state_home(tree, ""),
                                            kEntryEvents, signo_))
            watches_.push_back(std::move(*state));
      }
    }
    if (where == "..") {
      if (parent) continue;
      parent = true;
    }
    auto notify = DirNotify::watch(where, events, signo_);
    if (!notify) {
      diag::warning(notify.error().message() + "; " + shown_ + " may wait for " + name +
                    " until its supervisor restarts");
      continue;
    }
    watches_.push_back(std::move(*notify));
  }
}

void Dependencies::warn_about(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (warned_missing_.count(name) != 0) continue;
    if (!valid_name(name) || !is_directory(sibling(name))) {
      warned_missing_.insert(name);
      diag::warning(shown_ + " depends on " + name + " (" + shown_ + "/depends/" + name +
                    "), which is not a service beside it: " + shown_ +
                    " waits for it; create it, or remove " + shown_ + "/depends/" + name);
    }
  }
  // Reported once, by the member whose name sorts first, naming every member.
  // Our own name as the siblings' depends/ entries say it: the cwd's last component.
  std::string self;
  if (char* cwd = ::getcwd(nullptr, 0)) {
    self = cwd;
    std::free(cwd);
  }
  if (const size_t slash = self.find_last_of('/'); slash != std::string::npos)
    self = self.substr(slash + 1);
  if (self.empty()) return;
  const auto cycle = find_dependency_cycle(self, [](const std::string& name) {
    std::vector<std::string> warnings;
    return load_dependencies(ServicePaths(sibling(name)), warnings);
  });
  if (cycle.empty() || *std::min_element(cycle.begin(), cycle.end()) != self) return;
  std::string members;
  for (const std::string& name : cycle) members += name + " -> ";
  members += self;
  if (members == warned_cycle_) return;
  warned_cycle_ = members;
  diag::warning("dependency cycle: " + members +
                ": none of them starts until one of their depends/ entries is removed");
}

}  // namespace svtree::supervise
