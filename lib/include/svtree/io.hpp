// SPDX-License-Identifier: MIT
// EINTR-safe file and descriptor primitives: the one way to open, read and write here.
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree {

/// open(2) relative to dir_fd (AT_FDCWD for cwd), always O_CLOEXEC.
Result<UniqueFd> open_at(int dir_fd, const std::string& path, int flags, mode_t mode = 0);
inline Result<UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0) {
  return open_at(-100 /* AT_FDCWD */, path, flags, mode);
}

/// Writes all of data unless an error occurs; returns bytes written before the error in
/// the error's absence (EAGAIN on a non-blocking fd stops early and reports what was done).
Result<size_t> write_all(int fd, std::string_view data);
/// One read(2), retried on EINTR. 0 means end of file.
Result<size_t> read_some(int fd, std::span<char> buffer);

/// Reads a whole small regular file (knobs, envdir entries, status). ENOENT is an error like
/// others; anything but a regular file is refused (EINVAL) without blocking on it.
Result<std::string> read_small_file(const std::string& path, size_t max_bytes = 65536);
/// The same, path relative to dir_fd.
Result<std::string> read_small_file_at(int dir_fd, const std::string& path,
                                       size_t max_bytes = 65536);

/// Does path exist (lstat succeeds)? Any error but ENOENT counts as "exists".
[[nodiscard]] bool path_exists(const std::string& path);
/// Is path a regular file executable by us (access X_OK and S_ISREG)?
[[nodiscard]] bool is_executable_file(const std::string& path);

/// Can users other than the owner change what path holds? True for a world-writable file,
/// and for a world-writable directory without the sticky bit (in a sticky one, like /tmp,
/// others cannot replace a file they do not own). False when path cannot be stat'ed.
[[nodiscard]] bool is_writable_by_others(const std::string& path);

/// The FIFO name in dir_fd (made if missing, replacing any other file but a directory),
/// opened with flags | O_NONBLOCK without following a symlink, mode exactly 0600 whatever
/// the umask. shown names it in errors. Used for supervise/control and supervise/ok, and
/// for svscan's own control FIFO.
Result<UniqueFd> open_private_fifo(int dir_fd, const char* name, int flags,
                                   const std::string& shown);
/// mkdir -p: makes each missing directory on path, with mode (before the umask). One that
/// exists already is fine whatever it is: the caller checks what it needs. The error names
/// the directory that could not be made ("create PREFIX").
Result<void> make_directories(const std::string& path, mode_t mode = 0755);
/// The target of the symbolic link at path (relative to dir_fd, AT_FDCWD for cwd).
/// ENAMETOOLONG for a target of 4096 bytes or more.
Result<std::string> read_link(int dir_fd, const std::string& path);
/// path without its last component, trailing slashes ignored: "." for a bare name, "/" for
/// a name in the root.
std::string parent_dir(std::string path);

/// Sets or clears O_NONBLOCK.
Result<void> set_nonblocking(int fd, bool on);

/// Makes sure fds 0, 1 and 2 are open (to /dev/null if not), so a later open() can never
/// hand us fd 1 and turn a log write into a control-file write.
void sanitize_standard_fds();

}  // namespace svtree
