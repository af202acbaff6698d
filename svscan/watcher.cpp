// SPDX-License-Identifier: MIT
// Watcher: inotify on the scan directory and on each service directory.
#include "watcher.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "svtree/diag.hpp"
#include "svtree/escape.hpp"
#include "svtree/io.hpp"

namespace svtree::svscan {

namespace {

/// A link's target, or empty when it cannot be read: the callers then watch nothing.
std::string link_target(int dir_fd, const std::string& path) {
  auto target = read_link(dir_fd, path);
  return target ? std::move(*target) : std::string();
}

}  // namespace

std::vector<std::string> link_parents(const std::string& path) {
  std::vector<std::string> parents;
  std::vector<std::string> todo;  // components left, last one first
  const auto push_components = [&todo](const std::string& text) {
    std::vector<std::string> parts;
    for (size_t at = 0; at <= text.size();) {
      const size_t end = std::min(text.find('/', at), text.size());
      if (end > at) parts.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  };
  push_components(path);
  std::string done;  // resolved so far, absolute; empty means "/"
  int links = 0;
  while (!todo.empty()) {
    const std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      done = parent_dir(done.empty() ? "/" : done);
      if (done == "/") done.clear();
      continue;
    }
    const std::string candidate = done + "/" + part;
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) break;
    if (!S_ISLNK(st.st_mode)) {
      done = candidate;
      continue;
    }
    if (++links > 40) break;
    parents.push_back(done.empty() ? "/" : done);
    const std::string target = link_target(AT_FDCWD, candidate);
    if (target.empty()) break;
    if (target.front() == '/') done.clear();
    push_components(target);
  }
  return parents;
}

std::string dangling_watch_dir(const std::string& target) {
  std::string path = target;
  for (int hop = 0; hop < 8; ++hop) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      // A link to a link: the last one's target is what must appear.
      const std::string next = link_target(AT_FDCWD, path);
      if (next.empty()) return {};
      path = next.front() == '/' ? next : parent_dir(path) + "/" + next;
      continue;
    }
    // The nearest ancestor that exists: making the missing part starts with an entry
    // appearing there (mkdir -p makes one level at a time; each is a new look).
    for (std::string dir = parent_dir(path);; dir = parent_dir(dir)) {
      if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? dir : std::string();
      if (dir == "/" || dir == ".") return {};
    }
  }
  return {};
}

