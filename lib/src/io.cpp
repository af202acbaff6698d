// SPDX-License-Identifier: MIT
// EINTR-retrying wrappers over open/read/write and small-file helpers.
#include "svtree/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace svtree {

Result<UniqueFd> open_at(int dir_fd, const std::string& path, int flags, mode_t mode) {
  for (;;) {
    const int fd = ::openat(dir_fd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return errno_error("open " + path);
  }
}

Result<size_t> write_all(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && done > 0) return done;
      return errno_error("write");
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<size_t> read_some(int fd, std::span<char> buffer) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return errno_error("read");
  }
}

Result<std::string> read_small_file_at(int dir_fd, const std::string& path, size_t max_bytes) {
  // Non-blocking, and only a regular file: a FIFO or a device planted at a knob or an env/
  // entry must not hang the supervisor in open() or read().
  auto fd = open_at(dir_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errno_error("stat " + path);
  if (!S_ISREG(st.st_mode))
    return SysError{EINVAL, "read " + path + ": not a regular file; replace it with one"};
  std::string text;
  char chunk[4096];
  while (text.size() < max_bytes) {
    auto n = read_some(fd->get(), chunk);
    if (!n) return SysError{n.error().code, "read " + path};
    if (*n == 0) break;
    text.append(chunk, *n);
  }
  if (text.size() > max_bytes) text.resize(max_bytes);
  return text;
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  return read_small_file_at(AT_FDCWD, path, max_bytes);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return ::access(path.c_str(), X_OK) == 0;
}

bool is_writable_by_others(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) == 0) return false;
  return !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0);
}

Result<UniqueFd> open_private_fifo(int dir_fd, const char* name, int flags,
                                   const std::string& shown) {
  constexpr mode_t kPrivateMode = 0600;
  struct stat st {};
  bool is_fifo = false;
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    is_fifo = S_ISFIFO(st.st_mode);
    if (!is_fifo && ::unlinkat(dir_fd, name, 0) != 0) return errno_error("unlink " + shown);
  } else if (errno != ENOENT) {
    return errno_error("stat " + shown);
  }
  if (!is_fifo && ::mkfifoat(dir_fd, name, kPrivateMode) != 0 && errno != EEXIST)
    return errno_error("make FIFO " + shown);
  auto fd = open_at(dir_fd, name, flags | O_NONBLOCK | O_NOFOLLOW);
  if (!fd) return SysError{fd.error().code, "open " + shown};
  if (::fstat(fd->get(), &st) != 0) return errno_error("stat " + shown);
  if (!S_ISFIFO(st.st_mode)) return SysError{EINVAL, "open " + shown + ": not a FIFO"};
  // mkfifo honours the umask; the protocol wants the exact mode.
  if ((st.st_mode & 07777) != kPrivateMode && ::fchmod(fd->get(), kPrivateMode) != 0)
    return errno_error("chmod " + shown);
  return fd;
}

Result<void> make_directories(const std::string& path, mode_t mode) {
  for (size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    const std::string prefix = path.substr(0, at);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return errno_error("create " + prefix);
    if (at == std::string::npos) return {};
  }
}

Result<std::string> read_link(int dir_fd, const std::string& path) {
  char target[4096];
  const ssize_t n = ::readlinkat(dir_fd, path.c_str(), target, sizeof target);
  if (n < 0) return errno_error("read the symbolic link " + path);
  if (static_cast<size_t>(n) >= sizeof target)
    return SysError{ENAMETOOLONG, "read the symbolic link " + path};
  return std::string(target, static_cast<size_t>(n));
}

std::string parent_dir(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<void> set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return errno_error("fcntl F_GETFL");
  const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) return errno_error("fcntl F_SETFL");
  return {};
}

void sanitize_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    // Not O_CLOEXEC: these stand in for the standard fds our children inherit.
    const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

}  // namespace svtree
