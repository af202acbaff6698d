// SPDX-License-Identifier: MIT
// svscan-output: the child of svscan that owns the blocking writes to svscan's real stdout
// (or stderr) (issue 15, DESIGN.md §1 and §5). svscan feeds it through a pipe whose svscan
// end alone is non-blocking, so a stalled reader of the container's log stops this process,
// never PID 1. It copies fd 0 to fd 1 until end of file, then exits 0.
//
// Into a piped stdout (docker's, a shell's pipeline) it moves the pipe's buffers with
// splice(2) instead of copying them in and out: svscan writes every piece of at most
// PIPE_BUF bytes ending at a newline with a write of its own (OutputChannel::write_queued),
// and Linux starts a new buffer for a write that does not fit whole in the last one, so
// every buffer ends at a newline and a buffer moved whole keeps another writer of stdout
// between two lines, as a write of at most PIPE_BUF would (issue 15's throughput).
#include "programs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <limits.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "svtree/spawner.hpp"

namespace {

void wait_writable(int fd);

// Moves what fd 0 holds to fd 1 a whole pipe buffer at a time until end of file (true)
// or until splice cannot go on (false: the copying loop takes over, with nothing lost:
// a failed splice moves nothing). The length asks for everything the input holds; the
// kernel cuts a buffer only when it is longer than what is asked.
bool splice_all() {
  constexpr size_t kAsk = size_t{1} << 30;
  for (;;) {
    const ssize_t n = ::splice(STDIN_FILENO, nullptr, STDOUT_FILENO, nullptr, kAsk, 0);
    if (n > 0) continue;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // Someone set O_NONBLOCK on the stdout we share, and splice then does not wait on
      // either end: wait for input, then for room, as write_chunk does.
      struct pollfd in {STDIN_FILENO, POLLIN, 0};
      (void)::poll(&in, 1, -1);
      wait_writable(STDOUT_FILENO);
      continue;
    }
    return false;
  }
}

// Waits until fd can take more: someone may have set O_NONBLOCK on the file description
// we share with the rest of the container.
void wait_writable(int fd) {
  struct pollfd p {fd, POLLOUT, 0};
  (void)::poll(&p, 1, -1);
}

// Writes it all, or gives up on this chunk when the output is gone for good (EPIPE, EIO):
// lines nobody can read any more are dropped, and the pipe from svscan keeps draining.
void write_chunk(const char* data, size_t left) {
  while (left > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, data, left);
    if (n > 0) {
      data += n;
      left -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      wait_writable(STDOUT_FILENO);
    } else {
      return;
    }
  }
}

}  // namespace

int svscan_output_main(int /*argc*/, char** /*argv*/) {
  // A reader that went away is a failed write, not our death (svscan would only start us
  // again to die again).
  (void)::signal(SIGPIPE, SIG_IGN);
  svtree::note_signal_disposition(SIGPIPE, true);
  // Into a pipe shared with other writers (the main command, the loggers), a write of at
  // most PIPE_BUF bytes is atomic: each write ends at a newline and stays within it when
  // the lines allow, so another writer's line never lands in the middle of one of ours.
  // A file or a terminal takes everything at once. (No splice: it moves the offset of a
  // file shared with the services without the lock write(2) takes, and lines got lost.)
  struct stat st {};
  const bool shared_pipe = ::fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
  struct stat in {};
  if (shared_pipe && ::fstat(STDIN_FILENO, &in) == 0 && S_ISFIFO(in.st_mode) && splice_all())
    return 0;
  static char buffer[1 << 16];
  size_t held = 0;  // bytes of an unfinished line kept from the last read
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer + held, sizeof buffer - held);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_chunk(buffer, held);
      return n == 0 ? 0 : 111;
    }
    const size_t filled = held + static_cast<size_t>(n);
    const std::string_view data(buffer, filled);
    size_t end = data.rfind('\n');
    // No newline in a full buffer: a longer line than we hold, written as it comes.
    if (end == std::string_view::npos) end = filled == sizeof buffer ? filled : 0;
    else ++end;
    size_t at = 0;
    while (at < end) {
      size_t piece = end - at;
      if (shared_pipe && piece > PIPE_BUF) {
        const size_t cut = data.substr(at, PIPE_BUF).rfind('\n');
        piece = cut != std::string_view::npos ? cut + 1 : data.substr(at, end - at).find('\n') + 1;
        if (piece == 0 || at + piece > end) piece = end - at;
      }
      write_chunk(buffer + at, piece);
      at += piece;
    }
    held = filled - end;
    std::memmove(buffer, buffer + end, held);
  }
}
