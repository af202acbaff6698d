// SPDX-License-Identifier: MIT
// flock-based ownership of a directory, compatible with runsv's and svlogd's locks.
#include "svtree/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "svtree/io.hpp"

namespace svtree {

Result<FileLock> FileLock::try_acquire(const std::string& path) {
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0600);
  if (!fd) return fd.error();
  for (;;) {
    if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) return FileLock(std::move(*fd));
    if (errno != EINTR) return errno_error("lock " + path);
  }
}

}  // namespace svtree
