// SPDX-License-Identifier: MIT
// svlog's read → split → stamp → write cycle. DESIGN.md §4: everything read is passed to
// write(2) before the next read, so a SIGKILL loses at most one read buffer.
#include "logger.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "svtree/diag.hpp"
#include "svtree/io.hpp"
#include "syslog.hpp"

namespace svtree::svlog {
namespace {

/// Formatted bytes a target may gather before dispatch writes them mid-read (bounds memory
/// when a read holds many tiny lines that each get a 26-byte stamp).
constexpr size_t kFlushThreshold = 512 * 1024;
constexpr double kRetrySeconds = 1.0;
/// SIGTERM finishes the last line with what is already in the pipe, at most this many reads.
constexpr int kTerminateReads = 64;
/// Larger than any Unix datagram the default socket buffers let through (212992 bytes).
constexpr size_t kDatagramMax = 256 * 1024;
/// Datagrams taken per wake-up before standard input gets its turn.
constexpr int kDatagramsPerWakeup = 256;
/// At exit, datagrams still queued are read, at most this many (a connected sender could
/// otherwise keep svlog alive).
constexpr int kDrainDatagrams = 100000;

}  // namespace

Logger::Logger(Loop& loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      stamper_(options_.stamp),
      input_(new char[options_.buffer_size]),
      input_watch_(loop, STDIN_FILENO, EV_READ, [this](int) { on_readable(); }),
      output_watch_(loop, STDOUT_FILENO, EV_WRITE, [this](int) { resume(); }),
      retry_timer_(loop, [this] { resume(); }),
      hangup_(loop, SIGHUP, [this](int) { on_hangup(); }),
      alarm_(loop, SIGALRM, [this](int) { on_alarm(); }),
      terminate_(loop, SIGTERM, [this](int) { on_terminate(); }),
      children_(loop, 0, [this](pid_t pid, int status) {
        for (auto& target : targets_)
          if (target->dir() && target->dir()->on_child_exit(pid, status)) break;
        maybe_exit();
      }) {
  // The -r/-R byte table, made once: replace_characters runs on every read and datagram.
  for (size_t byte = 0; byte < replaced_.size(); ++byte)
    replaced_[byte] = byte < 32 || byte > 126;
  for (const char c : options_.replace_set) replaced_[static_cast<unsigned char>(c)] = true;
  replaced_['\n'] = false;
}

Logger::~Logger() = default;

Result<void> Logger::open_socket() {
  if (options_.socket_path.empty()) return {};
  auto socket = SyslogSocket::open(options_.socket_path);
  if (!socket) return socket.error();
  socket_ = std::move(*socket);
  datagram_.reset(new char[kDatagramMax]);
  socket_watch_ = std::make_unique<IoWatch>(loop_, socket_->fd(), EV_READ,
                                            [this](int) { on_datagrams(); });
  return {};
}

void Logger::close_socket() {
  socket_watch_.reset();
  socket_.reset();
}

bool Logger::open_targets() {
  for (const TargetSpec& spec : options_.targets) {
    if (spec.is_stdout()) {
      targets_.push_back(std::make_unique<Target>(STDOUT_FILENO, "standard output", spec.prefix));
      continue;
    }
    LogDir::Hooks hooks;
    hooks.rotation_due = [this](LogDir& due) {
      for (auto& target : targets_)
        if (target->dir() == &due) target->request_rotation();
      if (!blocked_) resume();
    };
    hooks.progress = [this] { maybe_exit(); };
    auto dir = LogDir::open(loop_, spec.path, options_.verbose, std::move(hooks));
    if (!dir) {
      diag::warning(dir.error().message() + "; skipping this log directory" +
                    LogDir::hint_for(spec.path, dir.error()));
      continue;
    }
    targets_.push_back(std::make_unique<Target>(std::move(*dir), spec.prefix));
  }
  recompute_matching();
  return !targets_.empty();
}

void Logger::recompute_matching() {
  hold_partial_ = std::any_of(targets_.begin(), targets_.end(),
                              [](const auto& target) { return target->needs_matching(); });
}

int Logger::run() {
  if (socket_) {
    // -s: the end of a pipe (log/run under svscan) still ends svlog, so shutdown works as
    // for any logger; /dev/null or a file just ends what stdin gives, and the socket
    // carries on until SIGTERM (a dedicated syslog service).
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) == 0 && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
      stdin_ends_run_ = false;
  }
  input_watch_.start();
  arm_socket();
  loop_.run();
  return exit_code_;
}

bool Logger::read_once() {
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, input_.get(), options_.buffer_size);
    if (n > 0) {
      input_size_ = static_cast<size_t>(n);
      consumed_ = 0;
      // One stamp per read: every line of this read arrived by now (svlogd stamps each line
      // as it takes it from its buffer; the difference is the time to copy a buffer).
      stamp_.assign(stamper_.now());
      if (options_.replacement != 0) replace_characters(input_.get(), input_size_);
      return true;
    }
    if (n == 0) {
      at_eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return false;
    diag::warning(errno_error("read standard input").message() + "; finishing as at its end");
    exit_code_ = diag::kExitSystem;
    at_eof_ = true;
    return false;
  }
}