Result<void> read_listing(DIR* scan_dir, std::vector<ScanEntry>& listing,
                          std::vector<DanglingEntry>* dangling) {
  listing.clear();
  if (dangling != nullptr) dangling->clear();
  ::rewinddir(scan_dir);
  const int dir_fd = ::dirfd(scan_dir);
  std::string log_path;
  for (;;) {
    errno = 0;
    const dirent* d = ::readdir(scan_dir);
    if (d == nullptr) {
      if (errno != 0) return errno_error("read the scan directory");
      return {};
    }
    if (d->d_name[0] == '.') continue;
    if (d->d_type != DT_DIR && d->d_type != DT_LNK && d->d_type != DT_UNKNOWN) continue;
    struct stat st {};
    if (::fstatat(dir_fd, d->d_name, &st, 0) != 0) {
      struct stat link_st {};
      if (dangling != nullptr && errno == ENOENT &&
          ::fstatat(dir_fd, d->d_name, &link_st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(link_st.st_mode))
        dangling->push_back({d->d_name, link_target(dir_fd, d->d_name)});
      continue;
    }
    if (!S_ISDIR(st.st_mode)) continue;
    ScanEntry entry;
    entry.name = d->d_name;
    entry.id = {st.st_dev, st.st_ino};
    log_path.assign(d->d_name);
    log_path += "/log";
    struct stat log_st {};
    if (::fstatat(dir_fd, log_path.c_str(), &log_st, 0) == 0 && S_ISDIR(log_st.st_mode))
      entry.log = FileId{log_st.st_dev, log_st.st_ino};
    listing.push_back(std::move(entry));
  }
}

Watcher::Watcher(Loop& loop, Callback on_change) : loop_(loop), on_change_(std::move(on_change)) {}

bool Watcher::watch_scan_dir(const std::string& path) {
  auto created = Inotify::create();
  if (!created) {
    diag::warning(created.error().message() + ": changes are seen by the rescan timer only");
    return false;
  }
  inotify_.emplace(std::move(*created));
  auto watch = acquire(path);
  if (!watch) {
    diag::warning(watch.error().message() + ": changes are seen by the rescan timer only");
    inotify_.reset();
    return false;
  }
  scan_watch_ = *watch;
  io_ = std::make_unique<IoWatch>(loop_, inotify_->fd(), EV_READ, [this](int) { on_readable(); });
  io_->start();
  return true;
}

bool Watcher::rewatch_scan_dir(const std::string& path) {
  if (!inotify_) return false;
  auto watch = acquire(path);
  if (!watch) {
    diag::warning(escape_name(watch.error().message()) +
                  ": changes are seen by the rescan timer only");
    ++failures_;
    return false;
  }
  release(scan_watch_);
  scan_watch_ = *watch;
  return true;
}

int Watcher::watch_service(const std::string& dir) {
  if (!inotify_) return -1;
  auto watch = acquire(dir);
  if (!watch) {
    // Gone already, or not a directory any more: the scan directory's watch reports that.
    if (watch.error().code == ENOENT || watch.error().code == ENOTDIR) return -1;
    // ENOSPC: fs.inotify.max_user_watches reached. The fallback timer covers the rest.
    if (!warned_)
      diag::warning(escape_name(watch.error().message()) +
                    ": log/ changes there are seen by the rescan timer only");
    warned_ = true;
    ++failures_;
    return -1;
  }
  return *watch;
}

void Watcher::unwatch(int watch) { release(watch); }

bool Watcher::watch_targets(const std::vector<std::string>& dirs) {
  bool added = false;
  target_missing_ = false;
  std::map<std::string, int> kept;
  for (const std::string& dir : dirs) {
    if (kept.count(dir) != 0) continue;
    if (const auto found = target_watches_.find(dir); found != target_watches_.end()) {
      kept.insert(target_watches_.extract(found));
      continue;
    }
    auto watch = inotify_ ? acquire(dir) : Result<int>(SysError{ENOSYS, "watch " + dir});
    if (!watch) {
      target_missing_ = true;  // the owner's rescan timer looks meanwhile
      continue;
    }
    kept.emplace(dir, *watch);
    added = true;
  }
  for (const auto& [dir, watch] : target_watches_) release(watch);
  target_watches_ = std::move(kept);
  return added;
}

Result<int> Watcher::acquire(const std::string& path) {
  // One mask for all: adding a watch to an inode already watched replaces its mask.
  auto watch =
      inotify_->add_watch(path, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
  if (watch) {
    const auto ref = find_ref(*watch);
    if (ref != refs_.end() && ref->first == *watch) ++ref->second;
    else refs_.insert(ref, {*watch, 1});
  }
  return watch;
}

std::vector<Watcher::Ref>::iterator Watcher::find_ref(int watch) {
  return std::lower_bound(refs_.begin(), refs_.end(), Ref{watch, 0},
                          [](const Ref& a, const Ref& b) { return a.first < b.first; });
}

void Watcher::release(int watch) {
  if (!inotify_ || watch < 0) return;
  const auto found = find_ref(watch);
  if (found == refs_.end() || found->first != watch)
    return;  // the kernel dropped it already (IN_IGNORED)
  if (--found->second > 0) return;
  refs_.erase(found);
  inotify_->remove_watch(watch);
}

bool Watcher::is_target_watch(int watch) const {
  for (const auto& [dir, target_watch] : target_watches_)
    if (target_watch == watch) return true;
  return false;
}

void Watcher::on_readable() {
  auto events = inotify_->read_events();
  if (!events) {
    diag::warning(events.error());
    on_change_();
    return;
  }
  bool relevant = false;
  for (const InotifyEvent& event : *events) {
    if (event.watch == -1 || (event.mask & IN_Q_OVERFLOW) != 0) {
      relevant = true;  // lost events: rescan everything
    } else if ((event.mask & IN_IGNORED) != 0) {
      // The directory is gone and the kernel removed the watch: a later inode may get
      // the same number, so it must not be counted or removed on its behalf. A watched
      // place for a link went with it: forget it, and look again (the next
      // watch_targets watches what exists now).
      if (const auto ref = find_ref(event.watch); ref != refs_.end() && ref->first == event.watch)
        refs_.erase(ref);
      if (std::erase_if(target_watches_,
                        [&](const auto& entry) { return entry.second == event.watch; }) != 0)
        relevant = true;
    } else if (is_target_watch(event.watch)) {
      relevant = true;  // something appeared where a dangling link points
    } else if (event.watch == scan_watch_) {
      if (!event.name.empty() && event.name[0] != '.') relevant = true;
    } else if (event.name == "log") {
      relevant = true;
    }
  }
  if (relevant) on_change_();
}

}  // namespace svtree::svscan
