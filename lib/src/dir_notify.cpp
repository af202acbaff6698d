// SPDX-License-Identifier: MIT
// dnotify wrapper: fcntl(F_SETSIG) + fcntl(F_NOTIFY, mask | DN_MULTISHOT).
#include "svtree/dir_notify.hpp"

#include <fcntl.h>

#include "svtree/io.hpp"

namespace svtree {

Result<DirNotify> DirNotify::watch(const std::string& dir, unsigned long mask, int signo) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd.error();
  if (::fcntl(fd->get(), F_SETSIG, signo) != 0)
    return errno_error("set notification signal of " + dir);
  DirNotify notify(std::move(*fd));
  if (auto changed = notify.change(mask); !changed) {
    return SysError{changed.error().code, "watch directory " + dir};
  }
  return notify;
}

Result<void> DirNotify::change(unsigned long mask) {
  const unsigned long flags = mask == 0 ? 0 : (mask | DN_MULTISHOT);
  if (::fcntl(fd_.get(), F_NOTIFY, flags) != 0) return errno_error("change directory notification");
  return {};
}

}  // namespace svtree
