// SPDX-License-Identifier: MIT
// Per-target selection (svlogd's `+ - e E`), formatting and the resumable flush.
#include "target.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "pattern.hpp"
#include "svtree/diag.hpp"

namespace svtree::svlog {

Target::Target(std::unique_ptr<LogDir> dir, std::optional<std::string> prefix)
    : dir_(std::move(dir)), option_prefix_(std::move(prefix)) {
  name_ = dir_->path() + "/current";
  apply_config();
}

Target::Target(int fd, std::string name, std::optional<std::string> prefix)
    : fd_(fd), name_(std::move(name)), option_prefix_(std::move(prefix)) {
  apply_config();
}

Target::~Target() = default;

void Target::apply_config() {
  prefix_ = option_prefix_.value_or("");
  instructions_.clear();
  size_max_ = 0;
  udp_.reset();
  udp_socket_.reset();
  if (!dir_) return;
  const LogConfig& config = dir_->config();
  if (config.prefix) prefix_ = *config.prefix;
  instructions_ = config.instructions;
  size_max_ = config.size_max;
  planned_size_ = dir_->size() + pending();
  if (config.udp) {
    udp_ = config.udp;
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) diag::warning(errno_error("create a UDP socket for " + dir_->path()));
    udp_socket_.reset(fd);
  }
}

void Target::mark_rotation() {
  if (!dir_) return;
  if (rotation_marks_.empty() || rotation_marks_.back() != out_.size())
    rotation_marks_.push_back(out_.size());
  planned_size_ = 0;
  rotate_requested_ = false;
}

void Target::request_rotation() {
  if (!dir_) return;
  if (line_open_) rotate_requested_ = true;
  else mark_rotation();
}

void Target::after_line_end() {
  line_open_ = false;
  if (rotate_requested_ || (size_max_ != 0 && planned_size_ >= size_max_)) mark_rotation();
}

void Target::send_udp(std::string_view stamp, std::string_view match_text) {
  if (!udp_socket_) return;
  std::string packet;
  packet.reserve(stamp.size() + prefix_.size() + match_text.size() + 1);
  packet.append(stamp).append(prefix_).append(match_text).push_back('\n');
  const ssize_t sent =
      ::sendto(udp_socket_.get(), packet.data(), packet.size(), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&udp_->address), sizeof udp_->address);
  if (sent < 0 && !udp_warned_) {
    udp_warned_ = true;  // unreliable by nature (svlogd(8)): say so once, not per line
    diag::warning(errno_error("send a UDP copy of " + dir_->path() + " lines").message() +
                  " (further UDP errors are not reported)");
  }
}

void Target::begin_line(std::string_view bytes, bool complete, std::string_view match_text,
                        std::string_view stamp, SideOutput& side) {
  bool selected = true;
  bool to_stderr = false;
  for (const Instruction& instruction : instructions_) {
    // Each matching instruction overrides the earlier ones (svlogd(8) CONFIG).
    if (!pattern_matches(instruction.pattern, match_text)) continue;
    switch (instruction.action) {
      case '+': selected = true; break;
      case '-': selected = false; break;
      case 'e': to_stderr = true; break;
      default: to_stderr = false; break;
    }
  }
  if (selected && udp_) {
    send_udp(stamp, match_text);
    if (udp_->only) selected = false;
  }
  if (to_stderr) {
    side.to_stderr.append(stamp).append(prefix_).append(bytes);
  }
  line_open_ = !complete;
  line_selected_ = selected && !disabled_;
  line_to_stderr_ = to_stderr;
  if (!line_selected_) {
    if (complete) after_line_end();
    return;
  }
  const size_t size = stamp.size() + prefix_.size() + bytes.size();
  // A line is never split across two files: rotate before it if it would not fit.
  if (size_max_ != 0 && planned_size_ > 0 && planned_size_ + size > size_max_) mark_rotation();
  out_.append(stamp).append(prefix_).append(bytes);
  planned_size_ += size;
  if (complete) after_line_end();
}

void Target::continue_line(std::string_view bytes, bool complete, SideOutput& side) {
  if (line_to_stderr_) side.to_stderr.append(bytes);
  if (line_selected_) {
    out_.append(bytes);
    planned_size_ += bytes.size();
  }
  if (complete) after_line_end();
}

void Target::end_open_line(SideOutput& side) {
  if (line_open_) continue_line("\n", true, side);
}

void Target::report(const SysError& error) {
  if (blocked_) return;
  blocked_ = true;
  diag::warning(error.message() + "; keeping " + std::to_string(pending()) +
                " bytes and retrying until it works");
}

Target::Flush Target::flush() {
  if (disabled_) {
    out_.clear();
    rotation_marks_.clear();
    next_mark_ = written_ = 0;
    return Flush::kDone;
  }
  for (;;) {
    const size_t end = next_mark_ < rotation_marks_.size() ? rotation_marks_[next_mark_]
                                                           : out_.size();
    while (written_ < end) {
      const std::string_view chunk(out_.data() + written_, end - written_);
      if (dir_) {
        auto n = dir_->write(chunk);
        if (!n) {
          report(n.error());
          return Flush::kBlocked;
        }
        written_ += *n;
        continue;
      }
      const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
      if (n >= 0) {
        written_ += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return Flush::kWouldBlock;
      if (errno == EPIPE) {
        diag::warning("standard output is closed (EPIPE): no more lines go to " + name_);
        disabled_ = true;
        return flush();
      }
      report(errno_error("write " + name_));
      return Flush::kBlocked;
    }
    if (next_mark_ == rotation_marks_.size()) break;
    if (auto rotated = dir_->rotate(); !rotated) {
      report(rotated.error());
      return Flush::kBlocked;
    }
    ++next_mark_;
  }
  out_.clear();
  rotation_marks_.clear();
  next_mark_ = 0;
  written_ = 0;
  if (blocked_) {
    blocked_ = false;
    diag::info("writing to " + name_ + " works again; nothing was lost");
  }
  return Flush::kDone;
}

}  // namespace svtree::svlog
