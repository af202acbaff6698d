// SPDX-License-Identifier: MIT
// make_pipe: the one place pipes are created, always close-on-exec.
#include "svtree/pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace svtree {

Result<Pipe> make_pipe(int extra_flags) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) return errno_error("create pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace svtree
