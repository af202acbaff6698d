// SPDX-License-Identifier: MIT
// ReadySet: many descriptors behind one, for the catch-all's pipes (issue 17: svscan's own
// memory with 1000 services). The event loop watches the set's one descriptor; each pipe is
// an entry of the kernel's (epoll) with a key, not a watcher of svscan's: no IoWatch, no
// callback and no slot in libev's table per service, and the catch-all finds the source
// behind a key itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

class ReadySet {
 public:
  /// An empty set; valid() is false when the kernel would not make one (descriptors out).
  ReadySet();
  [[nodiscard]] bool valid() const { return epoll_.valid(); }
  /// Why the set could not be made (errno of epoll_create1), when !valid().
  [[nodiscard]] SysError error() const { return {error_, "make the catch-all's epoll set"}; }
  /// The descriptor to watch for reading: readable while some entry is ready.
  [[nodiscard]] int fd() const { return epoll_.get(); }

  /// Watches fd for reading (level-triggered: ready while data or end of file waits),
  /// reported as key.
  Result<void> add(int fd, uint64_t key);
  /// Stops watching fd (paused, or about to be closed). Not an error when it is not in the
  /// set.
  void remove(int fd);
  /// Fills keys with those of entries ready now, without waiting; returns how many. An entry
  /// still ready is reported again by the next call (after the others: the kernel's list
  /// rotates, so one busy descriptor does not starve the rest).
  size_t ready(std::span<uint64_t> keys);

 private:
  UniqueFd epoll_;
  int error_ = 0;
};

}  // namespace svtree::svscan
