// SPDX-License-Identifier: MIT
// Reading service directories without blocking and without chdir (sv chdirs; we use paths).
#include "service.hpp"

#include "svtree/service_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "svtree/escape.hpp"
#include "svtree/io.hpp"
#include "svtree/service_dir.hpp"
#include "svtree/state_dir.hpp"
#include "svtree/supervise_location.hpp"
#include "svtree/supervise_protocol.hpp"

namespace svtree::svctl {
namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Presence presence_of_errno(int code) {
  switch (code) {
    case ENXIO: return Presence::kNotSupervised;
    case EACCES:
    case EPERM: return Presence::kDenied;
    case ENOTDIR: return Presence::kNotDir;
    default: return Presence::kError;
  }
}

void read_status_into(const std::string& dir, Snapshot& snapshot) {
  auto record = read_service_status(dir);
  if (!record) {
    snapshot.presence = presence_of_errno(record.error().code);
    if (snapshot.presence == Presence::kNotSupervised) snapshot.presence = Presence::kError;
    snapshot.error = record.error();
    return;
  }
  snapshot.presence = Presence::kSupervised;
  snapshot.record = std::move(*record);
}

}  // namespace

std::string resolve_service_dir(const std::string& name, const std::string& svdir) {
  if (name == state_dir::kMainName) {
    const std::string tree = state_dir::live_tree_dir_for(svdir);
    if (!tree.empty()) return tree + "/main";
  }
  if (name.empty() || name.front() == '.' || name.front() == '/' || name.back() == '/')
    return name;
  return join(svdir, name.c_str());
}

ServiceRef ServiceRef::logger() const {
  const std::string log_dir = join(dir, "log");
  ServiceRef ref{name + "/log", log_dir, log_home.empty() ? log_dir : log_home, {}};
  ref.instance = instance;
  return ref;
}

namespace {

/// A path such as /etc/service/worker@1 or /etc/service/worker@1/log (sv's path form) names
/// an entry of a scan directory that a live svscan runs: that directory and the entry's
/// name, so that an instance's state is found where a name would find it. The path is split
/// as written (worker@1 is a link to its template, which must not be followed). Empty
/// scan_dir when no live svscan runs the directory above.
struct ScanEntry {
  std::string scan_dir;
  std::string name;
  std::string tree_dir;
};
ScanEntry scan_entry_of_path(const std::string& path) {
  const std::string absolute = state_dir::absolute_path(path);
  const size_t slash = absolute.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string parent = absolute.substr(0, slash);
  std::string name = absolute.substr(slash + 1);
  if (name == "log") {  // NAME/log: the scan directory is one further up
    const size_t above = parent.rfind('/');
    if (above == std::string::npos || above == 0) return {};
    name = parent.substr(above + 1) + "/log";
    parent.resize(above);
  }
  std::string tree = state_dir::live_tree_dir_for(parent);
  if (tree.empty()) return {};
  return {std::move(parent), std::move(name), std::move(tree)};
}

}  // namespace

ServiceRef make_service_ref(const std::string& name, const std::string& svdir,
                            const std::string& tree_dir) {
  ServiceRef ref{name, resolve_service_dir(name, svdir), {}, {}};
  if (ref.dir != join(svdir, name.c_str())) {
    // A path: an entry of a directory a live svscan runs has its state where the rule puts
    // it for a name (an instance's, or a read-only service's, in the state directory);
    // anything else is used as is, as sv does.
    const ScanEntry entry = scan_entry_of_path(ref.dir);
    const std::string_view service = std::string_view(entry.name).substr(0, entry.name.find('/'));
    if (entry.scan_dir.empty() || supervise_location::classify_entry(entry.scan_dir, service) ==
                                      supervise_location::EntryKind::kTemplate)
      return ref;
    ServiceRef found = make_service_ref(std::string(service), entry.scan_dir, entry.tree_dir);
    if (entry.name.size() > service.size()) found = found.logger();
    found.name = name;
    return found;
  }
  if (tree_dir.empty()) return ref;
  ref.home = supervise_location::client_home(svdir, name, tree_dir);
  ref.log_home = supervise_location::client_home(svdir, name + "/log", tree_dir);
  if (supervise_location::classify_entry(svdir, name) ==
      supervise_location::EntryKind::kInstance)
    ref.instance = std::string(supervise_location::instance_name(name));
  return ref;
}

std::optional<ServiceRef> main_command_of(const std::string& svdir) {
  const std::string tree = state_dir::live_tree_dir_for(svdir);
  if (tree.empty() || !path_exists(supervise_path(tree + "/main", kStatusEntry)))
    return std::nullopt;
  return ServiceRef{std::string(state_dir::kMainName), tree + "/main", {}, {}};
}

