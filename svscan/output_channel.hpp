// SPDX-License-Identifier: MIT
// OutputChannel: svscan's way to its real stdout or stderr without ever blocking (issue 15,
// DESIGN.md §1, §5). A writer child (`svscan-output`, the same executable) owns the
// blocking writes to the real fd; svscan feeds it through a pipe of its own whose svscan end
// is non-blocking (the shared stdout itself is never made non-blocking), and keeps a bounded
// queue in front of that pipe. What does not fit is dropped a whole line at a time, counted
// per source, and announced in one line per source once the queue has room again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "svtree/event_loop.hpp"
#include "svtree/json.hpp"
#include "svtree/unique_fd.hpp"

namespace svtree::svscan {

/// The length of the first piece of data to hand to one write(2): at most limit bytes
/// ending at a newline, so that a write of at most PIPE_BUF into a pipe lands whole and
/// between two lines; a line longer than limit is a piece of its own. Pure.
[[nodiscard]] size_t first_piece(std::string_view data, size_t limit);

class OutputChannel {
 public:
  /// Bytes svscan queues in front of the writer's pipe (the pipe itself holds up to 1 MiB
  /// more when the kernel allows it).
  static constexpr size_t kDefaultCapacity = 256 * 1024;

  /// target_fd: our STDOUT_FILENO or STDERR_FILENO, handed to the writer child as its fd 1.
  /// on_room: called when a full queue has room again (sources paused on it resume).
  OutputChannel(Loop& loop, int target_fd, LogFormat format, std::function<void()> on_room,
                size_t capacity = kDefaultCapacity);
  ~OutputChannel();
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  /// Makes the pipe and starts the writer. When either fails, the channel writes to the
  /// target itself (blocking, as before issue 15) and says so.
  void start();

  /// Room for `bytes` more in the queue right now.
  [[nodiscard]] bool has_room(size_t bytes) const;
  /// Queues one finished line (the parts in order, newline included) and returns true;
  /// when it does not fit, counts it as dropped for `source` (a service name, empty for
  /// svscan's and supervise's own lines) and returns false. may_exceed: queue it even past
  /// the capacity (the rest of a chunk read while there was room). Call flush() after a
  /// batch.
  bool push(std::initializer_list<std::string_view> parts, std::string_view source,
            bool may_exceed = false);
  /// push() for the hot path, one labelled line: label, separator, text and a newline,
  /// with no list to walk (issue 15's throughput figure: 10 million lines a second).
  bool push_line(std::string_view label, std::string_view separator, std::string_view text,
                 bool may_exceed);
  /// push_line(label, separator, line, true) for each whole line of data in order, from
  /// its start up to the first line longer than max_line or the unfinished last one, with
  /// prefix = label + separator: two appends a line, no call a line (issue 15's throughput).
  /// Returns the bytes of data taken; the rest is the caller's (LineCutter).
  size_t push_lines(std::string_view prefix, std::string_view data, size_t max_line);
  /// About `bytes` are to be pushed now: one allocation for them instead of a few
  /// doublings, each copying what is queued.
  void reserve(size_t bytes);
  /// Counts n lines of source as dropped without looking at them (a full queue).
  void count_dropped(std::string_view source, uint64_t n);
  /// A source paused for want of room: on_room is called once the queue is half empty.
  void wait_for_room() { want_room_ = true; }
  /// Writes what the writer's pipe takes now; waits for EV_WRITE for the rest.
  void flush();

  /// The writer's pid (0 when none), spared by the shutdown's TERM to other processes.
  [[nodiscard]] pid_t writer_pid() const { return writer_; }
  /// A child ended: true when it was our writer. Restarts it unless finishing.
  bool on_child_exit(pid_t pid);
  /// Shutdown's last step: once the queue is written, close the pipe so the writer drains
  /// it and exits. With no writer (direct mode), a no-op.
  void finish();
  /// Lines dropped so far and not yet announced (tests, messages).
  [[nodiscard]] uint64_t dropped_pending() const;

 private:
  [[nodiscard]] size_t queued() const { return buffer_.size() - head_; }
  /// False when nothing may be queued any more (after the last line) or there is no
  /// writer; then push() takes the slow way.
  [[nodiscard]] bool queueing() const { return !direct_ && write_end_.valid(); }
  void spawn_writer();
  void announce_drops();
  /// Writes the queue into the writer's pipe, each write one piece (first_piece): every
  /// buffer of the pipe then ends at a newline, which lets the writer splice whole buffers
  /// to a piped stdout. Starts the EV_WRITE watch when the pipe is full.
  void write_queued();
  void close_when_drained();
  /// The queue just drained: once it has stayed empty for kIdleSeconds, its room goes back
  /// to the system, and so do the heap's free pages (issue 17: a burst at start, such as
  /// 1000 services' first lines, left up to 128 KiB in svscan for good). A steady flow
  /// keeps its room, so reads do not allocate again and again (issue 15's throughput): at
  /// most one allocation and one malloc_trim a second.
  void release_when_idle();
  void on_idle() noexcept;

  Loop& loop_;
  int target_fd_;
  LogFormat format_;
  std::function<void()> on_room_;
  size_t capacity_;
  UniqueFd read_end_;   // kept, so lines in the pipe survive a writer's restart
  UniqueFd write_end_;  // non-blocking: ours alone
  std::string buffer_;  // queued bytes are buffer_[head_..]
  size_t head_ = 0;
  std::unique_ptr<IoWatch> writable_;
  std::unique_ptr<TimerWatch> idle_timer_;  // made at the first drain of a grown queue
  std::map<std::string, uint64_t, std::less<>> dropped_;  // by source, until announced
  bool want_room_ = false;
  pid_t writer_ = 0;
  int64_t writer_started_ms_ = 0;
  bool direct_ = false;     // no writer: blocking writes to target_fd_ (the fallback)
  bool finishing_ = false;  // shutdown: close once drained
};

}  // namespace svtree::svscan