void Logger::replace_characters(char* data, size_t size) const {
  // svlogd's -r/-R: non-printable bytes (and those in -R's set) become the replacement,
  // before pattern matching; newlines stay.
  for (size_t i = 0; i < size; ++i)
    if (replaced_[static_cast<unsigned char>(data[i])]) data[i] = options_.replacement;
}

void Logger::on_readable() {
  if (!read_once()) {
    if (at_eof_ && !stdin_ends_run_) {
      // Standard input is done; the socket is not. A line it left open ends here.
      at_eof_ = false;
      input_done_ = true;
      input_watch_.stop();
      end_input_line();
      if (flush_all()) flush_stderr();
      arm_socket();
    } else if (at_eof_) {
      finish();
    }
    return;
  }
  dispatch();
}

void Logger::arm_socket() {
  if (!socket_watch_) return;
  // A datagram is a line of its own: it never enters a line standard input has begun.
  if (!blocked_ && !finished_ && !terminating_ && !mid_line_ && held_.empty())
    socket_watch_->start();
  else
    socket_watch_->stop();
}

void Logger::on_datagrams() noexcept {
  arm_socket();
  if (!socket_watch_->active()) return;
  // Each datagram goes to write(2) before the next is received, as each read of stdin
  // (DESIGN.md §4): a SIGKILL loses none that svlog took from the socket.
  for (int i = 0; i < kDatagramsPerWakeup && receive_datagram(); ++i)
    if (!flush_all()) return;
  flush_stderr();
}

