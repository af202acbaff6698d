// SPDX-License-Identifier: MIT
// DirNotify: changes among a directory's entries, reported as a signal (dnotify, F_NOTIFY).
#pragma once

#include <string>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// One directory watched with fcntl(F_NOTIFY). Unlike inotify it takes no per-user instance
/// (fs.inotify.max_user_instances is 128 by default, and a thousand supervisors each holding
/// one would starve every other program), only the directory's open descriptor. Events are
/// not queued or named: the signal says "something changed"; the owner looks again.
class DirNotify {
 public:
  /// Opens dir and asks for signo (e.g. SIGIO, watched with a SignalWatch) on every event in
  /// mask (DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB, DN_MODIFY), until changed or destroyed.
  static Result<DirNotify> watch(const std::string& dir, unsigned long mask, int signo);

  /// Replaces the event mask; 0 stops the notifications but keeps the descriptor.
  Result<void> change(unsigned long mask);
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  explicit DirNotify(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace svtree
