// SPDX-License-Identifier: MIT
// ReadySet: an epoll instance of the catch-all's pipes.
#include "ready_set.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace svtree::svscan {

ReadySet::ReadySet() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_.valid()) error_ = errno;
}

Result<void> ReadySet::add(int fd, uint64_t key) {
  struct epoll_event event {};
  event.events = EPOLLIN;
  event.data.u64 = key;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
    return errno_error("watch a catch-all pipe (epoll_ctl)");
  return {};
}

void ReadySet::remove(int fd) {
  // ENOENT (not in the set: already paused) and EBADF are both "nothing to do".
  struct epoll_event unused {};
  (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, &unused);
}

size_t ReadySet::ready(std::span<uint64_t> keys) {
  std::array<struct epoll_event, 64> events{};
  const int max = static_cast<int>(std::min(keys.size(), events.size()));
  int n = -1;
  do {
    n = ::epoll_wait(epoll_.get(), events.data(), max, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  const auto count = static_cast<size_t>(n);
  for (size_t i = 0; i < count; ++i) keys[i] = events[i].data.u64;
  return count;
}

}  // namespace svtree::svscan
