// SPDX-License-Identifier: MIT
// FIFO creation and the open modes the supervise/ protocol depends on.
#include "svtree/fifo.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "svtree/io.hpp"

namespace svtree {

Result<void> ensure_fifo(const std::string& path, mode_t mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISFIFO(st.st_mode)) {
      if ((st.st_mode & 07777) != mode && ::chmod(path.c_str(), mode) != 0)
        return errno_error("chmod " + path);
      return {};
    }
    if (::unlink(path.c_str()) != 0) return errno_error("unlink " + path);
  } else if (errno != ENOENT) {
    return errno_error("stat " + path);
  }
  if (::mkfifo(path.c_str(), mode) != 0 && errno != EEXIST) return errno_error("mkfifo " + path);
  // mkfifo honours the umask; the protocol wants the exact mode.
  if (::chmod(path.c_str(), mode) != 0) return errno_error("chmod " + path);
  return {};
}

Result<UniqueFd> open_fifo_supervisor_end(const std::string& path) {
  return open_file(path, O_RDWR | O_NONBLOCK);
}

SupervisorPresence probe_supervisor(const std::string& ok_fifo_path, int* errno_out) {
  auto fd = open_file(ok_fifo_path, O_WRONLY | O_NONBLOCK);
  if (fd) return SupervisorPresence::kRunning;
  if (errno_out != nullptr) *errno_out = fd.error().code;
  switch (fd.error().code) {
    case ENXIO: return SupervisorPresence::kNotRunning;
    case ENOENT: return SupervisorPresence::kNoFifo;
    default: return SupervisorPresence::kError;
  }
}

}  // namespace svtree
