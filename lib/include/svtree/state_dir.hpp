// SPDX-License-Identifier: MIT
// svscan's state directory (DESIGN.md §5): one directory per tree, outside every service
// directory and writable on a read-only root. svscan creates and owns it; svctl reads it.
//
//   ROOT/                   $SVTREE_STATE_DIR, else /run/svtree, else $XDG_RUNTIME_DIR/svtree,
//                           else /tmp/svtree-UID
//   ROOT/TREE/              TREE = the scan dir's absolute path, '/' and '%' escaped
//   ROOT/TREE/lock          flock held by the tree's svscan for its life
//   ROOT/TREE/scandir       "ABSOLUTE-SCAN-DIR\nPID\n": where svctl finds the tree
//   ROOT/TREE/control       FIFO: svctl writes 's' for a rescan (SIGHUP is the main
//                           command's in main-command mode)
//   ROOT/TREE/main/         the main command as a service directory svctl can read:
//   ROOT/TREE/main/supervise/{status,ok,control,stat,pid}   runit's layout
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "svtree/result.hpp"

namespace svtree::state_dir {

/// The name under which svctl shows and controls the main command. A service directory
/// can never have it: svscan skips dot names.
inline constexpr std::string_view kMainName = ".main";
/// The byte written to ROOT/TREE/control to ask for a rescan.
inline constexpr char kRescanByte = 's';
/// The control FIFO's name in a tree's state directory (svscan holds it open for reading).
inline constexpr const char* kControlName = "control";

/// The root for every tree: $SVTREE_STATE_DIR when set, else the first of /run/svtree,
/// $XDG_RUNTIME_DIR/svtree, /tmp/svtree-UID that exists or can be made (mode 0755).
/// Pure in the sense that it creates nothing; `creatable` is asked about each candidate.
std::string choose_root(const char* env_state_dir, const char* env_xdg_runtime, uid_t uid,
                        bool (*creatable)(const std::string& dir));
/// choose_root with this process's environment and a real writability test.
std::string root();

/// The directory name for a scan dir's absolute path: '%' -> "%25", '/' -> "%2F" (so two
/// paths never share one); a path longer than 200 bytes becomes "#" + 16 hex digits of
/// its FNV-1a hash.
std::string tree_name(std::string_view absolute_scan_dir);

/// ROOT/TREE for a scan dir's absolute path.
std::string tree_dir(const std::string& root, std::string_view absolute_scan_dir);

/// The scandir record's text, and its reading: nullopt-like empty path when malformed.
std::string format_record(std::string_view absolute_scan_dir, pid_t pid);
struct Record {
  std::string scan_dir;
  pid_t pid = 0;
};
bool parse_record(std::string_view text, Record& out);

/// A tree found under root whose svscan still holds its lock.
struct LiveTree {
  std::string dir;  // ROOT/TREE
  Record record;
  int64_t started_ns = 0;  // the record's mtime: the outermost of nested trees is oldest
};
/// Every live tree under root, oldest first.
std::vector<LiveTree> live_trees(const std::string& root);

/// Where svctl finds the tree (svctl(8)): $SVDIR when set and not empty, else the scan dir
/// of the oldest live tree under root(), else /etc/service.
std::string find_scan_dir(const char* env_svdir);

/// The state directory of the tree whose scan dir is svdir (made absolute), when its
/// svscan runs; empty otherwise.
std::string live_tree_dir_for(const std::string& svdir);

/// Asks the svscan whose state directory is tree_dir for a rescan: one byte on its control
/// FIFO, opened non-blocking, so a gone svscan is ENXIO at once, never a hang.
Result<void> request_rescan(const std::string& tree_dir);

/// Makes path absolute against the current directory, without resolving symlinks, then
/// removes "." components, repeated and trailing slashes.
std::string absolute_path(std::string_view path);

/// The scan dir's identity for the lock and the record: realpath when it exists (a symlink
/// and its target are one tree), else absolute_path.
std::string canonical_path(const std::string& path);

}  // namespace svtree::state_dir
