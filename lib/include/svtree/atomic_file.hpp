// SPDX-License-Identifier: MIT
// Atomic replacement of small files: write NAME.new, optionally fsync, rename over NAME.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "svtree/result.hpp"

namespace svtree {

struct AtomicWriteOptions {
  mode_t mode = 0644;
  bool fsync = false;  // status files skip it: they describe a live process, not history
};

/// Readers see either the old or the new content, never a torn one (runit's status.new).
/// dir_fd may be AT_FDCWD; path and path + ".new" are relative to it.
Result<void> write_file_atomically(int dir_fd, const std::string& path, std::string_view data,
                                   AtomicWriteOptions options = {});

}  // namespace svtree