Result<std::vector<ServiceRef>> list_services(const std::string& svdir, bool with_loggers) {
  DIR* dir = ::opendir(svdir.c_str());
  if (dir == nullptr) return errno_error("open service directory " + svdir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string name = entry->d_name;
    if (entry->d_type == DT_DIR || is_directory(join(svdir, name.c_str()))) names.push_back(name);
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return SysError{read_errno, "read service directory " + svdir};
  std::sort(names.begin(), names.end());
  const std::string tree = state_dir::live_tree_dir_for(svdir);
  std::vector<ServiceRef> services;
  services.reserve(names.size() * (with_loggers ? 2 : 1));
  std::vector<std::pair<dev_t, ino_t>> seen;
  for (const auto& name : names) {
    using supervise_location::EntryKind;
    const EntryKind kind = supervise_location::classify_entry(svdir, name);
    if (kind == EntryKind::kTemplate) continue;
    ServiceRef ref = make_service_ref(name, svdir, tree);
    struct stat st {};
    if (kind == EntryKind::kService && ::stat(ref.dir.c_str(), &st) == 0) {
      // ln -s web web-1: one service, listed once (svscan warns about the other name).
      const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
    }
    if (with_loggers) {
      ServiceRef logger = ref.logger();
      const bool logged = is_directory(logger.dir);
      services.push_back(std::move(ref));
      if (logged) services.push_back(std::move(logger));
    } else {
      services.push_back(std::move(ref));
    }
  }
  return services;
}

Snapshot read_status_only(const std::string& dir, bool normally_up) {
  Snapshot snapshot;
  snapshot.normally_up = normally_up;
  read_status_into(dir, snapshot);
  return snapshot;
}

Snapshot read_snapshot(const std::string& dir, const std::string& home_or_empty) {
  Snapshot snapshot;
  const std::string& home = home_or_empty.empty() ? dir : home_or_empty;
  // The common case costs five system calls (open+close ok, open+read+close status is
  // six; stat down): what went wrong is worked out only when something did.
  auto ok = open_ok_writer(home);
  if (!ok) {
    const int code = ok.error().code;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      const int dir_code = errno;
      snapshot.presence = dir_code == ENOENT ? Presence::kNoDir : presence_of_errno(dir_code);
      snapshot.error = SysError{dir_code, "change to service directory " + dir};
    } else if (!S_ISDIR(st.st_mode)) {
      snapshot.presence = Presence::kNotDir;
      snapshot.error = SysError{ENOTDIR, "change to service directory " + dir};
    } else {
      snapshot.presence = code == ENOENT ? Presence::kNeverStarted : presence_of_errno(code);
      snapshot.error = ok.error();
    }
    return snapshot;
  }
  ok->reset();
  // `down` decides "normally up/down" exactly as sv does: by existence.
  struct stat down {};
  snapshot.normally_up = ::stat(join(dir, "down").c_str(), &down) != 0;
  read_status_into(home, snapshot);
  return snapshot;
}

void fill_waiting_for(const std::string& dir, Snapshot& snapshot) {
  snapshot.waiting_for.clear();
  if (snapshot.presence != Presence::kSupervised) return;
  const StatusRecord& rec = *snapshot.record;
  if (rec.pid != 0 || !rec.want_up || !rec.extension || rec.extension->phase != Phase::kDown)
    return;
  std::vector<std::string> warnings;
  for (const std::string& name : load_dependencies(ServicePaths(dir), warnings)) {
    const auto record = read_live_status(join(dir, "..") + "/" + name);
    if (!record || !record_ready_or_done(*record)) snapshot.waiting_for.push_back(name);
  }
}

Snapshot read_probe_snapshot(const std::string& dir, const std::string& home) {
  Snapshot snapshot = read_snapshot(dir, home);
  snapshot.taken = Tai64n::now();
  if (snapshot.presence == Presence::kSupervised && snapshot.record->extension) {
    // Warnings about a bad file are supervise's to give; svctl keeps the default.
    std::vector<std::string> ignored;
    snapshot.min_uptime_ms = load_service_knobs(ServicePaths(dir), ignored).min_uptime_ms;
  }
  return snapshot;
}

std::string describe_problem(const std::string& dir, const Snapshot& snapshot,
                             const std::string& home) {
  switch (snapshot.presence) {
    case Presence::kSupervised: return "supervised";
    case Presence::kNotSupervised:
      return "not supervised: no supervisor is running on " + escape_name(dir);
    case Presence::kNeverStarted:
      return "not supervised: " + escape_name(supervise_path(home.empty() ? dir : home, "ok")) +
             " does not exist (no supervisor has run here; start svscan or supervise)";
    case Presence::kNoDir: return "service directory " + escape_name(dir) + " does not exist";
    case Presence::kNotDir: return escape_name(dir) + " is not a directory";
    case Presence::kDenied:
      return "permission denied: cannot " + escape_name(snapshot.error.context) +
             " (supervise/ is 0700: run as its owner or root)";
    case Presence::kError: break;
  }
  return escape_name(snapshot.error.message());
}

}  // namespace svtree::svctl
