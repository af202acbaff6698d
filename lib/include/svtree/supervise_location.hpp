// SPDX-License-Identifier: MIT
// Where a service's supervise/ directory is (issue #16), and what a scan entry is: a
// service, a template (`worker@`) or an instance of one (`worker@1`). The one owner of
// that rule: supervise creates supervise/ where it says, svscan and svctl read it there.
//
//   DIR/supervise                 runit's place (a directory, or a symlink such as runit's
//                                 `supervise -> /run/runit/supervise.NAME`, followed and its
//                                 target created when it dangles)
//   TREE/services/NAME/supervise  in svscan's state directory (state_dir.hpp): for every
//                                 instance (its template directory is shared) and for a
//                                 service directory that cannot be written (a read-only
//                                 root) and has no supervise entry. NAME/log for its logger.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "svtree/result.hpp"

namespace svtree::supervise_location {

/// The variable svscan sets for an instance's supervise (and so for every script of it,
/// its logger's included): the instance name. supervise also gives it to run as $1.
inline constexpr const char* kInstanceVariable = "SVTREE_INSTANCE";

/// What a scan directory entry is.
enum class EntryKind {
  kService,   // an ordinary service
  kTemplate,  // a template (its name ends with '@'): never supervised itself
  kInstance,  // TEMPLATE + INSTANCE: the template's directory run as a service of its own
};

/// Pure: the kind of scan entry `entry_name` whose directory's own name (the last
/// component of its real path) is `directory_name`. An entry named `T@X` (X not empty)
/// whose directory is named `T@` is an instance, X its instance name; an entry whose name
/// ends with '@' is a template; any other entry, whatever it points to, is a service.
EntryKind classify(std::string_view entry_name, std::string_view directory_name);

/// Pure: the instance name of an instance entry ("worker@blue" -> "blue").
std::string_view instance_name(std::string_view entry_name);

/// classify() for the entry `name` of scan_dir, reading the real path of its directory only
/// when the name has an '@' (the cost of an ordinary tree is nothing). A name with a '/'
/// (NAME/log, a path) is classified by its first component.
EntryKind classify_entry(const std::string& scan_dir, std::string_view name);

/// The directory in the tree's state directory whose supervise/ holds the state of the
/// service listed as name (NAME, or NAME/log for its logger): TREE/services/NAME.
std::string state_home(const std::string& tree_dir, std::string_view name);

/// The directory H whose H/supervise is the supervise/ directory of the entry `name` of
/// scan_dir, for a client (svscan, svctl): DIR itself (scan_dir/name) unless name is (the
/// logger of) an instance, or DIR has no supervise entry and the state directory has one.
/// tree_dir empty (no svscan runs the tree): always DIR.
std::string client_home(const std::string& scan_dir, std::string_view name,
                        const std::string& tree_dir);
/// The same, asking tree_dir() only when the answer depends on it (an instance, or no
/// supervise entry in DIR): an ordinary service costs one lstat.
std::string client_home(const std::string& scan_dir, std::string_view name,
                        const std::function<std::string()>& tree_dir);

/// Where svscan's svlog keeps the stderr of the entry `name` of scan_dir whose `stderr` knob
/// says `separate` (issue 15): DIR/log/err; for an instance, whose template directory its
/// siblings share, TREE/services/NAME/log/err, beside its supervise/ (tree_dir empty: no
/// state directory, DIR/log/err). scan_dir empty: the current directory, and DIR/log/err
/// relative to it.
std::string stderr_log_dir(const std::string& scan_dir, std::string_view name,
                           const std::string& tree_dir);

/// The state directory of the live tree whose scan directory is scan_dir, as a process of
/// that tree sees it: $SVDIR (which svscan sets) when it is the same directory as scan_dir
/// and its svscan is alive; empty otherwise.
std::string tree_dir_from_environment(const std::string& scan_dir);

/// supervise's choice for DIR (open as dir_fd, listed as name in the tree whose state
/// directory tree_dir() gives, empty when unknown; asked only when needed): DIR when it has
/// a supervise entry (even a dangling symlink) or one can be made there; the state home
/// (created) for an instance, or when DIR is read-only (EROFS) or not ours to write
/// (EACCES, EPERM). Errors name what to do.
Result<std::string> choose_home(int dir_fd, const std::string& dir, std::string_view name,
                                bool instance, const std::function<std::string()>& tree_dir);

/// The state directory of the tree that started this supervise for DIR (open as dir_fd):
/// svscan runs `supervise NAME` in the scan directory with SVDIR set to it, so DIR must be
/// a relative name that is the same directory as $SVDIR/DIR, and that tree's svscan must be
/// alive. Empty otherwise (a standalone supervise keeps runit's place).
std::string supervise_tree_dir(const std::string& dir, int dir_fd);

}  // namespace svtree::supervise_location
