// SPDX-License-Identifier: MIT
// When svlog asks for a larger input pipe (issue 15, throughput with stamps). Pure: the
// fcntl is the logger's.
#pragma once

#include <cstddef>

namespace svtree::svlog {

/// A pipe that keeps arriving full holds back its writer: each read drains the default
/// 64 KiB, and writer and svlog wake each other once per 64 KiB. Such a flood gets a
/// larger pipe once, so that reads and wake-ups are fewer; a quiet service's pipe keeps
/// the default size (and the kernel's per-user budget of pipe pages is not spent on it).
class InputPipeGrowth {
 public:
  /// The size Linux gives a new pipe.
  static constexpr size_t kDefaultPipe = 64 * 1024;
  /// What a flooded pipe is raised to: the unprivileged ceiling, /proc/sys/fs/pipe-max-size.
  static constexpr size_t kGrownPipe = 1024 * 1024;
  /// Full reads in a row that make a flood.
  static constexpr int kFullReads = 4;

  /// A read returned n bytes: true when the pipe is to grow now (once at most).
  bool on_read(size_t n) {
    if (decided_) return false;
    full_reads_ = n >= kDefaultPipe ? full_reads_ + 1 : 0;
    if (full_reads_ < kFullReads) return false;
    decided_ = true;
    return true;
  }

 private:
  int full_reads_ = 0;
  bool decided_ = false;
};

}  // namespace svtree::svlog
