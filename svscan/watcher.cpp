// SPDX-License-Identifier: MIT
// Watcher: inotify on the scan directory and on each service directory.
#include "watcher.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "svtree/diag.hpp"
#include "svtree/escape.hpp"

namespace svtree::svscan {

Result<void> read_listing(DIR* scan_dir, std::vector<ScanEntry>& listing) {
  listing.clear();
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
    if (::fstatat(dir_fd, d->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode)) continue;
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

Result<int> Watcher::acquire(const std::string& path) {
  // One mask for all: adding a watch to an inode already watched replaces its mask.
  auto watch =
      inotify_->add_watch(path, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
  if (watch) ++refs_[*watch];
  return watch;
}

void Watcher::release(int watch) {
  if (!inotify_ || watch < 0) return;
  const auto found = refs_.find(watch);
  if (found == refs_.end()) return;  // the kernel dropped it already (IN_IGNORED)
  if (--found->second > 0) return;
  refs_.erase(found);
  inotify_->remove_watch(watch);
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
      // the same number, so it must not be counted or removed on its behalf.
      refs_.erase(event.watch);
    } else if (event.watch == scan_watch_) {
      if (!event.name.empty() && event.name[0] != '.') relevant = true;
    } else if (event.name == "log") {
      relevant = true;
    }
  }
  if (relevant) on_change_();
}

}  // namespace svtree::svscan
