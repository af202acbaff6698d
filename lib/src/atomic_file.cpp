// SPDX-License-Identifier: MIT
// write + rename, the only way svtree replaces a file others read.
#include "svtree/atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svtree/io.hpp"

namespace svtree {

Result<void> write_file_atomically(int dir_fd, const std::string& path, std::string_view data,
                                   AtomicWriteOptions options) {
  const std::string temp = path + ".new";
  auto fd = open_at(dir_fd, temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, options.mode);
  if (!fd) return fd.error();
  // O_CREAT's mode is filtered by the umask; the protocol fixes the mode.
  if (::fchmod(fd->get(), options.mode) != 0) return errno_error("chmod " + temp);
  auto written = write_all(fd->get(), data);
  if (!written) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return SysError{written.error().code, "write " + temp};
  }
  if (options.fsync && ::fsync(fd->get()) != 0) return errno_error("fsync " + temp);
  if (::renameat(dir_fd, temp.c_str(), dir_fd, path.c_str()) != 0) {
    const SysError error = errno_error("rename " + temp + " to " + path);
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return error;
  }
  return {};
}

}  // namespace svtree
