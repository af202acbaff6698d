// SPDX-License-Identifier: MIT
// One log directory: its lock, config, `current`, rotation and processor, svlogd's layout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "svtree/event_loop.hpp"
#include "svtree/file_lock.hpp"
#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svlog {

/// Owns DIR/lock for its whole life and DIR/current while open. Rotation is a sequence of
/// steps (fsync, chmod 0744, rename to @TAI64N.s or .u, open a new current, delete old
/// files, queue the processor); a step that fails is retried from where it stopped, so a
/// full disk or a transient error never loses or reorders a byte.
class LogDir {
 public:
  struct Hooks {
    std::function<void(LogDir&)> rotation_due;  // the `t` age of current was reached
    std::function<void()> progress;      // a processor finished: pending work may proceed
  };

  /// Creates DIR if missing (one level, 0755; through a dangling symlink, the target with
  /// its missing parents), takes DIR/lock (a second svlog or an svlogd on DIR makes this
  /// fail with EWOULDBLOCK), reads DIR/config (warnings printed), keeps a leftover
  /// `current` without u+x as @….u, queues the @….u files for the processor if there is
  /// one, and opens `current` for appending (mode 0644).
  static Result<std::unique_ptr<LogDir>> open(Loop& loop, const std::string& path,
                                              bool verbose, Hooks hooks);
  /// What an operator can do about error (from open or reopen of path), as a clause to
  /// append to the message ("; …"), or empty. Looks at path (lstat) to tell a symlink.
  static std::string hint_for(const std::string& path, const SysError& error);
  ~LogDir();
  LogDir(const LogDir&) = delete;
  LogDir& operator=(const LogDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const LogConfig& config() const { return config_; }
  /// Bytes in current (written so far).
  [[nodiscard]] uint64_t size() const { return size_; }

  /// One write(2) to current. On ENOSPC, with `N` below `n`, deletes the oldest old file
  /// (down to N) and tries again before giving up. Returns bytes written (maybe fewer).
  Result<size_t> write(std::string_view data);
  /// Rotates current if it is not empty; resumable: after an error call it again.
  Result<void> rotate();
  /// SIGHUP: closes current cleanly, opens DIR again by name (a directory moved away and
  /// replaced is left for the new one, as svlogd does), rereads config, reopens current.
  /// Files already rotated keep their processor, in the directory they were rotated in.
  Result<void> reopen();
  /// At exit: fsync current and mark it complete (mode 0744), then close it.
  Result<void> close_current();

  /// A child died; returns false when it was not this directory's processor.
  bool on_child_exit(pid_t pid, int wait_status);
  /// True while a processor runs or rotated files wait for one.
  [[nodiscard]] bool processor_busy() const { return processor_pid_ > 0 || !pending_.empty(); }
  /// At exit: a failing processor is not retried any more (its .u file stays, and the next
  /// svlog on DIR processes it).
  void stop_retrying_processor();

 private:
  /// A rotated file waiting for its processor, or being processed (the queue's front).
  /// It keeps the directory and the `!` line it was rotated under: a SIGHUP that changes
  /// either must not lose it (issue #12).
  struct Unprocessed {
    std::shared_ptr<const UniqueFd> dir;
    std::string base;       // "@" + 24 hex digits, without the suffix
    std::string processor;  // run by /bin/sh -c
  };

  LogDir(Loop& loop, std::string path, bool verbose, Hooks hooks);
  Result<void> attach(UniqueFd dir_fd);
  Result<void> load_config();
  Result<void> keep_unfinished_current();
  void queue_unprocessed();
  Result<void> open_current();
  void arm_rotation_timer();
  void remove_old_files();
  bool delete_oldest_for_space();
  bool delete_old_file(const std::string& name, std::string_view why);
  std::vector<std::string> old_files(bool delete_leftovers);
  [[nodiscard]] bool in_use(std::string_view name) const;
  void start_processor();
  Result<void> finish_processed(const Unprocessed& file);
  /// How messages name a file in file's directory: name (default: file's base) under path_,
  /// or in the directory path_ was before SIGHUP replaced it.
  [[nodiscard]] std::string where(const Unprocessed& file, std::string_view name = {}) const;
  std::string unique_old_name(char suffix);
  void info(std::string_view text) const;

  enum class RotationStep { kIdle, kSync, kChmod, kRename, kOpen };

  Loop& loop_;
  std::string path_;
  bool verbose_;
  Hooks hooks_;
  std::shared_ptr<UniqueFd> dir_fd_;  // shared with the queued files rotated in it
  std::unique_ptr<FileLock> lock_;
  UniqueFd current_;
  uint64_t size_ = 0;
  LogConfig config_;
  RotationStep step_ = RotationStep::kIdle;
  std::string rotated_name_;  // "@….s" or "@….u" chosen by the rename step
  TimerWatch rotation_timer_;
  // Processor: rotated files waiting, in order; at most one runs (the front).
  std::deque<Unprocessed> pending_;
  pid_t processor_pid_ = 0;
  TimerWatch processor_retry_;
  double processor_backoff_ = 1.0;
  bool processor_retry_allowed_ = true;
};

}  // namespace svtree::svlog
