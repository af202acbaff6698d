// SPDX-License-Identifier: MIT
// UniqueFd's only out-of-line piece: the close.
#include "svtree/unique_fd.hpp"

#include <unistd.h>

namespace svtree {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

}  // namespace svtree
