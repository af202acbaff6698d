// SPDX-License-Identifier: MIT
// scan_diff: what changed in the scan directory since the last look (pure, no syscalls).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace svtree::svscan {

/// A directory's identity: device + inode, so a rename is not a new service (as s6-svscan).
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};

/// One subdirectory (or symlink to one) of the scan directory, as a scan saw it.
struct ScanEntry {
  std::string name;
  FileId id;
  std::optional<FileId> log;  // NAME/log when it is a directory
  /// An instance of a template (issue 16): its name ("1" for worker@1). The instances of
  /// one template share its id: a service is id + instance.
  std::string instance;
};

/// A service the tree already supervises.
struct KnownService {
  std::string name;
  FileId id;
  std::optional<FileId> log;
  std::string instance;
};

/// Indexes into the `known` and `listing` spans given to diff_scan.
struct ScanDiff {
  struct Pair {
    size_t known;
    size_t entry;
  };
  std::vector<size_t> added;       // listing entries with no known service
  std::vector<size_t> removed;     // known services no longer listed
  std::vector<Pair> renamed;       // same id, new name
  std::vector<Pair> log_added;     // log/ appeared
  std::vector<Pair> log_removed;   // log/ disappeared
  std::vector<Pair> log_replaced;  // log/ is now another directory
  struct Duplicate {
    size_t entry;  // ignored
    size_t first;  // the entry that stands for the service (same id and instance)
  };
  std::vector<Duplicate> duplicates;  // listing entries naming an already listed service

  [[nodiscard]] bool empty() const {
    return added.empty() && removed.empty() && renamed.empty() && log_added.empty() &&
           log_removed.empty() && log_replaced.empty();
  }
};

/// Compares the tree's services with a fresh listing. A service is its directory's id and
/// its instance name. One listed twice (two symlinks to one directory) counts once, under
/// the name it is known by when that is still listed, else under its first name in sorted
/// order; the others go to `duplicates`. A known service keeps its identity when its name
/// changes.
ScanDiff diff_scan(std::span<const KnownService> known, std::span<const ScanEntry> listing);

}  // namespace svtree::svscan
