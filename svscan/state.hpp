// SPDX-License-Identifier: MIT
// TreeState: svscan's side of its state directory (lib state_dir, DESIGN.md §5): the lock
// that refuses a second svscan on the same scan dir, the record svctl finds the tree by,
// and the control FIFO through which `svctl rescan` asks for a rescan.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "svtree/event_loop.hpp"
#include "svtree/file_lock.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

class TreeState {
 public:
  /// What open() decided. kTaken: another svscan holds the lock (the caller exits 111).
  enum class Outcome { kReady, kTaken, kUnavailable };

  TreeState(Loop& loop, std::function<void()> on_rescan_request);
  ~TreeState();
  TreeState(const TreeState&) = delete;
  TreeState& operator=(const TreeState&) = delete;

  /// Makes ROOT/TREE for the scan dir's canonical path, takes its lock, writes the record
  /// and opens the control FIFO. `why` says what failed (kTaken: who holds it).
  Outcome open(const std::string& root, const std::string& canonical_scan_dir,
               std::string& why);

  /// ROOT/TREE, empty when unavailable.
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  void on_control() noexcept;

  Loop& loop_;
  std::function<void()> on_rescan_request_;
  std::string dir_;
  std::optional<FileLock> lock_;
  UniqueFd control_;
  std::unique_ptr<IoWatch> control_watch_;
};

/// mkdir -p for a state root; refuses a directory others could write into or that is not
/// ours (a /tmp fallback someone else made first).
Result<void> make_private_dirs(const std::string& path);

}  // namespace svtree::svscan
