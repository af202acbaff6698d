// SPDX-License-Identifier: MIT
// The stderr pipe's hand-over from svscan to supervise.
#include "svtree/stderr_pipe.hpp"

#include <fcntl.h>

#include <cstdlib>
#include <string_view>

namespace svtree {

std::string stderr_fd_assignment(int child_fd) {
  return std::string(kStderrFdVariable) + "=" + std::to_string(child_fd);
}

UniqueFd take_stderr_pipe() {
  const char* value = std::getenv(kStderrFdVariable);
  if (value == nullptr) return UniqueFd();
  const std::string_view text = value;
  int fd = 0;
  bool number = !text.empty() && text.size() < 5;
  for (const char c : text) {
    if (c < '0' || c > '9') number = false;
    else fd = fd * 10 + (c - '0');
  }
  // Gone before anything reads the environment for run: the next supervise gets its own.
  ::unsetenv(kStderrFdVariable);
  // 0-2 are our own standard descriptors: never taken over, whatever the variable says.
  if (!number || fd <= 2) return UniqueFd();
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return UniqueFd();
  return UniqueFd(fd);
}

}  // namespace svtree
