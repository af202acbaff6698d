// SPDX-License-Identifier: MIT
// PidMap: the supervise processes of the tree by pid, as one sorted vector (issue 17:
// svscan's own memory with 1000 services). A hash map spent a node (32 bytes and malloc's
// overhead) and a bucket per process; this spends the entry itself. Pids mostly grow, so an
// insertion lands near the end. The subset of std::unordered_map's interface the tree uses,
// so the tree reads the same. Pure.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace svtree::svscan {

template <typename Value>
class PidMap {
 public:
  using value_type = std::pair<pid_t, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  [[nodiscard]] size_t size() const { return entries_.size(); }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  // Iteration is in pid order. The pid of an entry must not be changed through it.
  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  iterator find(pid_t pid) {
    const auto at = lower_bound(pid);
    return at != entries_.end() && at->first == pid ? at : entries_.end();
  }
  const_iterator find(pid_t pid) const {
    const auto at = std::lower_bound(entries_.begin(), entries_.end(), pid, key_less);
    return at != entries_.end() && at->first == pid ? at : entries_.end();
  }
  /// Adds pid → value unless pid is there already (then that entry is left as it is);
  /// the iterator names pid's entry, the bool says whether it was added.
  std::pair<iterator, bool> emplace(pid_t pid, Value value) {
    const auto at = lower_bound(pid);
    if (at != entries_.end() && at->first == pid) return {at, false};
    return {entries_.emplace(at, pid, std::move(value)), true};
  }
  iterator erase(const_iterator at) { return entries_.erase(at); }
  size_t erase(pid_t pid) {
    const auto at = find(pid);
    if (at == entries_.end()) return 0;
    entries_.erase(at);
    return 1;
  }

 private:
  static bool key_less(const value_type& entry, pid_t pid) { return entry.first < pid; }
  iterator lower_bound(pid_t pid) {
    return std::lower_bound(entries_.begin(), entries_.end(), pid, key_less);
  }

  std::vector<value_type> entries_;  // sorted by pid, no two alike
};

}  // namespace svtree::svscan
