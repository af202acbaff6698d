// SPDX-License-Identifier: MIT
// The Unix datagram socket svlog -s listens on (a /dev/log of its own): made at start,
// removed at exit.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "svtree/result.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svlog {

class SyslogSocket {
 public:
  /// Binds a non-blocking Unix datagram socket at path, mode 0666 as /dev/log (any local
  /// user may log). A socket file nobody listens on (left by a killed logger) is
  /// replaced. Refused, with ENOTSOCK: path exists and is not a socket; with EADDRINUSE:
  /// another process listens there.
  static Result<std::unique_ptr<SyslogSocket>> open(const std::string& path);
  /// Removes path if it is still the socket this object made.
  ~SyslogSocket();
  SyslogSocket(const SyslogSocket&) = delete;
  SyslogSocket& operator=(const SyslogSocket&) = delete;

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  /// Removes path now (senders then get ENOENT/ECONNREFUSED), keeping the descriptor so
  /// what is already queued can still be read.
  void remove_path();

 private:
  SyslogSocket(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
  dev_t device_ = 0;  // of the socket file we made, to never unlink someone else's
  ino_t inode_ = 0;
  bool removed_ = false;
};

}  // namespace svtree::svlog
