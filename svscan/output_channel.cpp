// SPDX-License-Identifier: MIT
// OutputChannel: bounded queue, writer child, counted drops.
#include "output_channel.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "svtree/clock.hpp"
#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "svtree/pipe.hpp"
#include "svtree/spawner.hpp"

namespace svtree::svscan {
namespace {

// The writer's pipe may hold this much beyond our queue (Linux's default ceiling for an
// unprivileged F_SETPIPE_SZ, /proc/sys/fs/pipe-max-size).
constexpr int kPipeBytes = 1024 * 1024;
// A writer that dies sooner than this after its start is not restarted again: the
// channel falls back to writing itself rather than loop on a writer that cannot run.
constexpr int64_t kWriterMinLifeMs = 1000;

int64_t now_monotonic_ms() { return SystemClock{}.monotonic_ms(); }

int64_t now_unix_ms() {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace

size_t first_piece(std::string_view data, size_t limit) {
  if (data.size() <= limit) return data.size();
  const size_t last = data.substr(0, limit).rfind('\n');
  if (last != std::string_view::npos) return last + 1;
  const size_t end = data.find('\n', limit);
  return end == std::string_view::npos ? data.size() : end + 1;
}

OutputChannel::OutputChannel(Loop& loop, int target_fd, LogFormat format,
                             std::function<void()> on_room, size_t capacity)
    : loop_(loop), target_fd_(target_fd), format_(format), on_room_(std::move(on_room)),
      capacity_(capacity) {}

OutputChannel::~OutputChannel() = default;

void OutputChannel::start() {
  auto pipe = make_pipe();
  if (!pipe) {
    direct_ = true;
    diag::warning(pipe.error().message() + ": svscan writes its output itself, and a stalled "
                  "reader of it stalls svscan");
    return;
  }
  read_end_ = std::move(pipe->read_end);
  write_end_ = std::move(pipe->write_end);
  (void)::fcntl(write_end_.get(), F_SETPIPE_SZ, kPipeBytes);
  // Our end only: this pipe is ours alone, unlike the stdout it leads to.
  (void)set_nonblocking(write_end_.get(), true);
  writable_ = std::make_unique<IoWatch>(loop_, write_end_.get(), EV_WRITE, [this](int) {
    writable_->stop();
    flush();
  });
  spawn_writer();
}

void OutputChannel::spawn_writer() {
  SpawnSpec spec;
  // The executable svscan runs is the multi-call svtree: the writer is one of its programs.
  spec.path = "/proc/self/exe";
  spec.argv = {"svscan-output"};
  // Its own session: a terminal's Ctrl-C goes to svscan's group, and svscan decides.
  spec.group = SpawnSpec::Group::kNewSession;
  spec.fds = {{0, read_end_.get()}, {1, target_fd_}};
  spec.exec_failure_prefix = "svscan: warning: unable to start svscan-output";
  spec.failure_exit_code = diag::kExitSystem;
  auto spawned = spawn(spec);
  if (!spawned) {
    direct_ = true;
    diag::warning(spawned.error().message() + " (svscan-output): svscan writes its output "
                  "itself, and a stalled reader of it stalls svscan");
    return;
  }
  writer_ = spawned->pid;
  writer_started_ms_ = now_monotonic_ms();
}

bool OutputChannel::on_child_exit(pid_t pid) {
  if (pid <= 0 || pid != writer_) return false;
  writer_ = 0;
  if (finishing_) return true;
  if (now_monotonic_ms() - writer_started_ms_ < kWriterMinLifeMs) {
    // Whatever is still in the pipe is written by us from now on.
    direct_ = true;
    writable_->stop();
    diag::warning("svscan-output ended at once: svscan writes its output itself from now on, "
                  "and a stalled reader of it stalls svscan");
    char chunk[1 << 16];
    (void)set_nonblocking(read_end_.get(), true);
    for (;;) {
      const auto n = read_some(read_end_.get(), chunk);
      if (!n || *n == 0) break;
      (void)write_all(target_fd_, std::string_view(chunk, *n));
    }
    flush();
    return true;
  }
  // Lines already in the pipe wait there for the next writer.
  spawn_writer();
  return true;
}

bool OutputChannel::has_room(size_t bytes) const {
  return direct_ || queued() + bytes <= capacity_;
}

bool OutputChannel::push(std::initializer_list<std::string_view> parts,
                         std::string_view source, bool may_exceed) {
  size_t size = 0;
  for (const std::string_view part : parts) size += part.size();
  // After the last line (finish): nothing more is written, not even by svscan itself.
  if (finishing_ && !write_end_.valid() && !direct_) return false;
  if (direct_) {
    // No writer: one write per line, blocking (the fallback, said when it began).
    std::string line;
    line.reserve(size);
    for (const std::string_view part : parts) line += part;
    (void)write_all(target_fd_, line);
    return true;
  }
  if (!may_exceed && queued() + size > capacity_) {
    count_dropped(source, 1);
    return false;
  }
  if (head_ > 0 && head_ >= buffer_.size() / 2) {
    buffer_.erase(0, head_);
    head_ = 0;
  }
  for (const std::string_view part : parts) buffer_.append(part);
  return true;
}

bool OutputChannel::push_line(std::string_view label, std::string_view separator,
                              std::string_view text, bool may_exceed) {
  if (!queueing()) return push({label, separator, text, "\n"}, label, may_exceed);
  const size_t size = label.size() + separator.size() + text.size() + 1;
  if (!may_exceed && queued() + size > capacity_) {
    count_dropped(label, 1);
    return false;
  }
  buffer_.append(label).append(separator).append(text).push_back('\n');
  return true;
}

size_t OutputChannel::push_lines(std::string_view prefix, std::string_view data,
                                 size_t max_line) {
  if (!queueing()) return 0;
  size_t at = 0;
  while (at < data.size()) {
    // A newline within max_line + 1 bytes ends a line LineCutter would emit whole.
    const size_t window = std::min(data.size() - at, max_line + 1);
    const void* newline = std::memchr(data.data() + at, '\n', window);
    if (newline == nullptr) break;
    const size_t end = static_cast<size_t>(static_cast<const char*>(newline) - data.data()) + 1;
    buffer_.append(prefix).append(data.data() + at, end - at);
    at = end;
  }
  return at;
}

void OutputChannel::reserve(size_t bytes) {
  if (!queueing()) return;
  // Written bytes at the front go first: the move is of what is queued, not of the lot.
  if (head_ > 0) {
    buffer_.erase(0, head_);
    head_ = 0;
  }
  buffer_.reserve(buffer_.size() + bytes);
}

void OutputChannel::count_dropped(std::string_view source, uint64_t n) {
  if (auto found = dropped_.find(source); found != dropped_.end()) found->second += n;
  else dropped_.emplace(std::string(source), n);
}

void OutputChannel::flush() {
  if (direct_ || !write_end_.valid() || writable_->active()) return;
  write_queued();
  if (queued() == 0) {
    buffer_.clear();
    head_ = 0;
    // A queue that held lines for a long stall gives its memory back. (Not the room one
    // labelled read takes, kept from one read to the next: giving that back each time made
    // every read allocate, fault in and copy its buffer again.)
    if (buffer_.capacity() > capacity_ / 2) std::string().swap(buffer_);
    release_when_idle();
  }
  if (queued() <= capacity_ / 2) {
    announce_drops();
    if (want_room_) {
      want_room_ = false;
      if (on_room_) on_room_();
    }
  }
  if (finishing_) close_when_drained();
}

void OutputChannel::release_when_idle() {
  constexpr double kIdleSeconds = 1.0;
  if (!idle_timer_) idle_timer_ = std::make_unique<TimerWatch>(loop_, [this] { on_idle(); });
  if (!idle_timer_->active()) idle_timer_->start_after(kIdleSeconds);
}

void OutputChannel::on_idle() noexcept {
  if (queued() > 0) return;  // busy again: the next drain starts the timer anew
  // A few KiB are kept: svscan's own lines come one at a time.
  constexpr size_t kKeep = 4096;
  if (buffer_.capacity() > kKeep) {
    std::string().swap(buffer_);
    head_ = 0;
  }
  // What a burst freed (this room, and what the lines' services cost svscan meanwhile: a
  // start of 1000 services left 80 kB of holes) stays in the middle of the heap, svscan's,
  // until trimmed: hand those pages back once the burst is over.
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

void OutputChannel::write_queued() {
  while (queued() > 0) {
    // A piece of at most PIPE_BUF bytes is written whole or not at all (EAGAIN).
    const size_t piece =
        first_piece(std::string_view(buffer_.data() + head_, queued()), PIPE_BUF);
    const ssize_t n = ::write(write_end_.get(), buffer_.data() + head_, piece);
    if (n > 0) {
      head_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      writable_->start();
      return;
    }
    // Cannot happen while we hold the read end; drop what is queued rather than spin.
    head_ = buffer_.size();
  }
}

void OutputChannel::announce_drops() {
  while (!dropped_.empty()) {
    const auto first = dropped_.begin();
    const std::string count = std::to_string(first->second);
    std::string text = "warning: dropped " + count + (first->second == 1 ? " line" : " lines");
    text += first->first.empty() ? " of svscan's and supervise's own"
                                 : " of " + first->first;
    text += ": the reader of svscan's output was too slow (svscan(8), OUTPUT)";
    std::string line;
    if (format_ == LogFormat::kJson) {
      line = format_json_log_line(
          now_unix_ms(),
          first->first.empty() ? std::nullopt : std::optional<std::string_view>(first->first),
          "svscan", text);
    } else {
      line = "svscan: " + text;
    }
    line += '\n';
    if (queued() + line.size() > capacity_) return;  // said at the next flush
    buffer_.append(line);
    dropped_.erase(first);
  }
  // The announcements themselves go out with the next write.
  if (queued() > 0 && !writable_->active()) write_queued();
}

uint64_t OutputChannel::dropped_pending() const {
  uint64_t total = 0;
  for (const auto& [source, count] : dropped_) total += count;
  return total;
}

void OutputChannel::finish() {
  finishing_ = true;
  if (direct_) return;
  flush();
  close_when_drained();
}

void OutputChannel::close_when_drained() {
  if (queued() > 0 || !write_end_.valid()) return;
  writable_->stop();
  // The writer holds its own copy of the read end: it writes what the pipe holds, reads
  // end of file and exits, and svscan reaps it.
  write_end_.reset();
  read_end_.reset();
}

}  // namespace svtree::svscan