bool Logger::receive_datagram() {
  ssize_t n = -1;
  do {
    n = ::recv(socket_->fd(), datagram_.get(), kDatagramMax, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      diag::warning(errno_error("receive from " + socket_->path()));
    return false;
  }
  size_t size = static_cast<size_t>(n);
  if (size > kDatagramMax) {
    if (!truncation_warned_)
      diag::warning("a datagram on " + socket_->path() + " had " + std::to_string(size) +
                    " bytes; its first " + std::to_string(kDatagramMax) +
                    " are logged (further ones are not reported)");
    truncation_warned_ = true;
    size = kDatagramMax;
  }
  std::string line = format_syslog_datagram({datagram_.get(), size});
  if (options_.replacement != 0) replace_characters(line.data(), line.size() - 1);
  // The stamp is copied into each target's buffer before the next now().
  feed_line_start(line, true, stamper_.now());
  return true;
}

bool Logger::drain_socket() {
  if (!socket_) return true;
  // New senders get an error from now on; what was sent before is read and written.
  socket_->remove_path();
  for (int i = 0; i < kDrainDatagrams && receive_datagram(); ++i)
    if (!flush_all()) return false;  // finish() comes back here once it is written
  close_socket();
  return true;
}

void Logger::end_input_line() {
  if (!held_.empty()) {
    feed_line_start(held_, false, held_stamp_);
    held_.clear();
  }
  // A last line without its newline is written with one (svlogd drops it).
  for (auto& target : targets_) target->end_open_line(side_);
  mid_line_ = false;
}

void Logger::feed_line_start(std::string_view bytes, bool complete, std::string_view stamp) {
  std::string_view match_text = bytes;
  if (complete) match_text.remove_suffix(1);
  if (match_text.size() > options_.line_max) match_text = match_text.substr(0, options_.line_max);
  for (auto& target : targets_) target->begin_line(bytes, complete, match_text, stamp, side_);
}

void Logger::dispatch() {
  if (!flush_all()) return;
  const size_t line_max = options_.line_max;
  while (consumed_ < input_size_) {
    const char* start = input_.get() + consumed_;
    const size_t left = input_size_ - consumed_;
    if (mid_line_) {
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', left));
      const size_t size = newline != nullptr ? static_cast<size_t>(newline - start) + 1 : left;
      for (auto& target : targets_) target->continue_line({start, size}, newline != nullptr, side_);
      consumed_ += size;
      mid_line_ = newline == nullptr;
    } else if (!held_.empty()) {
      // A held line start grows until its newline or line_max bytes are known.
      const size_t room = line_max - held_.size();
      const size_t look = std::min(left, room);
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', look));
      if (newline != nullptr || look == room) {
        const size_t size = newline != nullptr ? static_cast<size_t>(newline - start) + 1 : room;
        held_.append(start, size);
        consumed_ += size;
        feed_line_start(held_, newline != nullptr, held_stamp_);
        mid_line_ = newline == nullptr;
        held_.clear();
      } else {
        held_.append(start, left);
        consumed_ += left;
      }
    } else {
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', left));
      if (newline != nullptr) {
        const size_t size = static_cast<size_t>(newline - start) + 1;
        feed_line_start({start, size}, true, stamp_);
        consumed_ += size;
      } else if (hold_partial_ && left < line_max) {
        // Patterns decide on a line's first line_max bytes (svlogd(8) -l): wait for them.
        held_.assign(start, left);
        held_stamp_ = stamp_;
        consumed_ += left;
      } else {
        feed_line_start({start, left}, false, stamp_);
        consumed_ += left;
        mid_line_ = true;
      }
    }
    for (auto& target : targets_) {
      if (target->pending() > kFlushThreshold) {
        if (!flush_all()) return;
        break;
      }
    }
  }
  if (flush_all()) flush_stderr();
  arm_socket();
}

bool Logger::flush_all() {
  bool done = true;
  bool would_block = false;
  for (auto& target : targets_) {
    switch (target->flush()) {
      case Target::Flush::kDone: break;
      case Target::Flush::kBlocked: done = false; break;
      case Target::Flush::kWouldBlock: done = false; would_block = true; break;
    }
  }
  if (!done) {
    flush_stderr();
    blocked_ = true;
    input_watch_.stop();
    if (socket_watch_) socket_watch_->stop();
    if (would_block) output_watch_.start();
    if (!retry_timer_.active()) retry_timer_.start_after(kRetrySeconds);
  }
  return done;
}

void Logger::flush_stderr() {
  if (side_.to_stderr.empty()) return;
  // Best effort, like svlogd's: stderr copies are alerts, the directory keeps the record.
  (void)write_all(STDERR_FILENO, side_.to_stderr);
  side_.to_stderr.clear();
}

void Logger::resume() {
  blocked_ = false;
  retry_timer_.stop();
  output_watch_.stop();
  dispatch();
  if (blocked_) return;
  if (hangup_pending_) on_hangup();
  if (at_eof_ || terminating_) {
    finish();
    return;
  }
  if (!finished_ && !input_done_) input_watch_.start();
  arm_socket();
}

void Logger::on_hangup() {
  if (blocked_) {
    hangup_pending_ = true;  // after the data in hand is written
    return;
  }
  hangup_pending_ = false;
  for (auto it = targets_.begin(); it != targets_.end();) {
    LogDir* dir = (*it)->dir();
    if (dir != nullptr && !finished_) {
      if (auto reopened = dir->reopen(); !reopened) {
        // svlogd(8) SIGNALS: a directory that cannot be reopened is discarded.
        diag::warning(reopened.error().message() + "; discarding this log directory" +
                      LogDir::hint_for(dir->path(), reopened.error()));
        it = targets_.erase(it);
        continue;
      }
      (*it)->apply_config();
    }
    ++it;
  }
  recompute_matching();
  if (targets_.empty()) diag::fatal(diag::kExitSystem, "no log target left after SIGHUP");
}

void Logger::on_alarm() {
  for (auto& target : targets_) target->request_rotation();
  if (!blocked_) resume();
}

void Logger::on_terminate() {
  if (terminating_) return;
  terminating_ = true;
  input_watch_.stop();
  if (socket_watch_) socket_watch_->stop();
  // Finish the last line if its rest is already waiting in the pipe; never wait for more.
  for (int reads = 0; reads < kTerminateReads && !blocked_ && !at_eof_ && !input_done_; ++reads) {
    if (!mid_line_ && held_.empty()) break;
    pollfd input{STDIN_FILENO, POLLIN, 0};
    if (::poll(&input, 1, 0) != 1 || !read_once()) break;
    dispatch();
  }
  if (!blocked_) finish();
}

void Logger::finish() {
  if (finished_) return;
  input_watch_.stop();
  end_input_line();
  if (!drain_socket()) return;
  if (!flush_all()) return;  // resume() calls finish() again once the data is written
  flush_stderr();
  finished_ = true;
  for (auto& target : targets_) {
    if (LogDir* dir = target->dir()) {
      if (auto closed = dir->close_current(); !closed) diag::warning(closed.error());
      dir->stop_retrying_processor();
    }
  }
  maybe_exit();
}

void Logger::maybe_exit() {
  if (!finished_) return;
  for (auto& target : targets_)
    if (target->dir() && target->dir()->processor_busy()) return;
  loop_.break_loop();
}

}  // namespace svtree::svlog
