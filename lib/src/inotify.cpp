// SPDX-License-Identifier: MIT
// inotify wrapper.
#include "svtree/inotify.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svtree {

Result<Inotify> Inotify::create() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return errno_error("create inotify instance");
  return Inotify(UniqueFd(fd));
}

Result<int> Inotify::add_watch(const std::string& path, uint32_t mask) {
  const int watch = ::inotify_add_watch(fd_.get(), path.c_str(), mask);
  if (watch < 0) return errno_error("watch " + path);
  return watch;
}

void Inotify::remove_watch(int watch) { ::inotify_rm_watch(fd_.get(), watch); }

Result<std::vector<InotifyEvent>> Inotify::read_events() {
  std::vector<InotifyEvent> events;
  alignas(inotify_event) char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return events;
      return errno_error("read inotify events");
    }
    if (n == 0) return events;
    for (ssize_t at = 0; at < n;) {
      inotify_event header;
      std::memcpy(&header, buffer + at, sizeof header);
      InotifyEvent event;
      event.watch = header.wd;
      event.mask = header.mask;
      if (header.len > 0) event.name = std::string(buffer + at + sizeof header);
      events.push_back(std::move(event));
      at += static_cast<ssize_t>(sizeof header + header.len);
    }
  }
}

}  // namespace svtree
