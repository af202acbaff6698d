// SPDX-License-Identifier: MIT
// Inotify: one non-blocking inotify instance and its decoded events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

struct InotifyEvent {
  int watch = -1;
  uint32_t mask = 0;
  std::string name;  // empty for events on the watched object itself
};

class Inotify {
 public:
  static Result<Inotify> create();

  [[nodiscard]] int fd() const { return fd_.get(); }
  /// inotify_add_watch; returns the watch descriptor.
  Result<int> add_watch(const std::string& path, uint32_t mask);
  void remove_watch(int watch);
  /// Drains every queued event (non-blocking); IN_Q_OVERFLOW arrives as an event with
  /// watch -1, telling the owner to rescan.
  Result<std::vector<InotifyEvent>> read_events();

 private:
  explicit Inotify(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace svtree
