// SPDX-License-Identifier: MIT
// TreeState: lock, record and control FIFO in svscan's state directory.
#include "state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "svtree/atomic_file.hpp"
#include "svtree/io.hpp"
#include "svtree/state_dir.hpp"

namespace svtree::svscan {

Result<void> make_private_dirs(const std::string& path) {
  if (auto made = make_directories(path, 0755); !made) return made.error();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_error("stat " + path);
  if (!S_ISDIR(st.st_mode)) return SysError{ENOTDIR, "use " + path};
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return SysError{EPERM, "use " + path + " (owned by uid " + std::to_string(st.st_uid) + ")"};
  if ((st.st_mode & 0022) != 0)
    return SysError{EPERM, "use " + path + " (others can write into it)"};
  return {};
}

TreeState::TreeState(Loop& loop, std::function<void()> on_rescan_request)
    : loop_(loop), on_rescan_request_(std::move(on_rescan_request)) {}

TreeState::~TreeState() {
  if (dir_.empty()) return;
  // The lock file stays: unlinking it would let a newcomer lock a fresh inode while a
  // late one still holds the old. The record goes, so svctl never finds a dead tree.
  ::unlink((dir_ + "/scandir").c_str());
  ::unlink((dir_ + "/" + state_dir::kControlName).c_str());
}

TreeState::Outcome TreeState::open(const std::string& root, const std::string& scan_dir,
                                   std::string& why) {
  const std::string dir = state_dir::tree_dir(root, scan_dir);
  if (auto made = make_private_dirs(dir); !made) {
    why = made.error().message();
    return Outcome::kUnavailable;
  }
  auto lock = FileLock::try_acquire(dir + "/lock");
  if (!lock) {
    if (lock.error().code == EWOULDBLOCK) {
      std::string holder;
      state_dir::Record record;
      if (const auto text = read_small_file(dir + "/scandir", 8192);
          text && state_dir::parse_record(*text, record))
        holder = " (pid " + std::to_string(record.pid) + ")";
      why = "unable to lock " + dir + "/lock: another svscan" + holder + " already scans " +
            scan_dir + "; stop it first, or scan another directory";
      return Outcome::kTaken;
    }
    why = lock.error().message();
    return Outcome::kUnavailable;
  }
  lock_.emplace(std::move(*lock));
  dir_ = dir;
  if (auto written = write_file_atomically(AT_FDCWD, dir + "/scandir",
                                           state_dir::format_record(scan_dir, ::getpid()));
      !written) {
    why = written.error().message();
    return Outcome::kUnavailable;
  }
  auto fd = open_private_fifo(AT_FDCWD, (dir + "/" + state_dir::kControlName).c_str(), O_RDWR,
                              dir + "/" + state_dir::kControlName);
  if (!fd) {
    why = fd.error().message();
    return Outcome::kUnavailable;
  }
  control_ = std::move(*fd);
  control_watch_ = std::make_unique<IoWatch>(loop_, control_.get(), EV_READ,
                                             [this](int) { on_control(); });
  control_watch_->start();
  return Outcome::kReady;
}

void TreeState::on_control() noexcept {
  char bytes[64];
  bool rescan = false;
  for (;;) {
    const auto n = read_some(control_.get(), bytes);
    if (!n || *n == 0) break;
    for (size_t i = 0; i < *n; ++i)
      if (bytes[i] == state_dir::kRescanByte) rescan = true;
  }
  if (rescan) on_rescan_request_();
}

}  // namespace svtree::svscan
