// SPDX-License-Identifier: MIT
// FileLock: an exclusive flock held for an owner's lifetime (supervise/lock, logdir lock).
#pragma once

#include <string>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

class FileLock {
 public:
  /// Creates path (mode 0600) if needed and takes flock(LOCK_EX|LOCK_NB). EWOULDBLOCK in the
  /// error means another process (ours, runsv or svlogd) holds it.
  static Result<FileLock> try_acquire(const std::string& path);

  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // the lock lives exactly as long as this descriptor
};

}  // namespace svtree
