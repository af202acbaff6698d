// SPDX-License-Identifier: MIT
// Unix datagram socket setup for svlog -s.
#include "syslog_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svtree::svlog {
namespace {

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path)
    return SysError{ENAMETOOLONG, "use " + path + " as the syslog socket (at most " +
                                      std::to_string(sizeof address.sun_path - 1) + " bytes)"};
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

}  // namespace

Result<std::unique_ptr<SyslogSocket>> SyslogSocket::open(const std::string& path) {
  auto address = socket_address(path);
  if (!address) return address.error();
  const auto* raw = reinterpret_cast<const sockaddr*>(&*address);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return SysError{ENOTSOCK, "use " + path +
                                    " as the syslog socket (it exists and is not a socket: "
                                    "remove it or choose another path)"};
    // A socket file: live if somebody answers on it; left over from a killed logger if not.
    UniqueFd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!probe) return errno_error("create a socket to probe " + path);
    if (::connect(probe.get(), raw, sizeof *address) == 0)
      return SysError{EADDRINUSE, "listen on " + path + " (another process listens there)"};
    if (errno != ECONNREFUSED) return errno_error("probe the socket " + path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return errno_error("remove the stale socket " + path);
  } else if (errno != ENOENT) {
    return errno_error("stat " + path);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("create a Unix datagram socket for " + path);
  if (::bind(fd.get(), raw, sizeof *address) != 0) return errno_error("bind " + path);
  std::unique_ptr<SyslogSocket> socket(new SyslogSocket(std::move(fd), path));
  if (::chmod(path.c_str(), 0666) != 0) return errno_error("set mode of " + path);
  if (::lstat(path.c_str(), &st) != 0) return errno_error("stat " + path);
  socket->device_ = st.st_dev;
  socket->inode_ = st.st_ino;
  return socket;
}

void SyslogSocket::remove_path() {
  if (removed_) return;
  removed_ = true;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_)
    ::unlink(path_.c_str());
}

SyslogSocket::~SyslogSocket() { remove_path(); }

}  // namespace svtree::svlog
